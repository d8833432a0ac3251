import { TOPICS } from '../../../../libs/contracts/src/topics';
import {
  readDatabaseSettings,
  type DatabaseSettings,
} from '../../../../libs/platform/src/config/database.config';
import { EnvReader } from '../../../../libs/platform/src/config/env-reader';
import { readKafkaSettings, type KafkaSettings } from '../../../../libs/platform/src/config/kafka.config';
import { DEFAULT_OPENEDX_TOPIC, fullTopic, type UserData } from '../openedx/exam-attempt.schema';
import { lmsUserId } from '../openedx/opaque-keys';

/** The bridge's consumer group: under its principal's prefix (SPEC §8.4). */
export const OPENEDX_BRIDGE_GROUP = 'openedx-bridge.main';
/** The attempt-service's EVENT_SOURCE default: the one `source` the bridge trusts unless told otherwise. */
export const DEFAULT_ATTEMPT_SERVICE_SOURCE = 'urn:proctoring:attempt-service';
export const SNAPSHOT_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface OpenEdxBridgeConfig {
  /** Off unless OPENEDX_BRIDGE_ENABLED=true: main.ts then exits at once. */
  enabled: boolean;
  database: DatabaseSettings;
  migrateOnStart: boolean;
  /** PostgreSQL schema of the attempt snapshots (default `openedx_bridge`). */
  schema: string;
  kafka: KafkaSettings;
  groupId: string;
  /**
   * Kafka consumer session timeout: how long a crashed instance keeps its partitions before the group
   * hands them to another (the broker bounds it: group.min/max.session.timeout.ms).
   */
  sessionTimeoutMs: number;
  /** Our events topic, read from the start when the group is new. */
  attemptEventsTopic: string;
  /** The Open edX topic, with event-bus-kafka's prefix applied (`<prefix>-<topic>`). */
  openEdxTopic: string;
  registry: { url: string; auth: { username: string; password: string } | undefined };
  /** `ce_source` is `openedx/<serviceName>/web`. */
  serviceName: string;
  trustedSources: string[];
  resetRequestingUser: UserData | null;
  /** Snapshots of removed attempts are purged this long after the removal (0: never). */
  retentionDays: number;
  httpHost: string;
  httpPort: number;
  logLevel: string;
}

/**
 * Reads and validates the bridge's environment before Nest boots (STYLE habit 9). One ConfigError lists
 * every bad variable by name, never its value.
 */
export function loadOpenEdxBridgeConfig(env: NodeJS.ProcessEnv): OpenEdxBridgeConfig {
  const r = new EnvReader(env);
  const enabled = r.bool('OPENEDX_BRIDGE_ENABLED', false);
  const database = readDatabaseSettings(r);
  const kafka = readKafkaSettings(r, 'openedx-bridge');
  const schema = r.string('OPENEDX_BRIDGE_SCHEMA', 'openedx_bridge');
  if (!SNAPSHOT_SCHEMA_NAME.test(schema))
    r.problem(
      'OPENEDX_BRIDGE_SCHEMA must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)',
    );
  const baseTopic = r.string('OPENEDX_EVENT_BUS_TOPIC', DEFAULT_OPENEDX_TOPIC);
  const prefix = r.optionalString('OPENEDX_EVENT_BUS_TOPIC_PREFIX');
  const openEdxTopic = fullTopic(baseTopic, prefix);
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(openEdxTopic))
    r.problem('OPENEDX_EVENT_BUS_TOPIC (with OPENEDX_EVENT_BUS_TOPIC_PREFIX) must be a Kafka topic name');
  const registryUrl = r.optionalString('OPENEDX_SCHEMA_REGISTRY_URL');
  if (enabled && registryUrl === undefined)
    r.problem('OPENEDX_SCHEMA_REGISTRY_URL is required when OPENEDX_BRIDGE_ENABLED is true');
  if (registryUrl !== undefined) r.url('OPENEDX_SCHEMA_REGISTRY_URL', registryUrl, ['http:', 'https:']);
  const apiKey = r.optionalString('OPENEDX_SCHEMA_REGISTRY_API_KEY');
  const apiSecret = r.optionalString('OPENEDX_SCHEMA_REGISTRY_API_SECRET');
  if ((apiKey === undefined) !== (apiSecret === undefined)) {
    r.problem(
      'OPENEDX_SCHEMA_REGISTRY_API_KEY and OPENEDX_SCHEMA_REGISTRY_API_SECRET go together: set both or neither',
    );
  }
  const serviceName = r.string('OPENEDX_EVENTS_SERVICE_NAME', 'proctoring-attempts');
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(serviceName))
    r.problem('OPENEDX_EVENTS_SERVICE_NAME must be 1-100 letters, digits, ".", "_" or "-"');
  const trustedSources = r.list('OPENEDX_BRIDGE_TRUSTED_SOURCES', [DEFAULT_ATTEMPT_SERVICE_SOURCE]);
  const config: OpenEdxBridgeConfig = {
    enabled,
    database,
    migrateOnStart: r.bool('OPENEDX_BRIDGE_MIGRATE_ON_START', true),
    schema,
    kafka,
    groupId: r.string('OPENEDX_BRIDGE_GROUP_ID', OPENEDX_BRIDGE_GROUP),
    sessionTimeoutMs: r.int('OPENEDX_BRIDGE_SESSION_TIMEOUT_MS', 30_000, 6_000, 300_000),
    attemptEventsTopic: r.string('TOPIC_ATTEMPT_EVENTS', TOPICS.attemptEvents),
    openEdxTopic,
    registry: {
      url: (registryUrl ?? '').replace(/\/+$/, ''),
      auth:
        apiKey !== undefined && apiSecret !== undefined
          ? { username: apiKey, password: apiSecret }
          : undefined,
    },
    serviceName,
    trustedSources,
    resetRequestingUser: readResetRequestingUser(r),
    retentionDays: r.int('OPENEDX_BRIDGE_RETENTION_DAYS', 7, 0, 3650),
    httpHost: r.string('HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('HTTP_PORT', 3002, 0, 65_535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
  r.done('openedx-bridge');
  return config;
}

/** OPENEDX_RESET_REQUESTING_USER_{ID,USERNAME,EMAIL,NAME}: an LMS account named as the requester of resets. */
function readResetRequestingUser(r: EnvReader): UserData | null {
  const id = r.optionalString('OPENEDX_RESET_REQUESTING_USER_ID');
  const username = r.optionalString('OPENEDX_RESET_REQUESTING_USER_USERNAME');
  const email = r.optionalString('OPENEDX_RESET_REQUESTING_USER_EMAIL');
  const name = r.string('OPENEDX_RESET_REQUESTING_USER_NAME', '');
  if (id === undefined && username === undefined && email === undefined) return null;
  if (id === undefined || username === undefined || email === undefined) {
    r.problem('OPENEDX_RESET_REQUESTING_USER_ID, _USERNAME and _EMAIL go together: set all three or none');
    return null;
  }
  const lmsId = lmsUserId(id);
  if (lmsId === null) {
    r.problem('OPENEDX_RESET_REQUESTING_USER_ID must be an LMS user id (a decimal integer)');
    return null;
  }
  return { id: lmsId, is_active: true, pii: { username, email, name } };
}
