import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { autovacuumWarning } from '../../../libs/platform/src/database/churn-autovacuum';
import { ensureDatabase } from '../../../libs/platform/src/database/ensure-database';
import { openPgPool } from '../../../libs/platform/src/database/pg-pool';
import { createKafka } from '../../../libs/platform/src/kafka/kafka-client';
import { KafkaBatchTransport } from '../../../libs/platform/src/kafka/kafka-batch.transport';
import { createLogger, type Logger } from '../../../libs/platform/src/logging/logger';
import { startTracing, type Tracing } from '../../../libs/platform/src/tracing/tracing';
import type { EventFactory } from './application/event-factory';
import type { ProcessCommandsUseCase } from './application/process-commands.use-case';
import { createOutboxRelay, createProcessCommands } from './attempt-service.factories';
import { AttemptServiceMetrics } from './attempt-service.metrics';
import type { AttemptServiceConfig } from './config/attempt-service.config';
import { ConsumerLagMonitor } from './http/consumer-lag.monitor';
import { KafkaAdminClient } from '../../../libs/platform/src/kafka/kafka-admin.client';
import type { Readiness } from '../../../libs/platform/src/health/readiness';
import { attemptServiceReadiness } from './http/attempt-service.readiness';
import { ATTEMPT_COMMANDS, commandChannels } from './messaging/attempt-commands.consumer';
import { OutboxHandoff } from './outbox/outbox-handoff';
import type { OutboxRelay } from './outbox/outbox-relay';
import { AttemptReadRepository } from './persistence/attempt-read.repository';
import { ATTEMPT_SERVICE_APPLICATION_NAME, attemptDataSourceOptions } from './persistence/data-source';
import { VideoUrlCipher } from './persistence/review.row';
import { TimeoutSweeper } from './sweeper/timeout.sweeper';

/** Everything the attempt-service runs on, built and connected before Nest boots (fail fast). */
export interface AttemptServiceRuntime {
  config: AttemptServiceConfig;
  logger: Logger;
  /** The pool every statement runs on (TypeORM only migrates, at start). */
  pool: Pool;
  kafka: Kafka;
  metrics: AttemptServiceMetrics;
  processCommands: ProcessCommandsUseCase;
  events: EventFactory;
  relay: OutboxRelay;
  transport: KafkaBatchTransport;
  sweeper: TimeoutSweeper;
  reads: AttemptReadRepository;
  kafkaAdmin: KafkaAdminClient;
  /** /health/ready and `proctoring_ready`: database, consumer, kafka, outbox. */
  readiness: Readiness;
  lagMonitor: ConsumerLagMonitor;
  /** OpenTelemetry (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  tracing: Tracing;
  /** Whether the runtime started `tracing` (and so shuts it down on close). */
  ownsTracing: boolean;
}

