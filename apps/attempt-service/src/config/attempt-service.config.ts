import type { ProvidersConfig } from '../../../../libs/domain/src';
import { readProvidersFile } from '../../../../libs/platform/src/config/providers-file';
import { CONSUMER_GROUPS, providerReviewTopics, TOPICS } from '../../../../libs/contracts/src';
import { EnvReader } from '../../../../libs/platform/src/config/env-reader';
import { readKafkaSettings, type KafkaSettings } from '../../../../libs/platform/src/config/kafka.config';
import { readDatabaseSettings, type DatabaseSettings } from '../../../../libs/platform/src/config/database.config';
import { readTracingSettings, type TracingSettings } from '../../../../libs/platform/src/config/tracing.config';
import { readReadApiSettings, type ReadApiAuthSettings } from './read-api.config';

export interface TopicNames {
  commands: string;
  attemptEvents: string;
  credentialEvents: string;
  commandsDlq: string;
  /**
   * Each provider's review topic and outcomes topic (SPEC §8.4), by provider name: one per provider in
   * the providers file, named by `providerReviewTopics` plus `TOPIC_REVIEWS_SUFFIX` (default none).
   */
  reviews?: Readonly<Record<string, { reviews: string; outcomes: string }>>;
}

/** Provider names usable in topic names and channels (SPEC §8.4). */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,47}$/;

export interface AttemptServiceConfig {
  kafka: KafkaSettings;
  database: DatabaseSettings;
  /** Create the database if missing and run the migrations at start. */
  migrateOnStart: boolean;
  groupId: string;
  /** Consumer group of the `redrive` command line (its own offsets on the commands DLQ). */
  redriveGroupId: string;
  topics: TopicNames;
  providers: ProvidersConfig;
  providersFile: string;
  eventSource: string;
  /** Address the HTTP server binds (default 127.0.0.1; containers set 0.0.0.0). */
  httpHost: string;
  httpPort: number;
  /**
   * Authentication of the read API (`GET /attempts…`); null in a process that serves no HTTP (the
   * command line), where READ_API_* are not read.
   */
  readApi: ReadApiAuthSettings | null;
  maxBatchSize: number;
  partitionsConsumedConcurrently: number;
  relayBatchSize: number;
  relayMaxRequestBytes: number;
  consumerStallTimeoutMs: number;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  /** Most bytes fetched per partition at once (bounds the decoded commands held in memory). */
  fetchMaxBytesPerPartition: number;
  /** Handled offsets are committed together at most this often (0: after every slice). */
  commitIntervalMs: number;
  relayIdlePollMs: number;
  sweeperEnabled: boolean;
  sweeperIntervalMs: number;
  sweeperBatchSize: number;
  /** How often consumer lag per partition is computed for /metrics; 0 disables it. */
  consumerLagIntervalMs: number;
  /** Longest the readiness probe waits for `SELECT 1`. */
  healthDbTimeoutMs: number;
  /** How long a Kafka reachability result is reused by the readiness probe. */
  healthKafkaCacheMs: number;
  /** /health/ready degrades while the oldest unpublished outbox row is older than this. */
  outboxReadyMaxAgeMs: number;
  retentionDays: number;
  housekeepingIntervalMs: number;
  logLevel: string;
  /**
   * SPEC §8.4: an UpdateAttemptStatus to a review outcome (verified, rejected, second_review_required,
   * not_reviewed) from the commands topic is accepted (and counted) while true; FORBIDDEN when false.
   */
  legacyReviewStatusUpdates: boolean;
  /**
   * `REVIEW_VIDEO_URL_KEY`: 32 bytes, base64 — the AES-256-GCM key a review's videoUrl is encrypted
   * with at rest (SPEC §8.1). Unset: reviews are stored without their videoUrl (never in clear).
   */
  reviewVideoUrlKey: Buffer | null;
  /** OpenTelemetry: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set, else off (no SDK). */
  tracing: TracingSettings;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoadAttemptServiceConfigOptions {
  /**
   * false for a process that serves no HTTP (the command line): READ_API_* are neither read nor
   * required. The service itself refuses to start without a read-API key set unless READ_API_AUTH=off.
   */
  http?: boolean;
}

/** Reads and validates the environment before Nest boots; one error lists every bad variable. */
export function loadAttemptServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: LoadAttemptServiceConfigOptions = {},
): AttemptServiceConfig {
  const r = new EnvReader(env);
  const providersFile = r.string('PROVIDERS_FILE', 'config/providers.json');
  const providers = readProvidersFile(r, providersFile);
  const config: AttemptServiceConfig = {
    kafka: readKafkaSettings(r, 'attempt-service'),
    database: readDatabaseSettings(r),
    migrateOnStart: r.bool('MIGRATE_ON_START', true),
    groupId: groupId(r, 'ATTEMPT_SERVICE_GROUP_ID', CONSUMER_GROUPS.attemptService),
    redriveGroupId: groupId(r, 'REDRIVE_GROUP_ID', CONSUMER_GROUPS.redrive),
    topics: {
      commands: topic(r, 'TOPIC_COMMANDS', TOPICS.commands),
      attemptEvents: topic(r, 'TOPIC_ATTEMPT_EVENTS', TOPICS.attemptEvents),
      credentialEvents: topic(r, 'TOPIC_CREDENTIAL_EVENTS', TOPICS.credentialEvents),
      commandsDlq: topic(r, 'TOPIC_COMMANDS_DLQ', TOPICS.commandsDlq),
      reviews: reviewTopics(r, Object.keys(providers.providers)),
    },
    providers,
    providersFile,
    eventSource: eventSource(r),
    httpHost: r.string('HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('HTTP_PORT', 3000, 0, 65535),
    readApi: options.http === false ? null : readReadApiSettings(r),
    maxBatchSize: r.int('COMMAND_BATCH_SIZE', 250, 1, 5000),
    partitionsConsumedConcurrently: r.int('PARTITIONS_CONSUMED_CONCURRENTLY', 3, 1, 64),
    consumerStallTimeoutMs: r.int('CONSUMER_STALL_TIMEOUT_MS', 60000, 5000, 3600000),
    fetchMinBytes: r.int('CONSUMER_FETCH_MIN_BYTES', 1, 1, 64 * 1024 * 1024),
    fetchMaxWaitMs: r.int('CONSUMER_FETCH_MAX_WAIT_MS', 5000, 1, 60000),
    commitIntervalMs: r.int('CONSUMER_COMMIT_INTERVAL_MS', 1000, 0, 60000),
    fetchMaxBytesPerPartition: r.int('CONSUMER_FETCH_MAX_BYTES_PER_PARTITION', 512 * 1024, 16 * 1024, 64 * 1024 * 1024),
    relayBatchSize: r.int('OUTBOX_RELAY_BATCH_SIZE', 1000, 1, 10000),
    relayMaxRequestBytes: r.int('OUTBOX_RELAY_MAX_REQUEST_BYTES', 900_000, 10_000, 100_000_000),
    relayIdlePollMs: r.int('OUTBOX_RELAY_IDLE_POLL_MS', 1000, 10, 60000),
    sweeperEnabled: r.bool('SWEEPER_ENABLED', true),
    sweeperIntervalMs: r.int('SWEEPER_INTERVAL_MS', 10000, 100, 3600000),
    sweeperBatchSize: r.int('SWEEPER_BATCH_SIZE', 200, 1, 5000),
    consumerLagIntervalMs: r.int('CONSUMER_LAG_INTERVAL_MS', 15000, 0, 3600000),
    healthDbTimeoutMs: r.int('HEALTH_DB_TIMEOUT_MS', 1000, 50, 60000),
    healthKafkaCacheMs: r.int('HEALTH_KAFKA_CACHE_MS', 5000, 0, 600000),
    outboxReadyMaxAgeMs: r.int('OUTBOX_READY_MAX_AGE_MS', 60000, 1000, 86400000),
    retentionDays: r.int('RETENTION_DAYS', 7, 0, 3650),
    housekeepingIntervalMs: r.int('HOUSEKEEPING_INTERVAL_MS', 3600000, 1000, 86400000),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    legacyReviewStatusUpdates: r.bool('LEGACY_REVIEW_STATUS_UPDATES', true),
    reviewVideoUrlKey: videoUrlKey(r),
    tracing: readTracingSettings(r),
  };
  if (config.consumerLagIntervalMs > 0 && config.consumerLagIntervalMs < 1000) {
    r.problem('CONSUMER_LAG_INTERVAL_MS must be 0 (off) or at least 1000');
  }
  r.done('attempt-service');
  return config;
}

/** Kafka topic names: 1–249 of `[a-zA-Z0-9._-]`, as the broker accepts them. */
function topic(r: EnvReader, name: string, fallback: string): string {
  const value = r.string(name, fallback);
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(value)) r.problem(`${name} must be a Kafka topic name (letters, digits, '.', '_', '-')`);
  return value;
}

