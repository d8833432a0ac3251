import { hostname } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Producer } from 'kafkajs';
import { ensureDatabase } from '../../../libs/platform/src/database/ensure-database';
import { openPgPool } from '../../../libs/platform/src/database/pg-pool';
import { librdkafkaCompatiblePartitioner } from '../../../libs/platform/src/kafka/crc32.partitioner';
import { connectCompleteProducer, createKafka } from '../../../libs/platform/src/kafka/kafka-client';
import { KafkaBatchTransport } from '../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import { PinoNestLogger } from '../../../libs/platform/src/nest/pino-nest.logger';
import { BridgeEventsUseCase } from './application/bridge-events.use-case';
import { BridgeMetrics } from './application/bridge.metrics';
import type { OpenEdxBridgeConfig } from './config/openedx-bridge.config';
import { bridgeReadiness } from './http/bridge.readiness';
import { ATTEMPT_EVENTS_PATTERN } from './messaging/attempt-events.consumer';
import { EventBusKafkaPublisher } from './messaging/event-bus-kafka.publisher';
import { openEdxSource } from './openedx/event-bus-headers';
import { OpenEdxBridgeModule } from './openedx-bridge.module';
import { AttemptSnapshotRepository } from './persistence/attempt-snapshot.repository';
import { migrateOpenEdxBridgeSchema, openEdxBridgeDataSourceOptions } from './persistence/data-source';
import { SchemaRegistryClient } from './registry/schema-registry.client';

export interface OpenEdxBridgeAppOptions {
  /** Register SIGTERM/SIGINT handlers that drain and close (main.ts: yes; tests: no). */
  shutdownHooks?: boolean;
}

/**
 * Builds the bridge as main.ts runs it: PostgreSQL (migrated when configured), the idempotent producer,
 * the registry client, and the Nest app with the consumer of our events topic attached. Nothing is
 * consumed until `startOpenEdxBridgeApp`.
 */
export async function createOpenEdxBridgeApp(
  config: OpenEdxBridgeConfig,
  logger: Logger,
  options: OpenEdxBridgeAppOptions = {},
): Promise<INestApplication> {
  const dsOptions = openEdxBridgeDataSourceOptions(config.database.url, {
    schema: config.schema,
    ssl: config.database.ssl,
    poolSize: 4,
    timeouts: config.database.timeouts,
  });
  if (config.migrateOnStart) {
    await ensureDatabase(config.database.url);
    await migrateOpenEdxBridgeSchema(dsOptions, config.schema);
  }
  const pool = await openPgPool(
    { url: config.database.url, ssl: config.database.ssl, poolSize: 4, timeouts: config.database.timeouts, applicationName: 'openedx-bridge' },
    (e) => logger.warn({ err: e }, 'an idle database connection failed'),
  );

  const kafka = createKafka(config.kafka, logger);
  // One request in flight and acks=all: order per partition holds and nothing is acknowledged twice
  // (nor resolved unwritten: connectCompleteProducer).
  const connectProducer = (): Promise<Producer> => connectCompleteProducer(kafka, librdkafkaCompatiblePartitioner);
  const metrics = new BridgeMetrics();
  const publisher = new EventBusKafkaPublisher({
    connectProducer,
    registry: new SchemaRegistryClient({ url: config.registry.url, auth: config.registry.auth }),
    topic: config.openEdxTopic,
    source: openEdxSource(config.serviceName),
    sourcehost: hostname(),
  });
  // Fail fast at boot (STYLE habit 9): the broker must answer before anything is consumed.
  try {
    await publisher.connect();
  } catch (e) {
    await pool.end();
    throw e;
  }
  const useCase = new BridgeEventsUseCase(
    new AttemptSnapshotRepository(pool, config.schema),
    publisher,
    metrics,
    logger.child({ component: 'bridge' }),
    {
      settings: { resetRequestingUser: config.resetRequestingUser },
      trustedSources: config.trustedSources,
      retentionDays: config.retentionDays,
    },
  );
  const transport = new KafkaBatchTransport({
    kafka,
    groupId: config.groupId,
    sessionTimeoutMs: config.sessionTimeoutMs,
    subscriptions: [{ topic: config.attemptEventsTopic, pattern: ATTEMPT_EVENTS_PATTERN }],
    logger: logger.child({ component: 'consumer' }),
    onRetry: () => metrics.batchRetries.inc(),
  });
  const app = await NestFactory.create(
    OpenEdxBridgeModule.register({
      logger,
      metrics,
      useCase,
      readiness: bridgeReadiness({
        ping: () => pool.query('SELECT 1'),
        consumer: transport,
        gauge: metrics.ready,
        logger: logger.child({ component: 'readiness' }),
      }),
      closers: [
        { name: 'kafka producer', close: () => publisher.close() },
        { name: 'database', close: () => pool.end() },
      ],
    }),
    { logger: new PinoNestLogger(logger.child({ component: 'nest' })), abortOnError: false },
  );
  if (options.shutdownHooks !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  app.connectMicroservice({ strategy: transport }, { inheritAppConfig: true });
  return app;
}

export async function startOpenEdxBridgeApp(
  app: INestApplication,
  config: OpenEdxBridgeConfig,
): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(config.httpPort, config.httpHost);
}
