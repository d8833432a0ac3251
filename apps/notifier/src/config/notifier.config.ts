import { CONSUMER_GROUPS, TOPICS } from '../../../../libs/contracts/src/topics';
import type { ProvidersConfig } from '../../../../libs/domain/src';
import { readProvidersFile } from '../../../../libs/platform/src/config/providers-file';
import { readDatabaseSettings, type DatabaseSettings } from '../../../../libs/platform/src/config/database.config';
import { EnvReader } from '../../../../libs/platform/src/config/env-reader';
import { readKafkaSettings, type KafkaSettings } from '../../../../libs/platform/src/config/kafka.config';
import { readTracingSettings, type TracingSettings } from '../../../../libs/platform/src/config/tracing.config';
import { NOTIFIER_SCHEMA, SCHEMA_NAME } from '../persistence/email-delivery.row';

export interface NotifierConfig {
  database: DatabaseSettings;
  /** Create the database if missing and run the notifier migrations at start. */
  migrateOnStart: boolean;
  kafka: KafkaSettings;
  groupId: string;
  topics: { attemptEvents: string; notifierDlq: string };
  /** CloudEvents `source` of the messages the notifier publishes (the DLQ's EmailDeliveryFailed). */
  eventSource: string;
  /**
   * The `source` values of the attempt-service (its EVENT_SOURCE): events from any other source are
   * ignored and counted (SPEC §8.4, a guard against misconfiguration; the topic's ACLs are the control).
   */
  trustedSources: string[];
  /** The PostgreSQL schema of the delivery ledger (default `notifier`). */
  schema: string;
  /** How often consumer lag is computed for /metrics (0: off). */
  consumerLagIntervalMs: number;
  providersFile: string;
  providers: ProvidersConfig;
  email:
    | { driver: 'sendgrid'; apiKey: string; baseUrl: string; timeoutMs: number }
    | { driver: 'file'; outboxDir: string };
  delivery: {
    concurrency: number;
    maxAttempts: number;
    maxThrottled: number;
    retryBaseMs: number;
    retryMaxMs: number;
    resendUnknown: boolean;
    leaseMs: number;
    pollIntervalMs: number;
  };
  retentionDays: number;
  /** Address the HTTP server (health, metrics) binds (default 127.0.0.1; containers set 0.0.0.0). */
  httpHost: string;
  httpPort: number;
  logLevel: string;
  /** OpenTelemetry: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, else off (no SDK). */
  tracing: TracingSettings;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The attempt-service's EVENT_SOURCE default: the one `source` the notifier trusts unless told otherwise. */
export const DEFAULT_ATTEMPT_SERVICE_SOURCE = 'urn:proctoring:attempt-service';

/** 0 means "keep forever" (no purge, no age limit on events). */
export function retentionMs(config: Pick<NotifierConfig, 'retentionDays'>): number {
  return config.retentionDays * DAY_MS;
}

/**
 * Reads and validates the notifier's environment before Nest boots (STYLE habit 9). Throws one
 * `ConfigError` listing every bad variable by name; values are never echoed.
 */
export function loadNotifierConfig(env: NodeJS.ProcessEnv): NotifierConfig {
  const r = new EnvReader(env);
  const database = readDatabaseSettings(r);
  const kafka = readKafkaSettings(r, 'notifier');
  const groupId = r.string('NOTIFIER_GROUP_ID', CONSUMER_GROUPS.notifier);
  const eventSource = r.string('NOTIFIER_EVENT_SOURCE', 'urn:proctoring:notifier');
  if (eventSource.length > 255 || /[\s\p{Cc}]/u.test(eventSource)) r.problem('NOTIFIER_EVENT_SOURCE must be a URI reference without whitespace');
  const trustedSources = r.list('NOTIFIER_TRUSTED_SOURCES', [DEFAULT_ATTEMPT_SERVICE_SOURCE]);
  if (trustedSources.some((s) => s.length > 255 || /[\s\p{Cc}]/u.test(s))) {
    r.problem('NOTIFIER_TRUSTED_SOURCES must be a comma-separated list of URI references without whitespace');
  }
  const schema = r.string('NOTIFIER_SCHEMA', NOTIFIER_SCHEMA);
  if (!SCHEMA_NAME.test(schema)) r.problem('NOTIFIER_SCHEMA must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)');
  const consumerLagIntervalMs = r.int('NOTIFIER_CONSUMER_LAG_INTERVAL_MS', 15_000, 0, 3_600_000);
  if (consumerLagIntervalMs > 0 && consumerLagIntervalMs < 1000) r.problem('NOTIFIER_CONSUMER_LAG_INTERVAL_MS must be 0 (off) or at least 1000');
  const providersFile = r.string('PROVIDERS_FILE', './config/providers.json');
  const providers = readProvidersFile(r, providersFile);

  const apiKey = r.optionalString('SENDGRID_API_KEY');
  const baseUrl = r.url('SENDGRID_BASE_URL', 'https://api.sendgrid.com/', ['https:', 'http:']);
  const timeoutMs = r.int('SENDGRID_TIMEOUT_MS', 10_000, 100, 300_000);
  const outboxDir = r.string('EMAIL_OUTBOX_DIR', './var/emails');
  if (apiKey !== undefined && /\s/.test(apiKey)) r.problem('SENDGRID_API_KEY must not contain whitespace');

  const leaseMs = r.int('NOTIFIER_LEASE_MS', 120_000, 1_000, 24 * 60 * 60 * 1000);
  if (apiKey !== undefined && leaseMs < timeoutMs * 4) {
    r.problem('NOTIFIER_LEASE_MS must be at least four times SENDGRID_TIMEOUT_MS (a lease must outlive a queued send)');
  }
  const retryBaseMs = r.int('NOTIFIER_RETRY_BASE_MS', 1_000, 1, 3_600_000);
  const retryMaxMs = r.int('NOTIFIER_RETRY_MAX_MS', 300_000, 1, 24 * 3_600_000);
  if (retryMaxMs < retryBaseMs) r.problem('NOTIFIER_RETRY_MAX_MS must not be below NOTIFIER_RETRY_BASE_MS');

  const config: NotifierConfig = {
    database,
    migrateOnStart: r.bool('NOTIFIER_MIGRATE_ON_START', true),
    kafka,
    groupId,
    topics: {
      attemptEvents: r.string('TOPIC_ATTEMPT_EVENTS', TOPICS.attemptEvents),
      notifierDlq: r.string('TOPIC_NOTIFIER_DLQ', TOPICS.notifierDlq),
    },
    eventSource,
    trustedSources,
    schema,
    consumerLagIntervalMs,
    providersFile,
    providers,
    email:
      apiKey !== undefined
        ? { driver: 'sendgrid', apiKey, baseUrl, timeoutMs }
        : { driver: 'file', outboxDir },
    delivery: {
      concurrency: r.int('NOTIFIER_CONCURRENCY', 32, 1, 1024),
      maxAttempts: r.int('NOTIFIER_MAX_ATTEMPTS', 8, 1, 1000),
      maxThrottled: r.int('NOTIFIER_MAX_THROTTLED', 100, 1, 100_000),
      retryBaseMs,
      retryMaxMs,
      resendUnknown: r.bool('NOTIFIER_RESEND_UNKNOWN', false),
      leaseMs,
      pollIntervalMs: r.int('NOTIFIER_POLL_INTERVAL_MS', 500, 10, 60_000),
    },
    retentionDays: r.int('RETENTION_DAYS', 7, 0, 3650),
    httpHost: r.string('HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('HTTP_PORT', 3001, 0, 65_535),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    tracing: readTracingSettings(r),
  };
  r.done('notifier');
  return config;
}
