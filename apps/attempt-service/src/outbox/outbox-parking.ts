import { randomUUID } from 'node:crypto';
import { CLOUDEVENTS_CONTENT_TYPE, DATA_CONTENT_TYPE, DLQ_HEADERS, type EventDroppedEvent } from '../../../../libs/contracts/src';
import type { OutboxRecord } from './outbox-handoff';

/**
 * What a failed send means for the rows it carried (SPEC §8.5):
 * - `too-large`: the broker refused the request as too large. A row refused on its own is parked
 *   and replaced by an `EventDropped` marker; a chunk of several rows is split until it is.
 * - `blocked`: a topic is missing or the service is not authorised. Nothing is parked (the next
 *   attempt may succeed once an operator acts); retried with backoff, readiness degrades, an alert.
 * - `transient`: anything else (broker down, leader moving, timeouts): retried with backoff.
 */
export type PublishFailure =
  | { kind: 'too-large'; code: string }
  | { kind: 'blocked'; reason: BlockReason; code: string }
  | { kind: 'transient' };

/** The `reason` label of `proctoring_outbox_relay_blocked`. */
export type BlockReason = 'topic_missing' | 'not_authorised';
export const BLOCK_REASONS: readonly BlockReason[] = ['topic_missing', 'not_authorised'];

/** Broker refusals of a record or a record batch for its size (kafkajs protocol error types). */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
const TOPIC_MISSING = new Set(['UNKNOWN_TOPIC_OR_PARTITION']);
const NOT_AUTHORISED = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * Classifies an error from `producer.connect()` or `sendBatch()`. kafkajs wraps the broker's error in
 * `KafkaJSNumberOfRetriesExceeded` (retriable errors, e.g. a missing topic after the producer's
 * retries) or hands it over as is (non-retriable ones, e.g. MESSAGE_TOO_LARGE): the cause chain is
 * searched. Only the errors named above leave `transient`.
 */
export function classifyPublishError(error: unknown): PublishFailure {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && typeof e === 'object' && e !== null; depth++) {
    const x = e as ErrorLike;
    const type = typeof x.type === 'string' ? x.type : '';
    if (TOO_LARGE.has(type)) return { kind: 'too-large', code: type };
    if (TOPIC_MISSING.has(type)) return { kind: 'blocked', reason: 'topic_missing', code: type };
    if (NOT_AUTHORISED.has(type)) return { kind: 'blocked', reason: 'not_authorised', code: type };
    if (x.name === 'KafkaJSSASLAuthenticationError') return { kind: 'blocked', reason: 'not_authorised', code: 'SASL_AUTHENTICATION_FAILED' };
    e = x.cause;
  }
  return { kind: 'transient' };
}

/** What the readiness probe and the log say about a blocked reason. */
export function describeBlock(reason: BlockReason, code: string): string {
  switch (reason) {
    case 'topic_missing':
      return `topic does not exist (${code})`;
    case 'not_authorised':
      return `not authorised (${code})`;
  }
}

/** Bytes of a record as the broker counts its payload: value, key, header names and values. */
export function payloadBytes(r: Pick<OutboxRecord, 'key' | 'value' | 'headers'>): number {
  let n = r.value.length + (r.key === null ? 0 : Buffer.byteLength(r.key));
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/** Values larger than this are not parsed for their envelope (the marker then uses the row's columns). */
const ENVELOPE_PARSE_LIMIT = 16 * 1024 * 1024;

interface Envelope {
  id?: string;
  source?: string;
  subject?: string;
  causationid?: string;
  correlationid?: string;
  sequence?: string;
}

/** The CloudEvents attributes of one of our events (never its data); empty for anything else. */
function envelopeOf(row: OutboxRecord): Envelope {
  if (row.headers['ce-type'] === undefined || row.value.length > ENVELOPE_PARSE_LIMIT) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.value.toString('utf8'));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const o = parsed as Record<string, unknown>;
  const text = (k: keyof Envelope) => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
  return {
    id: text('id'),
    source: text('source'),
    subject: text('subject'),
    causationid: text('causationid'),
    correlationid: text('correlationid'),
    sequence: text('sequence'),
  };
}

/** The type of the message a row carries: its `ce-type`, `UnreadableCommand` for a dead letter. */
export function droppedTypeOf(row: Pick<OutboxRecord, 'headers'>): string {
  const type = row.headers['ce-type'];
  if (type) return type.slice(0, 255);
  if (row.headers[DLQ_HEADERS.reason] !== undefined) return 'UnreadableCommand';
  return 'unknown';
}

/**
 * The `EventDropped` marker that replaces a refused row on its topic: same key, and the same `id`,
 * `source`, `subject`, `causationid`, `correlationid` and `sequence` as the event (a dead letter
 * has none of ours but its row's event id). Its data names what was dropped, never its content.
 */
export function droppedMarker(
  row: OutboxRecord,
  o: { eventId: string | null; source: string; now: Date; reason: string },
): { record: OutboxRecord; event: EventDroppedEvent } {
  const env = envelopeOf(row);
  const event: EventDroppedEvent = {
    specversion: '1.0',
    id: env.id ?? o.eventId ?? randomUUID(),
    source: env.source ?? o.source,
    type: 'EventDropped',
    time: o.now.toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    subject: env.subject,
    causationid: env.causationid,
    correlationid: env.correlationid,
    sequence: env.sequence,
    data: { droppedType: droppedTypeOf(row), reason: o.reason, sizeBytes: payloadBytes(row), topic: row.topic },
  };
  return {
    event,
    record: {
      id: row.id,
      topic: row.topic,
      key: row.key,
      // (JSON.stringify leaves out the attributes that are undefined)
      value: Buffer.from(JSON.stringify(event), 'utf8'),
      headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'ce-type': 'EventDropped' },
    },
  };
}
