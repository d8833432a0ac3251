import type { Producer, ProducerRecord } from 'kafkajs';
import { EMAIL_DELIVERY_FAILED_EXAMPLE } from '../../../../libs/contracts/src/message.examples';
import { validateEmailDeliveryFailed } from '../../../../libs/contracts/src';
import type { FailedDelivery } from '../persistence/delivery-ledger.repository';
import { deadLetterId, NotifierDlqPublisher, toEmailDeliveryFailed } from './notifier-dlq.publisher';

const row = (o: Partial<FailedDelivery> = {}): FailedDelivery => ({
  eventId: 'c0a80101-0000-4000-8000-000000000003',
  attemptId: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10',
  userId: '4711',
  correlationId: 'review-98211',
  requeues: 0,
  reason: 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
  statusCode: 400,
  attempts: 1,
  failedAt: new Date('2025-11-25T12:30:05.000Z'),
  ...o,
});

describe('deadLetterId', () => {
  it('is a version 5 UUID, the same for the same failure', () => {
    const id = deadLetterId('event-1', 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deadLetterId('event-1', 0)).toBe(id);
  });

  it('differs per event and per requeue (each failure of a row is a new message)', () => {
    const ids = new Set([deadLetterId('event-1', 0), deadLetterId('event-1', 1), deadLetterId('event-2', 0), deadLetterId('1:event-1', 0)]);
    expect(ids.size).toBe(4);
  });

  it('is the id the contract example shows', () => {
    expect(deadLetterId(EMAIL_DELIVERY_FAILED_EXAMPLE.data.eventId, 0)).toBe(EMAIL_DELIVERY_FAILED_EXAMPLE.id);
  });
});

describe('toEmailDeliveryFailed', () => {
  it('maps a failed ledger row to the contract example, which validates strictly', () => {
    const event = toEmailDeliveryFailed(row(), 'urn:proctoring:notifier');
    expect(event).toEqual(EMAIL_DELIVERY_FAILED_EXAMPLE);
    expect(validateEmailDeliveryFailed(JSON.parse(JSON.stringify(event)), { strict: true }).ok).toBe(true);
  });

  it('uses the event id as correlation id when the row has none, and the configured source', () => {
    const event = toEmailDeliveryFailed(row({ correlationId: null }), 'urn:example:mailer');
    expect(event).toMatchObject({ source: 'urn:example:mailer', correlationid: row().eventId, causationid: row().eventId });
  });

  it('keeps the message valid for odd rows: no status code, an empty or very long reason', () => {
    const long = `${'é'.repeat(999)}😀 and more`;
    for (const r of [row({ statusCode: null }), row({ statusCode: 42 }), row({ reason: '' }), row({ reason: long })]) {
      const event = toEmailDeliveryFailed(r, 'urn:proctoring:notifier');
      expect(validateEmailDeliveryFailed(JSON.parse(JSON.stringify(event)), { strict: true })).toMatchObject({ ok: true });
    }
    expect(toEmailDeliveryFailed(row({ reason: long }), 's').data.reason).toBe(`${'é'.repeat(999)}😀`);
    expect(toEmailDeliveryFailed(row({ reason: '' }), 's').data.reason).toBe('failed');
    expect(toEmailDeliveryFailed(row({ statusCode: 42 }), 's').data.statusCode).toBeNull();
  });
});

describe('NotifierDlqPublisher', () => {
  it('sends one CloudEvent per row, keyed by user, with the content type and dlq headers, acks all', async () => {
    const sent: ProducerRecord[] = [];
    const producer = { send: async (r: ProducerRecord) => void sent.push(r) } as unknown as Producer;
    const publisher = new NotifierDlqPublisher(producer, 'dlq-topic', 'urn:proctoring:notifier');
    await publisher.publish([]);
    expect(sent).toHaveLength(0);
    await publisher.publish([row(), row({ eventId: 'other', userId: '42' })]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'dlq-topic', acks: -1 });
    const [first, second] = sent[0].messages;
    expect(first.key).toBe('4711');
    expect(second.key).toBe('42');
    expect(JSON.parse(String(first.value))).toEqual(EMAIL_DELIVERY_FAILED_EXAMPLE);
    expect(first.headers).toEqual({
      'content-type': 'application/cloudevents+json',
      'dlq-reason': 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
      'dlq-failed-at': '2025-11-25T12:30:05.000Z',
    });
  });
});