/** Creates the database when missing and, when asked, brings the schema up to date (TypeORM's migrations). */
export async function migrateAttemptSchema(config: AttemptServiceConfig, migrate: boolean): Promise<void> {
  await ensureDatabase(config.database.url);
  if (!migrate) return;
  const dataSource = new DataSource(attemptDataSourceOptions(config.database.url, { ssl: config.database.ssl, timeouts: config.database.timeouts }));
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/** The service's pg pool, from the same settings as its DataSource. */
export function openAttemptServicePool(config: AttemptServiceConfig, logger: Logger, poolSize = config.database.poolSize): Promise<Pool> {
  return openPgPool(
    { url: config.database.url, ssl: config.database.ssl, poolSize, timeouts: config.database.timeouts, applicationName: ATTEMPT_SERVICE_APPLICATION_NAME },
    (e) => logger.warn({ err: e }, 'an idle database connection failed'),
  );
}

export async function createAttemptServiceRuntime(
  config: AttemptServiceConfig,
  opts: { logger?: Logger; migrate?: boolean; tracing?: Tracing } = {},
): Promise<AttemptServiceRuntime> {
  const logger = opts.logger ?? createLogger('attempt-service', config.logLevel);
  const tracing = opts.tracing ?? (await startTracing(config.tracing, { serviceName: 'attempt-service' }));
  await migrateAttemptSchema(config, opts.migrate ?? config.migrateOnStart);
  const pool = await openAttemptServicePool(config, logger);
  const vacuum = await autovacuumWarning(pool);
  if (vacuum) logger.warn(vacuum);
  const kafka = createKafka(config.kafka, logger);
  const metrics = new AttemptServiceMetrics();
  // Outbox rows committed here go to this process's relay in memory (when it leads) as well as to the table.
  const handoff = new OutboxHandoff();
  const { events, processCommands } = createProcessCommands(config, pool, handoff, metrics, tracing);
  const relay = createOutboxRelay(config, pool, kafka, logger, metrics, handoff, tracing);
  const transport = new KafkaBatchTransport({
    kafka,
    groupId: config.groupId,
    // the commands topic and every provider's review topic: one consumer, the channel from the topic (SPEC §8.4)
    subscriptions: [...commandChannels(config.topics).keys()].map((topic) => ({ topic, pattern: ATTEMPT_COMMANDS })),
    logger: logger.child({ component: 'consumer' }),
    maxBatchSize: config.maxBatchSize,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
    onRetry: () => metrics.transientFailures.inc(),
    onRestart: () => metrics.consumerRestarts.inc(),
    stallTimeoutMs: config.consumerStallTimeoutMs,
    fetchMinBytes: config.fetchMinBytes,
    fetchMaxWaitMs: config.fetchMaxWaitMs,
    commitIntervalMs: config.commitIntervalMs,
    fetchMaxBytesPerPartition: config.fetchMaxBytesPerPartition,
  });
  const sweeper = new TimeoutSweeper({
    pool,
    processCommands,
    metrics,
    logger: logger.child({ component: 'timeout-sweeper' }),
    intervalMs: config.sweeperIntervalMs,
    batchSize: config.sweeperBatchSize,
  });
  const kafkaAdmin = new KafkaAdminClient(kafka, logger.child({ component: 'kafka-admin' }));
  const readiness = attemptServiceReadiness({
    pool,
    consumerState: () => transport.consumerState,
    admin: kafkaAdmin,
    dbTimeoutMs: config.healthDbTimeoutMs,
    kafkaTimeoutMs: 3000,
    kafkaCacheMs: config.healthKafkaCacheMs,
    relayBlocked: () => relay.blocked,
    outboxMaxAgeMs: config.outboxReadyMaxAgeMs,
    gauge: metrics.ready,
    logger: logger.child({ component: 'readiness' }),
  });
  const lagMonitor = new ConsumerLagMonitor({
    admin: kafkaAdmin,
    pool,
    metrics,
    logger: logger.child({ component: 'consumer-lag' }),
    groupId: config.groupId,
    topic: config.topics.commands,
    intervalMs: config.consumerLagIntervalMs,
  });
  const reads = new AttemptReadRepository(pool, config.reviewVideoUrlKey ? new VideoUrlCipher(config.reviewVideoUrlKey) : null);
  return {
    config,
    logger,
    pool,
    kafka,
    metrics,
    processCommands,
    events,
    relay,
    transport,
    sweeper,
    reads,
    kafkaAdmin,
    readiness,
    lagMonitor,
    tracing,
    ownsTracing: opts.tracing === undefined,
  };
}

/** Starts the background work that runs beside the consumer. */
export function startAttemptServiceRuntime(rt: AttemptServiceRuntime): void {
  rt.relay.start();
  if (rt.config.sweeperEnabled) rt.sweeper.start();
  rt.lagMonitor.start();
  rt.readiness.start();
}

/** Stops what changes state on its own (the sweeper) before the consumer drains. */
export async function stopAttemptServiceBackground(rt: AttemptServiceRuntime): Promise<void> {
  rt.readiness.stop();
  await Promise.all([rt.sweeper.stop(), rt.lagMonitor.stop()]);
}

/** Called after the consumer has drained: publish what is left, then disconnect. */
export async function closeAttemptServiceRuntime(rt: AttemptServiceRuntime): Promise<void> {
  await stopAttemptServiceBackground(rt);
  await rt.relay.stop();
  await rt.kafkaAdmin.close();
  await rt.pool.end().catch((e: unknown) => rt.logger.warn({ err: e }, 'database close failed'));
  // last: the spans of the relay's final publish are exported too
  if (rt.ownsTracing) await rt.tracing.shutdown().catch((e: unknown) => rt.logger.warn({ err: e }, 'trace export at shutdown failed'));
}

/**
 * Refuses to start, naming the topic, when a provider's review topic (or the commands topic) does not
 * exist (SPEC §8.4): subscribing to a missing topic would otherwise wait silently for it.
 */
export async function assertConsumedTopicsExist(rt: AttemptServiceRuntime): Promise<void> {
  const existing = new Set(await rt.kafkaAdmin.use((admin) => admin.listTopics()));
  const missing = [...commandChannels(rt.config.topics).keys()].filter((t) => !existing.has(t));
  if (missing.length > 0) throw new Error(`missing topic${missing.length > 1 ? 's' : ''} to consume: ${missing.join(', ')}`);
}
