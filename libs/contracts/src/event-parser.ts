import type { TSchema } from '@sinclair/typebox';
import { EMAIL_DELIVERY_FAILED, EmailDeliveryFailedSchema, type EmailDeliveryFailedEvent } from './dead-letter.schemas';
import { EVENT_SCHEMAS, EVENT_TYPES, isEventType, type DomainEvent } from './event.schemas';
import { check } from './schema-validator';
import { sanitizeTraceAttributes } from './trace-context';

export type EventValidation = { ok: true; event: DomainEvent } | { ok: false; errors: string[] };

export interface ValidateEventOptions {
  /**
   * Also fail on fields the contract does not declare (at every level it describes), and on an
   * event about an attempt whose `subject` is not its `data.attemptId`. Producers' contract tests
   * use it so that nothing undocumented leaks onto the wire; consumers never do, since fields may
   * be added within v1.
   */
  strict?: boolean;
}

/**
 * Checks an event (already parsed from JSON) against the v1 contract. Error messages name the
 * field path and never contain values.
 */
export function validateEvent(e: unknown, options: ValidateEventOptions = {}): EventValidation {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { ok: false, errors: ['(message) must be object'] };
  const type = (e as { type?: unknown }).type;
  if (!isEventType(type)) {
    return { ok: false, errors: [`/type must be one of ${EVENT_TYPES.map((t) => JSON.stringify(t)).join(', ')}`] };
  }
  const schema = EVENT_SCHEMAS[type];
  const result = check(schema, e);
  if (!result.ok) return { ok: false, errors: [result.error] };
  if (options.strict) {
    const undeclared = undeclaredFields(schema, e, '');
    if (undeclared.length > 0) return { ok: false, errors: undeclared.map((p) => `${p} is not declared by the contract`) };
    const event = e as DomainEvent;
    if ('attemptId' in event.data && event.subject !== event.data.attemptId) {
      return { ok: false, errors: ['/subject must be the attempt id (/data/attemptId)'] };
    }
  }
  return { ok: true, event: e as DomainEvent };
}

/**
 * Parses one Kafka message value from an events topic: the event, or `null` when the value is not
 * a valid v1 event (not JSON, unknown type, missing or mistyped field). Unknown fields are kept
 * and ignored. Never throws.
 */
export function parseEvent(value: Buffer | string | null): DomainEvent | null {
  try {
    if (value === null || value === undefined) return null;
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    const parsed: unknown = JSON.parse(text);
    // A malformed trace context is dropped (a new trace starts), never a reason to skip the event.
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) sanitizeTraceAttributes(parsed as Record<string, unknown>);
    const result = validateEvent(parsed);
    return result.ok ? result.event : null;
  } catch {
    return null;
  }
}

export type EmailDeliveryFailedValidation = { ok: true; event: EmailDeliveryFailedEvent } | { ok: false; errors: string[] };

/**
 * Checks a message of the notifier DLQ (`EmailDeliveryFailed`, already parsed from JSON) against the
 * v1 contract. `strict` as for `validateEvent`, plus: `subject` must be `data.attemptId` and
 * `causationid` must be `data.eventId`.
 */
export function validateEmailDeliveryFailed(e: unknown, options: ValidateEventOptions = {}): EmailDeliveryFailedValidation {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return { ok: false, errors: ['(message) must be object'] };
  if ((e as { type?: unknown }).type !== EMAIL_DELIVERY_FAILED) {
    return { ok: false, errors: [`/type must be ${JSON.stringify(EMAIL_DELIVERY_FAILED)}`] };
  }
  const result = check(EmailDeliveryFailedSchema, e);
  if (!result.ok) return { ok: false, errors: [result.error] };
  const event = e as EmailDeliveryFailedEvent;
  if (options.strict) {
    const undeclared = undeclaredFields(EmailDeliveryFailedSchema, e, '');
    if (undeclared.length > 0) return { ok: false, errors: undeclared.map((p) => `${p} is not declared by the contract`) };
    const errors: string[] = [];
    if (event.subject !== event.data.attemptId) errors.push('/subject must be the attempt id (/data/attemptId)');
    if (event.causationid !== event.data.eventId) errors.push('/causationid must be the failed event id (/data/eventId)');
    if (errors.length > 0) return { ok: false, errors };
  }
  return { ok: true, event };
}

/**
 * Parses one Kafka message value from the notifier DLQ: the `EmailDeliveryFailed`, or `null` when the
 * value is not a valid one. Never throws.
 */
export function parseEmailDeliveryFailed(value: Buffer | string | null): EmailDeliveryFailedEvent | null {
  try {
    if (value === null || value === undefined) return null;
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    const result = validateEmailDeliveryFailed(JSON.parse(text));
    return result.ok ? result.event : null;
  } catch {
    return null;
  }
}

type SchemaNode = { properties?: Record<string, SchemaNode> };

function undeclaredFields(schema: TSchema, value: unknown, path: string): string[] {
  const properties = (schema as SchemaNode).properties;
  if (!properties || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const found: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const sub = Object.prototype.hasOwnProperty.call(properties, key) ? properties[key] : undefined;
    if (!sub) found.push(`${path}/${key}`);
    else found.push(...undeclaredFields(sub as TSchema, v, `${path}/${key}`));
  }
  return found;
}
