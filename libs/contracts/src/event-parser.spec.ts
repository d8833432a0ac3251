import type { Static } from '@sinclair/typebox';
import { parseEvent, validateEvent } from './event-parser';
import {
  compareSequence,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  eventTopic,
  isEventOfType,
  type AttemptStatusChangedEvent,
  type DomainEvent,
  type EventOfType,
  type EventType,
} from './event.schemas';
import { EVENT_EXAMPLES } from './message.examples';
import { TOPICS } from './topics';

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const example = (t: EventType): Json => clone(EVENT_EXAMPLES[t]);
const dataOf = (e: Json) => e.data as Json;

// Compile-time: the hand-written envelope types are exactly what the schemas say.
type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typesMatch: { [T in EventType]: MutuallyAssignable<Static<(typeof EVENT_SCHEMAS)[T]>, EventOfType<T>> } = {
  AttemptCreated: true,
  AttemptStatusChanged: true,
  AttemptRemoved: true,
  AttemptReviewed: true,
  CommandProcessed: true,
  CommandRejected: true,
  CredentialRequirementUpdated: true,
  CredentialRequirementRemoved: true,
  EventDropped: true,
  LearnerRetired: true,
  AllowanceGranted: true,
  AllowanceRemoved: true,
  AttemptTimeLimitChanged: true,
};
const dataTypesMatch: Equals<AttemptStatusChangedEvent['data']['cascadeFromAttemptId'], string | undefined> = true;

describe('validateEvent', () => {
  it('the static types agree with the schemas (compile-time check)', () => {
    expect(Object.values(typesMatch).every(Boolean) && dataTypesMatch).toBe(true);
  });

  it.each(EVENT_TYPES)('accepts the %s example, also in strict mode', (type) => {
    expect(validateEvent(example(type))).toEqual({ ok: true, event: EVENT_EXAMPLES[type] });
    expect(validateEvent(example(type), { strict: true }).ok).toBe(true);
  });

  it('accepts unknown fields, except in strict mode', () => {
    const e = example('AttemptStatusChanged');
    e.partitionkey = 'u1';
    (dataOf(e).user as Json).locale = 'fr';
    expect(validateEvent(e).ok).toBe(true);
    expect(validateEvent(e, { strict: true })).toEqual({
      ok: false,
      errors: ['/data/user/locale is not declared by the contract', '/partitionkey is not declared by the contract'],
    });
  });

  it('accepts the optional fields being absent or present', () => {
    const changed = example('AttemptStatusChanged');
    dataOf(changed).cascadeFromAttemptId = '5e0d3c1a-9b8f-4e7d-a6c5-b4a3f2e1d0c9';
    expect(validateEvent(changed).ok).toBe(true);
    const processed = example('CommandProcessed');
    expect(processed.subject).toBeUndefined();
    expect(validateEvent(processed).ok).toBe(true);
  });

  it('accepts nullable fields as null and as values', () => {
    const created = example('AttemptCreated');
    Object.assign(dataOf(created), { courseName: null, provider: null, externalId: 'ext-1', startedAt: null });
    expect(validateEvent(created).ok).toBe(true);
  });

  it('accepts an empty commandType on a rejection (the type was unreadable)', () => {
    const e = example('CommandRejected');
    dataOf(e).commandType = '';
    expect(validateEvent(e).ok).toBe(true);
  });

  it.each<[string, EventType, (e: Json) => void, string]>([
    ['not an object', 'AttemptCreated', () => undefined, ''],
    ['unknown type', 'AttemptCreated', (e) => (e.type = 'AttemptExploded'), '/type must be one of'],
    ['missing type', 'AttemptCreated', (e) => delete e.type, '/type must be one of'],
    ['missing causationid', 'AttemptCreated', (e) => delete e.causationid, '/causationid is required'],
    ['missing correlationid', 'CommandProcessed', (e) => delete e.correlationid, '/correlationid is required'],
    ['missing time', 'AttemptRemoved', (e) => delete e.time, '/time is required'],
    ['missing datacontenttype', 'AttemptRemoved', (e) => delete e.datacontenttype, '/datacontenttype is required'],
    ['numeric sequence', 'AttemptCreated', (e) => (e.sequence = 41), '/sequence must be string'],
    ['sequence with a leading zero', 'AttemptCreated', (e) => (e.sequence = '041'), '/sequence must be a decimal integer'],
    ['negative sequence', 'AttemptCreated', (e) => (e.sequence = '-1'), '/sequence must be a decimal integer'],
    ['missing data field', 'AttemptStatusChanged', (e) => delete dataOf(e).requestedStatus, '/data/requestedStatus is required'],
    ['nullable field missing', 'AttemptStatusChanged', (e) => delete dataOf(e).courseName, '/data/courseName is required'],
    ['non-null field null', 'AttemptStatusChanged', (e) => (dataOf(e).examName = null), '/data/examName must be string'],
    ['version 0', 'AttemptStatusChanged', (e) => (dataOf(e).version = 0), '/data/version must be >= 1'],
    ['AttemptCreated version 2', 'AttemptCreated', (e) => (dataOf(e).version = 2), '/data/version must be 1'],
    ['bad startedAt', 'AttemptStatusChanged', (e) => (dataOf(e).startedAt = '25/11/2025'), '/data/startedAt must be an RFC 3339'],
    ['attemptId not a UUID', 'AttemptRemoved', (e) => (dataOf(e).attemptId = 'a-1'), '/data/attemptId must be a UUID'],
    ['bad removal reason', 'AttemptRemoved', (e) => (dataOf(e).reason = 'deleted'), '/data/reason must be one of "removed", "replaced"'],
    ['bad outcome', 'CommandProcessed', (e) => (dataOf(e).outcome = 'done'), '/data/outcome must be one of "applied", "noop"'],
    ['bad rejection reason', 'CommandRejected', (e) => (dataOf(e).reason = 'NOPE'), '/data/reason must be one of "INVALID_MESSAGE"'],
    ['bad credit status', 'CredentialRequirementUpdated', (e) => (dataOf(e).status = 'verified'), '/data/status must be one of "satisfied", "submitted", "failed"'],
    ['bad namespace', 'CredentialRequirementRemoved', (e) => (dataOf(e).namespace = 'exam'), '/data/namespace must be "proctored_exam"'],
    ['user without email', 'AttemptCreated', (e) => delete (dataOf(e).user as Json).email, '/data/user/email is required'],
  ])('rejects %s', (_name, type, mutate, message) => {
    const e = example(type);
    mutate(e);
    const result = validateEvent(_name === 'not an object' ? [e] : e);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toContain(message);
  });

  it('in strict mode, requires the subject of an attempt event to be the attempt id', () => {
    const e = example('CredentialRequirementUpdated');
    e.subject = '5e0d3c1a-9b8f-4e7d-a6c5-b4a3f2e1d0c9';
    expect(validateEvent(e).ok).toBe(true);
    expect(validateEvent(e, { strict: true })).toEqual({ ok: false, errors: ['/subject must be the attempt id (/data/attemptId)'] });
    delete e.subject;
    expect(validateEvent(e, { strict: true }).ok).toBe(false);
    expect(validateEvent(example('CommandProcessed'), { strict: true }).ok).toBe(true);
  });

  it('never puts a value into an error', () => {
    const e = example('AttemptStatusChanged');
    (dataOf(e).user as Json).email = 'ada-at-example.com';
    const result = validateEvent(e);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('ada-at-example.com');
  });
});

