import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { relayProducerFactory } from '../../../libs/platform/src/kafka/relay-producer';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import type { Tracing } from '../../../libs/platform/src/tracing/tracing';
import { EventFactory } from './application/event-factory';
import { ProcessCommandsUseCase } from './application/process-commands.use-case';
import type { AttemptServiceMetrics } from './attempt-service.metrics';
import type { AttemptServiceConfig } from './config/attempt-service.config';
import { OutboxHandoff } from './outbox/outbox-handoff';
import { OutboxRelay } from './outbox/outbox-relay';
import { VideoUrlCipher } from './persistence/review.row';

/**
 * The pieces the service and the command line build the same way (kept free of Nest and the
 * transport, so the command line starts quickly): the one use case every change goes through, and
 * the outbox relay.
 */
export function createProcessCommands(
  config: AttemptServiceConfig,
  pool: Pool,
  handoff?: OutboxHandoff,
  metrics?: AttemptServiceMetrics,
  tracing?: Tracing,
): { events: EventFactory; processCommands: ProcessCommandsUseCase } {
  const events = new EventFactory(config.topics, config.eventSource);
  const processCommands = new ProcessCommandsUseCase({
    pool,
    events,
    providers: config.providers,
    dlqTopic: config.topics.commandsDlq,
    handoff,
    authority: { legacyReviewStatusUpdates: config.legacyReviewStatusUpdates },
    onLegacyReviewStatus: metrics ? () => metrics.legacyReviewStatusUpdates.inc() : undefined,
    reviewOutcomeTopics: Object.fromEntries(Object.entries(config.topics.reviews ?? {}).map(([p, t]) => [p, t.outcomes])),
    videoUrlCipher: config.reviewVideoUrlKey ? new VideoUrlCipher(config.reviewVideoUrlKey) : null,
    tracing,
  });
  return { events, processCommands };
}

/** The relay; pass the same `handoff` as to `createProcessCommands` so it need not read back what this process wrote. */
export function createOutboxRelay(
  config: AttemptServiceConfig,
  pool: Pool,
  kafka: Kafka,
  logger: Logger,
  metrics?: AttemptServiceMetrics,
  handoff?: OutboxHandoff,
  tracing?: Tracing,
): OutboxRelay {
  return new OutboxRelay({
    handoff,
    pool,
    connectProducer: relayProducerFactory(kafka, config.kafka, logger),
    logger: logger.child({ component: 'outbox-relay' }),
    metrics,
    batchSize: config.relayBatchSize,
    maxRequestBytes: config.relayMaxRequestBytes,
    idlePollMs: config.relayIdlePollMs,
    retentionDays: config.retentionDays,
    housekeepingIntervalMs: config.housekeepingIntervalMs,
    eventSource: config.eventSource,
    tracing,
  });
}
