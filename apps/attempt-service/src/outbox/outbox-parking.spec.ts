import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { validateEvent } from '../../../../libs/contracts/src';
import { classifyPublishError, droppedMarker, payloadBytes } from './outbox-parking';

/** A protocol error as kafkajs builds it from a broker's error code. */
const protocolError = (type: string, code: number, retriable = false) =>
  new KafkaJSProtocolError(Object.assign(new Error(`broker said ${type}`), { type, code, retriable }));

describe('classifyPublishError: only size refusals park; a missing topic or authorisation blocks; the rest is transient', () => {
  it.each([
    ['MESSAGE_TOO_LARGE', 10],
    ['RECORD_LIST_TOO_LARGE', 18],
  ])('%s is too large', (type, code) => {
    expect(classifyPublishError(protocolError(type, code))).toEqual({ kind: 'too-large', code: type });
  });

  it('a missing topic, as kafkajs reports it after the producer retries, blocks', () => {
    const e = new KafkaJSNumberOfRetriesExceeded(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, true), { retryCount: 10, retryTime: 5000 });
    expect(classifyPublishError(e)).toEqual({ kind: 'blocked', reason: 'topic_missing', code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it.each([
    ['TOPIC_AUTHORIZATION_FAILED', 29],
    ['CLUSTER_AUTHORIZATION_FAILED', 31],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53],
    ['SASL_AUTHENTICATION_FAILED', 58],
  ])('%s blocks as not authorised', (type, code) => {
    expect(classifyPublishError(protocolError(type, code))).toMatchObject({ kind: 'blocked', reason: 'not_authorised', code: type });
  });

  it('a SASL failure at connect blocks as not authorised', () => {
    const e = Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(classifyPublishError(e)).toMatchObject({ kind: 'blocked', reason: 'not_authorised' });
  });

  it.each([
    ['a broker outage', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')],
    ['a validation refusal that is not about size', protocolError('INVALID_RECORD', 87)],
    ['a leader moving', protocolError('NOT_LEADER_FOR_PARTITION', 6, true)],
    ['a plain error', new Error('boom')],
    ['not an error at all', 'boom'],
  ])('%s is transient', (_, e) => {
    expect(classifyPublishError(e)).toEqual({ kind: 'transient' });
  });
});

describe('droppedMarker: the EventDropped that takes a refused row’s place', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');
  const event = {
    specversion: '1.0',
    id: 'c0a80101-0000-4000-8000-00000000000a',
    source: 'urn:proctoring:attempt-service',
    type: 'AttemptStatusChanged',
    time: '2026-01-02T03:04:00.000Z',
    datacontenttype: 'application/json',
    subject: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10',
    causationid: 'cmd-1',
    correlationid: 'corr-1',
    sequence: '17',
    data: { user: { email: 'learner@example.com' }, blob: 'x'.repeat(50_000) },
  };

  it('keeps the id, key, source, subject, causation, correlation and sequence; carries no learner data', () => {
    const row = {
      id: '7',
      topic: 'proctoring.attempt.events.v1',
      key: 'user-1',
      value: Buffer.from(JSON.stringify(event)),
      headers: { 'content-type': 'application/cloudevents+json', 'ce-type': 'AttemptStatusChanged' },
    };
    const { record, event: marker } = droppedMarker(row, { eventId: event.id, source: 'other', now, reason: 'too large' });
    expect(marker).toEqual({
      specversion: '1.0',
      id: event.id,
      source: event.source,
      type: 'EventDropped',
      time: now.toISOString(),
      datacontenttype: 'application/json',
      subject: event.subject,
      causationid: 'cmd-1',
      correlationid: 'corr-1',
      sequence: '17',
      data: { droppedType: 'AttemptStatusChanged', reason: 'too large', sizeBytes: payloadBytes(row), topic: row.topic },
    });
    expect(record).toMatchObject({ id: '7', topic: row.topic, key: 'user-1', headers: { 'ce-type': 'EventDropped' } });
    expect(record.value.toString()).not.toContain('example.com');
    expect(record.value.length).toBeLessThan(1000);
    expect(validateEvent(JSON.parse(record.value.toString()), { strict: true })).toMatchObject({ ok: true });
  });

  it('stands in for a dead letter with the row’s event id and the service’s source, and no sequence', () => {
    const row = {
      id: '8',
      topic: 'proctoring.attempt.commands.v1.dlq',
      key: null,
      value: Buffer.from('not json at all'),
      headers: { 'dlq-reason': 'not JSON', 'dlq-source-topic': 'proctoring.attempt.commands.v1' },
    };
    const { record, event: marker } = droppedMarker(row, { eventId: 'row-event-id', source: 'urn:proctoring:attempt-service', now, reason: 'too large' });
    expect(marker).toMatchObject({ id: 'row-event-id', source: 'urn:proctoring:attempt-service', data: { droppedType: 'UnreadableCommand' } });
    const wire = JSON.parse(record.value.toString()) as Record<string, unknown>;
    expect(Object.keys(wire)).not.toEqual(expect.arrayContaining(['sequence']));
    expect(record.key).toBeNull();
    expect(validateEvent(wire, { strict: true })).toMatchObject({ ok: true });
  });

  it('does not trust a value that is not our JSON', () => {
    const row = { id: '9', topic: 't', key: 'k', value: Buffer.from('{"id": 5'), headers: { 'ce-type': 'AttemptCreated' } };
    expect(droppedMarker(row, { eventId: 'e9', source: 's', now, reason: 'too large' }).event).toMatchObject({ id: 'e9', source: 's' });
  });
});
