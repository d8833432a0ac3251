import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { autovacuumWarning } from '../../../libs/platform/src/database/churn-autovacuum';
import { ensureDatabase } from '../../../libs/platform/src/database/ensure-database';
import { openPgPool } from '../../../libs/platform/src/database/pg-pool';
import { KafkaBatchTransport } from '../../../libs/platform/src/kafka/kafka-batch.transport';
import { KafkaAdminClient } from '../../../libs/platform/src/kafka/kafka-admin.client';
import { createKafka } from '../../../libs/platform/src/kafka/kafka-client';
import { javaCompatiblePartitioner } from '../../../libs/platform/src/kafka/murmur2.partitioner';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import { startTracing, type Tracing } from '../../../libs/platform/src/tracing/tracing';
import type { NotifierConfig } from './config/notifier.config';
import type { EmailSender } from './email/email-sender.port';
import { FileSender } from './email/file.sender';
import { SendGridSender } from './email/sendgrid.sender';
import { PinoNestLogger } from '../../../libs/platform/src/nest/pino-nest.logger';
import { ATTEMPT_EVENTS_PATTERN } from './messaging/attempt-events.consumer';
import { NotifierDlqPublisher } from './messaging/notifier-dlq.publisher';
import { NotifierMetrics } from './application/notifier.metrics';
import { NotifierModule } from './notifier.module';
import { migrateNotifierSchema, NOTIFIER_APPLICATION_NAME, notifierDataSourceOptions } from './persistence/data-source';
import { SCHEMA_NAME } from './persistence/email-delivery.row';

export interface NotifierAppOptions {
  /** Replaces the configured email driver (tests). */
  sender?: EmailSender;
  /** The ledger schema (default: NOTIFIER_SCHEMA from the config, `notifier`; tests use throwaway ones). */
  schema?: string;
  /** Register SIGTERM/SIGINT handlers that drain and close (main.ts: yes; tests: no). */
  shutdownHooks?: boolean;
  /** Tracing to use instead of the configured one (tests: an in-memory exporter); the caller shuts it down. */
  tracing?: Tracing;
}

/**
 * Builds the notifier as main.ts runs it: connects PostgreSQL (migrating it when configured) and the
 * Kafka producer, picks the email driver, and creates the Nest app with the Kafka consumer attached.
 * Nothing consumes or sends until `start()` is called.
 */
export async function createNotifierApp(
  config: NotifierConfig,
  logger: Logger,
  options: NotifierAppOptions = {},
): Promise<INestApplication> {
  const tracing = options.tracing ?? (await startTracing(config.tracing, { serviceName: 'notifier' }));
  const schema = options.schema ?? config.schema;
  const pool = await connectDatabase(config, logger, schema);
  const kafka = createKafka(config.kafka, logger);
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: javaCompatiblePartitioner,
  });
  try {
    await producer.connect();
  } catch (e) {
    await pool.end();
    throw e;
  }
  const kafkaAdmin = new KafkaAdminClient(kafka, logger.child({ component: 'kafka-admin' }));
  const sender = options.sender ?? createSender(config);
  logger.info({ driver: sender.name, tracing: tracing.enabled }, 'email driver selected');

  const consumer: KafkaBatchTransport = new KafkaBatchTransport({
    kafka,
    groupId: config.groupId,
    subscriptions: [{ topic: config.topics.attemptEvents, pattern: ATTEMPT_EVENTS_PATTERN }],
    logger: logger.child({ component: 'consumer' }),
    onRestart: () => app.get(NotifierMetrics).consumerRestarts.inc(),
  });
  const app = await NestFactory.create(
    NotifierModule.register({
      config,
      logger,
      pool,
      schema,
      sender,
      dlqPublisher: new NotifierDlqPublisher(producer, config.topics.notifierDlq, config.eventSource),
      kafkaAdmin,
      consumer,
      closers: [
        { name: 'kafka producer', close: () => producer.disconnect() },
        { name: 'kafka admin', close: () => kafkaAdmin.close() },
        { name: 'database', close: () => pool.end() },
        // last: the spans of the final sends are exported too
        ...(options.tracing ? [] : [{ name: 'tracing', close: () => tracing.shutdown() }]),
      ],
      tracing,
    }),
    { logger: new PinoNestLogger(logger.child({ component: 'nest' })), abortOnError: false },
  );
  if (options.shutdownHooks !== false) app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  app.connectMicroservice({ strategy: consumer }, { inheritAppConfig: true });
  return app;
}

/** Starts consuming and serving HTTP (the worker starts with the app). */
export async function startNotifierApp(app: INestApplication, config: NotifierConfig): Promise<void> {
  await app.startAllMicroservices();
  await app.listen(config.httpPort, config.httpHost);
}

/** Migrates the ledger's schema when configured (TypeORM), then opens the pool its statements run on. */
async function connectDatabase(config: NotifierConfig, logger: Logger, schema: string): Promise<Pool> {
  const { url, ssl, poolSize, timeouts } = config.database;
  if (!SCHEMA_NAME.test(schema)) throw new Error('the notifier schema name must be a lower-case SQL identifier');
  if (config.migrateOnStart) {
    await ensureDatabase(url);
    const dataSource = await new DataSource(notifierDataSourceOptions(url, { ssl, schema, timeouts })).initialize();
    try {
      await migrateNotifierSchema(dataSource);
    } finally {
      await dataSource.destroy();
    }
    logger.info('notifier schema migrated');
  }
  const pool = await openPgPool({ url, ssl, poolSize, timeouts, applicationName: NOTIFIER_APPLICATION_NAME }, (e) =>
    logger.warn({ err: e }, 'an idle database connection failed'),
  );
  const vacuum = await autovacuumWarning(pool);
  if (vacuum) logger.warn(vacuum);
  return pool;
}

function createSender(config: NotifierConfig): EmailSender {
  const email = config.email;
  switch (email.driver) {
    case 'sendgrid':
      return new SendGridSender({ apiKey: email.apiKey, baseUrl: email.baseUrl, timeoutMs: email.timeoutMs });
    case 'file':
      return new FileSender({ outboxDir: email.outboxDir });
  }
}