describe('parseEvent', () => {
  it.each(EVENT_TYPES)('parses the %s example from a string and from a Buffer', (type) => {
    const text = JSON.stringify(EVENT_EXAMPLES[type]);
    expect(parseEvent(text)).toEqual(EVENT_EXAMPLES[type]);
    expect(parseEvent(Buffer.from(text))).toEqual(EVENT_EXAMPLES[type]);
  });

  it.each<[string, Buffer | string | null]>([
    ['null', null],
    ['empty', ''],
    ['not JSON', '{'],
    ['an array', '[]'],
    ['a number', '7'],
    ['an unknown type', JSON.stringify({ ...EVENT_EXAMPLES.AttemptCreated, type: 'Other' })],
    ['a command', JSON.stringify({ specversion: '1.0', id: 'x', source: 'y', type: 'CreateAttempt', data: {} })],
    ['an invalid event', JSON.stringify({ ...EVENT_EXAMPLES.AttemptCreated, data: {} })],
  ])('returns null for %s', (_name, value) => {
    expect(parseEvent(value)).toBeNull();
  });

  it('narrows with isEventOfType', () => {
    const event = parseEvent(JSON.stringify(EVENT_EXAMPLES.AttemptStatusChanged)) as DomainEvent;
    expect(isEventOfType(event, 'AttemptStatusChanged')).toBe(true);
    expect(isEventOfType(event, 'AttemptCreated')).toBe(false);
    if (isEventOfType(event, 'AttemptStatusChanged')) expect(event.data.statusAlias).toBe('satisfactory');
  });
});

describe('eventTopic', () => {
  it.each<[EventType, string]>([
    ['AttemptCreated', TOPICS.attemptEvents],
    ['AttemptStatusChanged', TOPICS.attemptEvents],
    ['AttemptRemoved', TOPICS.attemptEvents],
    ['CommandProcessed', TOPICS.attemptEvents],
    ['CommandRejected', TOPICS.attemptEvents],
    ['CredentialRequirementUpdated', TOPICS.credentialEvents],
    ['CredentialRequirementRemoved', TOPICS.credentialEvents],
    ['EventDropped', TOPICS.attemptEvents],
  ])('%s → %s', (type, topic) => {
    expect(eventTopic(type)).toBe(topic);
  });
});

describe('compareSequence', () => {
  it('compares numerically, not as text', () => {
    expect(compareSequence('9', '10')).toBeLessThan(0);
    expect(compareSequence('10', '9')).toBeGreaterThan(0);
    expect(compareSequence('9223372036854775807', '9223372036854775806')).toBeGreaterThan(0);
    expect(compareSequence('42', '42')).toBe(0);
  });
});
