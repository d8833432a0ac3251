import { readFileSync } from 'node:fs';
import { parseProvidersConfig, type ProvidersConfig } from '../../../../libs/domain/src';
import { TOPICS } from '../../../../libs/contracts/src';
import { EnvReader } from '../../../../libs/platform/src/config/env-reader';
import { readKafkaSettings, type KafkaSettings } from '../../../../libs/platform/src/config/kafka.config';
import { readDatabaseSettings, type DatabaseSettings } from '../../../../libs/platform/src/config/database.config';

export interface TopicNames {
  commands: string;
  attemptEvents: string;
  credentialEvents: string;
  commandsDlq: string;
}

export interface AttemptServiceConfig {
  kafka: KafkaSettings;
  database: DatabaseSettings;
  groupId: string;
  topics: TopicNames;
  providers: ProvidersConfig;
  providersFile: string;
  eventSource: string;
  httpPort: number;
  maxBatchSize: number;
  partitionsConsumedConcurrently: number;
  relayBatchSize: number;
  relayIdlePollMs: number;
  sweeperIntervalMs: number;
  sweeperBatchSize: number;
  retentionDays: number;
  housekeepingIntervalMs: number;
  logLevel: string;
}

/** Reads and validates the environment before Nest boots; one error lists every bad variable. */
export function loadAttemptServiceConfig(env: NodeJS.ProcessEnv = process.env): AttemptServiceConfig {
  const r = new EnvReader(env);
  const providersFile = r.string('PROVIDERS_FILE', 'config/providers.json');
  const providers = readProvidersFile(r, providersFile);
  const config: AttemptServiceConfig = {
    kafka: readKafkaSettings(r, 'attempt-service'),
    database: readDatabaseSettings(r),
    groupId: r.string('ATTEMPT_SERVICE_GROUP_ID', 'attempt-service'),
    topics: {
      commands: r.string('TOPIC_COMMANDS', TOPICS.commands),
      attemptEvents: r.string('TOPIC_ATTEMPT_EVENTS', TOPICS.attemptEvents),
      credentialEvents: r.string('TOPIC_CREDENTIAL_EVENTS', TOPICS.credentialEvents),
      commandsDlq: r.string('TOPIC_COMMANDS_DLQ', TOPICS.commandsDlq),
    },
    providers,
    providersFile,
    eventSource: r.string('EVENT_SOURCE', 'urn:proctoring:attempt-service'),
    httpPort: r.int('HTTP_PORT', 3000, 0, 65535),
    maxBatchSize: r.int('COMMAND_BATCH_SIZE', 500, 1, 5000),
    partitionsConsumedConcurrently: r.int('PARTITIONS_CONSUMED_CONCURRENTLY', 3, 1, 64),
    relayBatchSize: r.int('OUTBOX_RELAY_BATCH_SIZE', 1000, 1, 10000),
    relayIdlePollMs: r.int('OUTBOX_RELAY_IDLE_POLL_MS', 1000, 10, 60000),
    sweeperIntervalMs: r.int('SWEEPER_INTERVAL_MS', 10000, 100, 3600000),
    sweeperBatchSize: r.int('SWEEPER_BATCH_SIZE', 200, 1, 5000),
    retentionDays: r.int('RETENTION_DAYS', 7, 0, 3650),
    housekeepingIntervalMs: r.int('HOUSEKEEPING_INTERVAL_MS', 3600000, 1000, 86400000),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  };
  r.done('attempt-service');
  return config;
}

export function readProvidersFile(r: EnvReader, path: string): ProvidersConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    r.problem('PROVIDERS_FILE names a file that cannot be read as JSON');
    return { defaults: {}, providers: {} };
  }
  const parsed = parseProvidersConfig(json);
  if (!parsed.ok) {
    for (const p of parsed.error) r.problem(`PROVIDERS_FILE: ${p}`);
    return { defaults: {}, providers: {} };
  }
  return parsed.value;
}
