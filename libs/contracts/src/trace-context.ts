/*
 * The CloudEvents distributed-tracing extension (`traceparent`, `tracestate`: W3C Trace Context).
 * In structured mode they are top-level attributes of the envelope; in binary mode the headers
 * `ce_traceparent` and `ce_tracestate`.
 *
 * Publishers are not trusted to send them well formed. A value is read only when it is a string
 * within its bound that matches a strict pattern; anything else is ignored (the service starts a new
 * trace), never a rejection. Every check is bounded: the length first, then one linear regular
 * expression over at most TRACESTATE_MAX_LENGTH characters.
 */

/** A version-00 `traceparent` is exactly this long: `00-<32 hex>-<16 hex>-<2 hex>`. */
export const TRACEPARENT_LENGTH = 55;
/**
 * Version 00 only, lower-case hex, trace id and parent id not all zeros (W3C: invalid). Another
 * version (or a version-00 value with more fields) starts a new trace.
 */
export const TRACEPARENT_PATTERN = '^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$';
/** W3C asks vendors to propagate at least 512 characters of `tracestate`; we keep no more. */
export const TRACESTATE_MAX_LENGTH = 512;
/** At most 32 list members (W3C). */
export const TRACESTATE_MAX_MEMBERS = 32;
/**
 * One list member: `key=value`, key a simple or multi-tenant (`tenant@system`) key, value 1–256
 * printable ASCII characters except `,` and `=`, not ending in a space (W3C Trace Context, §3.3.1).
 */
const TRACESTATE_KEY = '(?:[a-z][a-z0-9_\\-*/]{0,255}|[a-z0-9][a-z0-9_\\-*/]{0,240}@[a-z][a-z0-9_\\-*/]{0,13})';
const TRACESTATE_VALUE = '[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]';
export const TRACESTATE_MEMBER_PATTERN = `^${TRACESTATE_KEY}=${TRACESTATE_VALUE}$`;

const traceparentRe = new RegExp(TRACEPARENT_PATTERN);
const tracestateMemberRe = new RegExp(TRACESTATE_MEMBER_PATTERN);

/** A validated trace context, as carried by a command or an event. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/** Whether `value` is a well-formed version-00 `traceparent`. */
export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && value.length === TRACEPARENT_LENGTH && traceparentRe.test(value);
}

/**
 * Whether `value` is a well-formed `tracestate`: at most TRACESTATE_MAX_LENGTH characters, 1–32
 * comma-separated members (optional spaces or tabs around each), keys unique. An empty string is
 * not (a missing tracestate is left out).
 */
export function isTracestate(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > TRACESTATE_MAX_LENGTH) return false;
  const members = value.split(',');
  if (members.length > TRACESTATE_MAX_MEMBERS) return false;
  const keys = new Set<string>();
  for (const raw of members) {
    const member = raw.replace(/^[ \t]+|[ \t]+$/g, '');
    if (!tracestateMemberRe.test(member)) return false;
    const key = member.slice(0, member.indexOf('='));
    if (keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

/**
 * The trace context of a message's attributes, or `undefined` when its `traceparent` is missing or
 * malformed. A malformed `tracestate` beside a good `traceparent` is dropped (W3C: the parent stays).
 * Never throws.
 */
export function readTraceContext(attributes: { traceparent?: unknown; tracestate?: unknown }): TraceContext | undefined {
  const { traceparent, tracestate } = attributes;
  if (!isTraceparent(traceparent)) return undefined;
  return isTracestate(tracestate) ? { traceparent, tracestate } : { traceparent };
}

/**
 * Replaces a parsed message's `traceparent` / `tracestate` by their validated values (or removes
 * them), in place, before the schema check: a bad trace context never makes a message invalid.
 * Returns what was kept.
 */
export function sanitizeTraceAttributes(message: Record<string, unknown>): TraceContext | undefined {
  if (!('traceparent' in message) && !('tracestate' in message)) return undefined;
  const trace = readTraceContext(message);
  delete message.traceparent;
  delete message.tracestate;
  if (trace) {
    message.traceparent = trace.traceparent;
    if (trace.tracestate !== undefined) message.tracestate = trace.tracestate;
  }
  return trace;
}
