import { Module, type DynamicModule } from '@nestjs/common';
import type { Pool } from 'pg';
import { ConsumerLagMonitor } from '../../../libs/platform/src/kafka/consumer-lag.monitor';
import type { KafkaAdminAccess } from '../../../libs/platform/src/kafka/kafka-admin.client';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import type { Tracing } from '../../../libs/platform/src/tracing/tracing';
import { DeliveryWorker } from './application/delivery.worker';
import { FAILED_EMAIL_PUBLISHER, type FailedEmailPublisher } from './application/failed-email.port';
import { NotifierMetrics } from './application/notifier.metrics';
import { RecordStatusEmailsUseCase } from './application/record-status-emails.use-case';
import { RetryPolicy } from './application/retry.policy';
import { retentionMs, type NotifierConfig } from './config/notifier.config';
import { EMAIL_SENDER, type EmailSender } from './email/email-sender.port';
import { HealthController, healthModule } from '../../../libs/platform/src/health/health.controller';
import { Readiness } from '../../../libs/platform/src/health/readiness';
import type { KafkaBatchTransport } from '../../../libs/platform/src/kafka/kafka-batch.transport';
import { notifierReadiness } from './http/notifier.readiness';
import { MetricsController } from './http/metrics.controller';
import { AttemptEventsConsumer } from './messaging/attempt-events.consumer';
import type { Closer } from '../../../libs/platform/src/nest/closers';
import { NotifierLifecycle } from './notifier.lifecycle';
import { NOTIFIER_CLOSERS, NOTIFIER_CONFIG, NOTIFIER_CONSUMER, NOTIFIER_LOGGER } from './notifier.tokens';
import { DeliveryLedgerRepository } from './persistence/delivery-ledger.repository';

/** What main.ts (or a test) builds before Nest starts: validated config and connected resources. */
export interface NotifierModuleDeps {
  config: NotifierConfig;
  logger: Logger;
  /** The pg pool every ledger statement runs on (closed by a closer). */
  pool: Pool;
  /** The ledger's schema, migrated. */
  schema: string;
  sender: EmailSender;
  dlqPublisher: FailedEmailPublisher;
  /** The attempt events consumer the app connects as its microservice (readiness reads its state). */
  consumer: KafkaBatchTransport;
  /** For the consumer lag gauge (closed by a closer). */
  kafkaAdmin: KafkaAdminAccess;
  /** Released in order on shutdown, after the worker has drained. */
  closers?: Closer[];
  /** OpenTelemetry (default: off). */
  tracing?: Tracing;
}

@Module({})
export class NotifierModule {
  static register(deps: NotifierModuleDeps): DynamicModule {
    const { config } = deps;
    return {
      module: NotifierModule,
      imports: [healthModule()],
      controllers: [AttemptEventsConsumer, HealthController, MetricsController],
      providers: [
        { provide: NOTIFIER_CONFIG, useValue: config },
        { provide: NOTIFIER_LOGGER, useValue: deps.logger },
        { provide: NOTIFIER_CLOSERS, useValue: deps.closers ?? [] },
        { provide: EMAIL_SENDER, useValue: deps.sender },
        { provide: FAILED_EMAIL_PUBLISHER, useValue: deps.dlqPublisher },
        { provide: NOTIFIER_CONSUMER, useValue: deps.consumer },
        {
          provide: DeliveryLedgerRepository,
          useFactory: () => new DeliveryLedgerRepository(deps.pool, deps.schema),
        },
        {
          provide: NotifierMetrics,
          useFactory: (ledger: DeliveryLedgerRepository) => new NotifierMetrics(() => ledger.backlog()),
          inject: [DeliveryLedgerRepository],
        },
        {
          provide: ConsumerLagMonitor,
          useFactory: (metrics: NotifierMetrics, logger: Logger) =>
            new ConsumerLagMonitor({
              admin: deps.kafkaAdmin,
              groupId: config.groupId,
              topics: [config.topics.attemptEvents],
              gauge: metrics.consumerLag,
              logger: logger.child({ component: 'consumer-lag' }),
              intervalMs: config.consumerLagIntervalMs,
            }),
          inject: [NotifierMetrics, NOTIFIER_LOGGER],
        },
        {
          provide: RetryPolicy,
          useFactory: () =>
            new RetryPolicy({
              maxAttempts: config.delivery.maxAttempts,
              maxThrottled: config.delivery.maxThrottled,
              baseDelayMs: config.delivery.retryBaseMs,
              maxDelayMs: config.delivery.retryMaxMs,
            }),
        },
        {
          provide: DeliveryWorker,
          useFactory: (
            ledger: DeliveryLedgerRepository,
            sender: EmailSender,
            policy: RetryPolicy,
            dlq: FailedEmailPublisher,
            metrics: NotifierMetrics,
            logger: Logger,
          ) =>
            new DeliveryWorker(ledger, sender, policy, dlq, metrics, logger.child({ component: 'delivery-worker' }), {
              concurrency: config.delivery.concurrency,
              leaseMs: config.delivery.leaseMs,
              resendUnknown: config.delivery.resendUnknown,
              pollIntervalMs: config.delivery.pollIntervalMs,
              retentionMs: retentionMs(config),
              tracing: deps.tracing,
            }),
          inject: [DeliveryLedgerRepository, EMAIL_SENDER, RetryPolicy, FAILED_EMAIL_PUBLISHER, NotifierMetrics, NOTIFIER_LOGGER],
        },
        {
          provide: RecordStatusEmailsUseCase,
          useFactory: (ledger: DeliveryLedgerRepository, metrics: NotifierMetrics, sender: EmailSender) =>
            new RecordStatusEmailsUseCase(ledger, config.providers, metrics, {
              maxEventAgeMs: retentionMs(config),
              trustedSources: config.trustedSources,
              sender,
              tracing: deps.tracing,
            }),
          inject: [DeliveryLedgerRepository, NotifierMetrics, EMAIL_SENDER],
        },
        {
          provide: Readiness,
          useFactory: (ledger: DeliveryLedgerRepository, worker: DeliveryWorker, metrics: NotifierMetrics, logger: Logger) =>
            notifierReadiness({
              ping: () => ledger.ping(),
              consumer: deps.consumer,
              worker,
              gauge: metrics.ready,
              logger: logger.child({ component: 'readiness' }),
            }),
          inject: [DeliveryLedgerRepository, DeliveryWorker, NotifierMetrics, NOTIFIER_LOGGER],
        },
        NotifierLifecycle,
      ],
    };
  }
}
