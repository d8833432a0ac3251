import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ensureDatabase } from '../../../libs/platform/src/database/ensure-database';
import { poolOf } from '../../../libs/platform/src/database/sql-runner';
import { connectIdempotentProducer, createKafka } from '../../../libs/platform/src/kafka/kafka-client';
import { KafkaBatchTransport } from '../../../libs/platform/src/kafka/kafka-batch.transport';
import { createLogger, type Logger } from '../../../libs/platform/src/logging/logger';
import { EventFactory } from './application/event-factory';
import { ProcessCommandsUseCase } from './application/process-commands.use-case';
import { AttemptServiceMetrics } from './attempt-service.metrics';
import type { AttemptServiceConfig } from './config/attempt-service.config';
import { ATTEMPT_COMMANDS } from './messaging/attempt-commands.consumer';
import { OutboxRelay } from './outbox/outbox-relay';
import { attemptDataSourceOptions } from './persistence/data-source';

/** Everything the attempt-service runs on, built and connected before Nest boots (fail fast). */
export interface AttemptServiceRuntime {
  config: AttemptServiceConfig;
  logger: Logger;
  dataSource: DataSource;
  pool: Pool;
  kafka: Kafka;
  metrics: AttemptServiceMetrics;
  processCommands: ProcessCommandsUseCase;
  events: EventFactory;
  relay: OutboxRelay;
  transport: KafkaBatchTransport;
}

export async function openDataSource(config: AttemptServiceConfig, migrate: boolean): Promise<DataSource> {
  await ensureDatabase(config.database.url);
  const dataSource = new DataSource(
    attemptDataSourceOptions(config.database.url, { ssl: config.database.ssl, poolSize: config.database.poolSize }),
  );
  await dataSource.initialize();
  if (migrate) await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

export async function createAttemptServiceRuntime(
  config: AttemptServiceConfig,
  opts: { logger?: Logger; migrate?: boolean } = {},
): Promise<AttemptServiceRuntime> {
  const logger = opts.logger ?? createLogger('attempt-service', config.logLevel);
  const dataSource = await openDataSource(config, opts.migrate ?? true);
  const pool = poolOf(dataSource);
  const kafka = createKafka(config.kafka, logger);
  const metrics = new AttemptServiceMetrics();
  const events = new EventFactory(config.topics, config.eventSource);
  const processCommands = new ProcessCommandsUseCase({
    pool,
    events,
    providers: config.providers,
    dlqTopic: config.topics.commandsDlq,
  });
  const relay = new OutboxRelay({
    pool,
    connectProducer: () => connectIdempotentProducer(kafka),
    logger: logger.child({ component: 'outbox-relay' }),
    metrics,
    batchSize: config.relayBatchSize,
    idlePollMs: config.relayIdlePollMs,
    retentionDays: config.retentionDays,
    housekeepingIntervalMs: config.housekeepingIntervalMs,
  });
  const transport = new KafkaBatchTransport({
    kafka,
    groupId: config.groupId,
    subscriptions: [{ topic: config.topics.commands, pattern: ATTEMPT_COMMANDS }],
    logger: logger.child({ component: 'consumer' }),
    maxBatchSize: config.maxBatchSize,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently,
  });
  return { config, logger, dataSource, pool, kafka, metrics, processCommands, events, relay, transport };
}

/** Called after the consumer has drained: publish what is left, then disconnect. */
export async function closeAttemptServiceRuntime(rt: AttemptServiceRuntime): Promise<void> {
  await rt.relay.stop();
  await rt.dataSource.destroy().catch((e: unknown) => rt.logger.warn({ err: e }, 'database close failed'));
}
