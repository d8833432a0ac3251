import { createHash } from 'node:crypto';
import {
  OPENEDX_EVENTS_VERSION,
  OPENEDX_EXAM_EVENT_TYPES,
  type OpenEdxExamEvent,
} from './exam-attempt.schema';

/**
 * The Kafka headers event-bus-kafka writes on every message (`_get_headers_from_metadata` in its
 * `internal/utils.py`), in its order: `ce_specversion`, `content-type`, `ce_datacontenttype`, then
 * one per `EventsMetadata` field — `ce_type`, `ce_id`, `ce_source`, `ce_time`, `ce_minorversion`,
 * `sourcehost`, `sourcelib`. Its consumer rebuilds the metadata from them (`ce_id` is required and
 * must be a UUID; `ce_time` is read with Python's `datetime.fromisoformat`).
 */
export interface EventBusMetadata {
  event: OpenEdxExamEvent;
  /** A UUID (`ceIdFor`). */
  id: string;
  /** The logical source, `openedx/<service>/web` (`openEdxSource`). */
  source: string;
  /** RFC 3339 time of the event. */
  time: string;
  /** The physical host that produced it. */
  sourcehost: string;
}

export function eventBusHeaders(m: EventBusMetadata): Record<string, string> {
  return {
    ce_specversion: '1.0',
    'content-type': 'application/avro',
    ce_datacontenttype: 'application/avro',
    ce_type: OPENEDX_EXAM_EVENT_TYPES[m.event],
    ce_id: m.id,
    ce_source: m.source,
    ce_time: pythonIsoformat(m.time),
    ce_minorversion: '0',
    sourcehost: m.sourcehost,
    sourcelib: OPENEDX_EVENTS_VERSION,
  };
}

/** openedx-events' `source`: `openedx/<EVENTS_SERVICE_NAME>/web`. */
export function openEdxSource(serviceName: string): string {
  return `openedx/${serviceName}/web`;
}

/**
 * A UTC time as Python's `datetime.isoformat()` writes it (what event-bus-kafka puts in `ce_time`):
 * `2026-12-04T13:30:49.123000+00:00`, microseconds left out when they are zero.
 */
export function pythonIsoformat(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new Error('not an RFC 3339 time');
  const iso = new Date(ms).toISOString(); // 2026-12-04T13:30:49.123Z
  const seconds = iso.slice(0, 19);
  const millis = iso.slice(20, 23);
  return millis === '000' ? `${seconds}+00:00` : `${seconds}.${millis}000+00:00`;
}

/** Our namespace for name-based (v5) UUIDs of bridged events; fixed forever, so re-sends keep their id. */
export const CE_ID_NAMESPACE = '6f0c7c52-3f1e-4b8e-9a57-1d2f5c3b8e41';

/**
 * `ce_id` of the Open edX event bridged from one of our events: a UUID v5 of our event id (which an
 * outbox re-publish keeps) and the Open edX event type. A re-send after a crash carries the same `ce_id`.
 */
export function ceIdFor(sourceEventId: string, event: OpenEdxExamEvent): string {
  return uuidV5(CE_ID_NAMESPACE, `${OPENEDX_EXAM_EVENT_TYPES[event]}/${sourceEventId}`);
}

/** RFC 4122 §4.3 name-based UUID, SHA-1. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error('namespace must be a UUID');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
