import { EMAIL_DELIVERY_FAILED, type EmailDeliveryFailedEvent } from './dead-letter.schemas';
import { parseEmailDeliveryFailed, parseEvent, validateEmailDeliveryFailed } from './event-parser';
import { EMAIL_DELIVERY_FAILED_EXAMPLE } from './message.examples';

type Json = Record<string, unknown>;
const example = (): Json => JSON.parse(JSON.stringify(EMAIL_DELIVERY_FAILED_EXAMPLE)) as Json;
const dataOf = (e: Json) => e.data as Json;

describe('EmailDeliveryFailed (notifier DLQ)', () => {
  it('accepts the example, strictly', () => {
    expect(validateEmailDeliveryFailed(example(), { strict: true })).toEqual({ ok: true, event: EMAIL_DELIVERY_FAILED_EXAMPLE });
    expect(parseEmailDeliveryFailed(JSON.stringify(example()))).toEqual(EMAIL_DELIVERY_FAILED_EXAMPLE);
    expect(parseEmailDeliveryFailed(Buffer.from(JSON.stringify(example())))).toEqual(EMAIL_DELIVERY_FAILED_EXAMPLE);
  });

  it('is a CloudEvent: every envelope attribute but sequence is required', () => {
    for (const attribute of ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'subject', 'causationid', 'correlationid', 'data']) {
      const e = example();
      delete e[attribute];
      expect({ attribute, ok: validateEmailDeliveryFailed(e).ok }).toEqual({ attribute, ok: false });
    }
    expect(validateEmailDeliveryFailed({ ...example(), specversion: '0.3' })).toEqual({ ok: false, errors: ['/specversion must be "1.0"'] });
    expect(validateEmailDeliveryFailed({ ...example(), subject: 'not-a-uuid' }).ok).toBe(false);
  });

  it('requires every data field', () => {
    for (const field of ['eventId', 'attemptId', 'userId', 'reason', 'statusCode', 'attempts', 'failedAt']) {
      const e = example();
      delete dataOf(e)[field];
      expect({ field, ok: validateEmailDeliveryFailed(e).ok }).toEqual({ field, ok: false });
    }
    const noResponse = example();
    dataOf(noResponse).statusCode = null;
    expect(validateEmailDeliveryFailed(noResponse).ok).toBe(true);
  });

  it('ignores unknown fields, except in strict mode', () => {
    const e = { ...example(), extra: 1, data: { ...dataOf(example()), email: 'x' } };
    expect(validateEmailDeliveryFailed(e).ok).toBe(true);
    expect(validateEmailDeliveryFailed(e, { strict: true })).toEqual({
      ok: false,
      errors: ['/data/email is not declared by the contract', '/extra is not declared by the contract'],
    });
  });

  it('strict mode ties subject and causationid to the data', () => {
    const e = example();
    e.subject = '11111111-2222-4333-8444-555555555555';
    e.causationid = 'another-event';
    expect(validateEmailDeliveryFailed(e, { strict: true })).toEqual({
      ok: false,
      errors: ['/subject must be the attempt id (/data/attemptId)', '/causationid must be the failed event id (/data/eventId)'],
    });
  });

  it('is not a domain event, and domain events are not dead letters', () => {
    expect(parseEvent(JSON.stringify(example()))).toBeNull();
    expect(validateEmailDeliveryFailed({ ...example(), type: 'AttemptStatusChanged' })).toEqual({
      ok: false,
      errors: [`/type must be "${EMAIL_DELIVERY_FAILED}"`],
    });
    expect(parseEmailDeliveryFailed('not json')).toBeNull();
    expect(parseEmailDeliveryFailed(null)).toBeNull();
    expect(validateEmailDeliveryFailed([]).ok).toBe(false);
  });

  it('has the literal types of the wire (compile-time check)', () => {
    const e: EmailDeliveryFailedEvent = EMAIL_DELIVERY_FAILED_EXAMPLE;
    const type: 'EmailDeliveryFailed' = e.type;
    const specversion: '1.0' = e.specversion;
    expect([type, specversion]).toEqual(['EmailDeliveryFailed', '1.0']);
  });
});