function groupId(r: EnvReader, name: string, fallback: string): string {
  const value = r.string(name, fallback);
  if (value.length > 255 || /[\s\p{Cc}]/u.test(value)) r.problem(`${name} must be at most 255 characters, without whitespace`);
  return value;
}

/** The CloudEvents `source` of every event: a non-empty URI reference. */
function eventSource(r: EnvReader): string {
  const value = r.string('EVENT_SOURCE', 'urn:proctoring:attempt-service');
  if (value.length > 255 || /[\s\p{Cc}]/u.test(value)) r.problem('EVENT_SOURCE must be a URI reference without whitespace');
  return value;
}

/** The review and outcomes topics of every provider of the providers file, whose names must fit a topic name. */
function reviewTopics(r: EnvReader, providers: string[]): Record<string, { reviews: string; outcomes: string }> {
  const suffix = r.string('TOPIC_REVIEWS_SUFFIX', '');
  if (!/^[a-zA-Z0-9._-]{0,100}$/.test(suffix)) r.problem("TOPIC_REVIEWS_SUFFIX must be at most 100 of letters, digits, '.', '_', '-'");
  const out: Record<string, { reviews: string; outcomes: string }> = {};
  for (const p of providers) {
    if (!PROVIDER_NAME_PATTERN.test(p)) {
      r.problem(`PROVIDERS_FILE: provider names must match ${PROVIDER_NAME_PATTERN.source} (they name review topics)`);
      continue;
    }
    const t = providerReviewTopics(p);
    out[p] = { reviews: t.reviews + suffix, outcomes: t.outcomes + suffix };
  }
  return out;
}

function videoUrlKey(r: EnvReader): Buffer | null {
  const value = r.optionalString('REVIEW_VIDEO_URL_KEY');
  if (value === undefined || value === '') return null;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) r.problem('REVIEW_VIDEO_URL_KEY must be 32 bytes, base64-encoded');
  return key.length === 32 ? key : null;
}
