import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { TOPICS } from '../../../../libs/contracts/src/topics';
import type { InboundBatch } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { BridgeEventsUseCase } from '../application/bridge-events.use-case';
import { BRIDGE_LOGGER } from '../openedx-bridge.tokens';

/** The handler's pattern; the topic it is subscribed to is configuration (TOPIC_ATTEMPT_EVENTS). */
export const ATTEMPT_EVENTS_PATTERN = TOPICS.attemptEvents;

/**
 * Thin handler (STYLE habit 4): hand the slice to the use case, log one line. A fault throws and the
 * transport retries the slice without committing its offsets.
 */
@Controller()
export class AttemptEventsConsumer {
  constructor(
    @Inject(BridgeEventsUseCase) private readonly bridge: BridgeEventsUseCase,
    @Inject(BRIDGE_LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(ATTEMPT_EVENTS_PATTERN)
  async onAttemptEvents(@Payload() batch: InboundBatch): Promise<void> {
    const summary = await this.bridge.execute(batch.messages);
    const fields = {
      partition: batch.partition,
      fromOffset: batch.messages[0]?.offset,
      toOffset: batch.messages[batch.messages.length - 1]?.offset,
      ...summary,
    };
    if (summary.published > 0 || summary.skipped > 0) this.logger.info(fields, 'attempt events bridged');
    else this.logger.debug(fields, 'attempt events bridged');
  }
}
