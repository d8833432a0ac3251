import { createHash } from 'node:crypto';
import type { Producer } from 'kafkajs';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  DLQ_HEADERS,
  EMAIL_DELIVERY_FAILED,
  SPEC_VERSION,
  TOPICS,
  type EmailDeliveryFailedEvent,
} from '../../../../libs/contracts/src';
import type { FailedEmailPublisher } from '../application/failed-email.port';
import type { FailedDelivery } from '../persistence/delivery-ledger.repository';

/** Default CloudEvents `source` of the notifier's messages (NOTIFIER_EVENT_SOURCE). */
export const NOTIFIER_EVENT_SOURCE = 'urn:proctoring:notifier';

/** The UUID namespace of EmailDeliveryFailed ids (fixed forever: changing it changes every id). */
const DLQ_ID_NAMESPACE = '81de4d7b-21cc-4ec1-aa8e-28a373ec15ed';

/**
 * The id of the DLQ message for one failure: a name-based UUID (RFC 4122 version 5, SHA-1) of the
 * failed event id and the row's requeue count. A row fails at most once per requeue, so each failure
 * has its own id, and publishing the same failure again (after a crash) gives the same id.
 */
export function deadLetterId(eventId: string, requeues: number): string {
  const hash = createHash('sha1')
    .update(Buffer.from(DLQ_ID_NAMESPACE.replace(/-/g, ''), 'hex'))
    .update(`${requeues}:${eventId}`, 'utf8')
    .digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The ledger row as the contract's `EmailDeliveryFailed` CloudEvent: everything in it comes from the
 * row, so a re-publish is byte for byte the same message. No address, no content.
 */
export function toEmailDeliveryFailed(row: FailedDelivery, source: string): EmailDeliveryFailedEvent {
  const failedAt = row.failedAt.toISOString();
  return {
    specversion: SPEC_VERSION,
    id: deadLetterId(row.eventId, row.requeues),
    source,
    type: EMAIL_DELIVERY_FAILED,
    time: failedAt,
    datacontenttype: DATA_CONTENT_TYPE,
    subject: row.attemptId,
    causationid: row.eventId,
    correlationid: row.correlationId ?? row.eventId,
    data: {
      eventId: row.eventId,
      attemptId: row.attemptId,
      userId: row.userId,
      reason: cut(row.reason || 'failed', 1000),
      statusCode: row.statusCode !== null && row.statusCode >= 100 && row.statusCode <= 599 ? row.statusCode : null,
      attempts: row.attempts,
      failedAt,
    },
  };
}

/** At most `max` code points (the contract counts lengths in code points), never half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}

/**
 * Publishes failed emails to `proctoring.notifier.dlq.v1` as `EmailDeliveryFailed` CloudEvents
 * (structured mode, key userId), acknowledged by all in-sync replicas. At least once: a crash between
 * publishing and marking the ledger publishes the row again, with the same id.
 */
export class NotifierDlqPublisher implements FailedEmailPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string = TOPICS.notifierDlq,
    private readonly source: string = NOTIFIER_EVENT_SOURCE,
  ) {}

  async publish(rows: readonly FailedDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: rows.map((r) => {
        const event = toEmailDeliveryFailed(r, this.source);
        return {
          key: r.userId,
          value: JSON.stringify(event),
          headers: {
            'content-type': CLOUDEVENTS_CONTENT_TYPE,
            [DLQ_HEADERS.reason]: cut(event.data.reason, 200),
            [DLQ_HEADERS.failedAt]: event.data.failedAt,
          },
        };
      }),
    });
  }
}
