import type { Producer } from 'kafkajs';
import { DLQ_HEADERS, TOPICS, type FailedEmail } from '../../../../libs/contracts/src';
import type { FailedEmailPublisher } from '../application/failed-email.port';
import type { FailedDelivery } from '../persistence/delivery-ledger.repository';

/**
 * Publishes failed emails to `proctoring.notifier.dlq.v1` (contract `FailedEmail`: plain JSON, key
 * userId, no address and no content), acknowledged by all in-sync replicas. At least once: a crash
 * between publishing and marking the ledger publishes the row again.
 */
export class NotifierDlqPublisher implements FailedEmailPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string = TOPICS.notifierDlq,
  ) {}

  async publish(rows: readonly FailedDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: rows.map((r) => {
        const value: FailedEmail = {
          eventId: r.eventId,
          attemptId: r.attemptId,
          userId: r.userId,
          reason: (r.reason || 'failed').slice(0, 1000),
          statusCode: r.statusCode !== null && r.statusCode >= 100 && r.statusCode <= 599 ? r.statusCode : null,
          attempts: r.attempts,
          failedAt: r.failedAt.toISOString(),
        };
        return {
          key: r.userId,
          value: JSON.stringify(value),
          headers: {
            'content-type': 'application/json',
            [DLQ_HEADERS.reason]: value.reason.slice(0, 200),
            [DLQ_HEADERS.failedAt]: value.failedAt,
          },
        };
      }),
    });
  }
}
