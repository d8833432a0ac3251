import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { parseEvent, readTraceContext, TOPICS } from '../../../../libs/contracts/src';
import type { InboundBatch } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { DeliveryWorker } from '../application/delivery.worker';
import { RecordStatusEmailsUseCase } from '../application/record-status-emails.use-case';
import { NOTIFIER_LOGGER } from '../notifier.tokens';

/** The handler's pattern; the topic it is subscribed to is configuration (TOPIC_ATTEMPT_EVENTS). */
export const ATTEMPT_EVENTS_PATTERN = TOPICS.attemptEvents;

/**
 * Thin handler (STYLE habit 4): parse, call the use case, wake the sender, log one line. Unreadable
 * or irrelevant events are counted and skipped; only a database fault throws (and the transport
 * retries the batch without committing its offsets).
 */
@Controller()
export class AttemptEventsConsumer {
  constructor(
    @Inject(RecordStatusEmailsUseCase) private readonly recordStatusEmails: RecordStatusEmailsUseCase,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(NOTIFIER_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(ATTEMPT_EVENTS_PATTERN)
  async onAttemptEvents(@Payload() batch: InboundBatch): Promise<void> {
    const summary = await this.recordStatusEmails.execute(
      batch.messages.map((m) => parseEvent(m.value)),
      // the transport trace context (the attempt-service's publish span), validated like any input
      batch.messages.map((m) => readTraceContext(m.headers)),
    );
    if (summary.recorded > 0) this.worker.wake();
    const { recordedIds: _ids, foreignSources, ...counts } = summary;
    const fields = {
      topic: batch.topic,
      partition: batch.partition,
      fromOffset: batch.messages[0]?.offset,
      toOffset: batch.messages[batch.messages.length - 1]?.offset,
      ...counts,
    };
    if (summary.foreignSource > 0) {
      // Never the event's data (learner PII): where it came from and how many.
      this.logger.warn({ ...fields, foreignSources }, 'attempt events from an untrusted source ignored (check NOTIFIER_TRUSTED_SOURCES and the topic ACLs)');
    } else if (summary.recorded > 0 || summary.retired > 0 || summary.unreadable > 0 || summary.expired > 0 || summary.refused > 0) this.logger.info(fields, 'attempt events recorded');
    else this.logger.debug(fields, 'attempt events recorded');
  }
}
