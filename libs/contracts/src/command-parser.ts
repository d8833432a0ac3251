import { Type } from '@sinclair/typebox';
import { COMMAND_SCHEMAS, COMMAND_TYPES, isCommandType, type Command } from './command.schemas';
import { CommandEnvelopeSchema, commandEnvelopeProperties } from './envelope.schema';
import { ID_MAX_LENGTH, Text } from './field.schemas';
import { check, normalize } from './schema-validator';
import { sanitizeTraceAttributes, type TraceContext } from './trace-context';
import { DATA_CONTENT_TYPE, MAX_MESSAGE_BYTES, MESSAGE_BOUNDS } from './topics';

/** Reasons the parser itself rejects a command with (the others come from the domain). */
export type ParseRejectionReason = 'INVALID_MESSAGE' | 'UNKNOWN_COMMAND_TYPE';

export type ParsedCommand =
  /** A valid command: unknown fields dropped, optional `null`s removed, defaults applied. */
  | { kind: 'ok'; command: Command }
  /** id and source were readable, the rest was not valid: publish `CommandRejected`, commit. */
  | {
      kind: 'rejected';
      id: string;
      source: string;
      /** The `type` as received, or `''` when it was missing or not a readable string. */
      type: string;
      /** The command's `correlationid` when readable, else its id. */
      correlationId: string;
      reason: ParseRejectionReason;
      /** Names the field path; never contains a field value. */
      message: string;
      /** The command's trace context when it carried a valid one (its rejection continues the trace). */
      trace?: TraceContext;
    }
  /** Not JSON, not an object, too large, or no readable id/source: dead-letter it, commit. */
  | { kind: 'unreadable'; reason: string };

/** What must be readable for a command to get an outcome event instead of the dead-letter topic. */
const IdentitySchema = Type.Object({ id: commandEnvelopeProperties.id, source: commandEnvelopeProperties.source });
const ReadableTypeSchema = Text(0, ID_MAX_LENGTH);
const ReadableCorrelationSchema = Type.Object({ correlationid: commandEnvelopeProperties.correlationid });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses one Kafka message value from the commands topic. Never throws, whatever the input.
 *
 * In order: no value → unreadable; more than 64 KiB → unreadable; not UTF-8 or not JSON →
 * unreadable; not a JSON object → unreadable; no valid `id` and `source` → unreadable. From then on
 * every problem is a rejection: envelope invalid → INVALID_MESSAGE; `type` not one of the four
 * commands → UNKNOWN_COMMAND_TYPE; `data` invalid → INVALID_MESSAGE.
 */
export function parseCommand(value: Buffer | string | null): ParsedCommand {
  try {
    return parse(value);
  } catch {
    // Not expected: every step above is total. A bug must not stop the partition, so dead-letter.
    return { kind: 'unreadable', reason: 'internal error while parsing' };
  }
}

function parse(value: Buffer | string | null | undefined): ParsedCommand {
  const text = decode(value);
  if (typeof text !== 'string') return text;

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'unreadable', reason: `not a JSON object (${Array.isArray(raw) ? 'array' : raw === null ? 'null' : typeof raw})` };
  }
  return parseEnvelope(raw);
}

/** Header names of CloudEvents binary mode on Kafka: `ce_` + the attribute name; `content-type` is `datacontenttype`. */
const CE_PREFIX = 'ce_';
const CONTENT_TYPE = 'content-type';

/**
 * Whether a message is a CloudEvent in binary mode (Kafka protocol binding): it has a
 * `ce_specversion` header and its `content-type` is not a structured CloudEvents type. Messages
 * with neither are read as structured JSON, as before binary mode existed.
 */
export function isBinaryMode(headers: Readonly<Record<string, string>>): boolean {
  if (headers[`${CE_PREFIX}specversion`] === undefined) return false;
  const contentType = headers[CONTENT_TYPE];
  return contentType === undefined || !mediaType(contentType).startsWith('application/cloudevents');
}

/** The media type of a `content-type` value, without parameters, lower case. */
export function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/**
 * Parses a command in CloudEvents binary mode: the attributes from `ce_*` headers, `datacontenttype`
 * from `content-type` (its parameters, such as `charset=utf-8`, ignored), and the value as `data`.
 * The same rules as structured mode follow: no readable `ce_id` and `ce_source` → unreadable; the
 * rest invalid → rejected. Never throws.
 */
export function parseBinaryCommand(headers: Readonly<Record<string, string>>, value: Buffer | string | null): ParsedCommand {
  try {
    const raw: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(headers)) {
      if (!name.startsWith(CE_PREFIX)) continue;
      const attribute = name.slice(CE_PREFIX.length);
      // `data` is the value, never a header; attribute names are lower-case letters and digits
      if (attribute !== 'data' && /^[a-z0-9]{1,20}$/.test(attribute)) raw[attribute] = v;
    }
    const contentType = headers[CONTENT_TYPE];
    if (contentType !== undefined) raw.datacontenttype = mediaType(contentType) === DATA_CONTENT_TYPE ? DATA_CONTENT_TYPE : contentType;
    // A value that cannot be read leaves `data` missing: with a readable id and source that is a
    // rejection (INVALID_MESSAGE), as in structured mode once the id is known.
    const text = decode(value);
    if (typeof text === 'string') {
      try {
        raw.data = JSON.parse(text) as unknown;
      } catch {
        if (!check(IdentitySchema, raw).ok) return { kind: 'unreadable', reason: 'not JSON (binary mode)' };
      }
    } else if (!check(IdentitySchema, raw).ok) return text;
    return parseEnvelope(raw);
  } catch {
    return { kind: 'unreadable', reason: 'internal error while parsing' };
  }
}

/** The checks after JSON parsing, shared by structured and binary mode. */
function parseEnvelope(raw: object): ParsedCommand {
  const valid = parseValid(raw);
  if (valid !== null) return valid;
  const identity = check(IdentitySchema, raw);
  if (!identity.ok) return { kind: 'unreadable', reason: `no readable id and source: ${identity.error}` };

  const envelope = raw as Record<string, unknown>;
  // A missing or malformed trace context is dropped here, before any check: never a rejection.
  const trace = sanitizeTraceAttributes(envelope);
  const reject = (reason: ParseRejectionReason, message: string): ParsedCommand => ({
    kind: 'rejected',
    id: envelope.id as string,
    source: envelope.source as string,
    type: typeof envelope.type === 'string' && check(ReadableTypeSchema, envelope.type).ok ? envelope.type : '',
    correlationId:
      typeof envelope.correlationid === 'string' && check(ReadableCorrelationSchema, envelope).ok
        ? envelope.correlationid
        : (envelope.id as string),
    reason,
    message,
    ...(trace ? { trace } : {}),
  });

  const envelopeCheck = check(CommandEnvelopeSchema, raw);
  if (!envelopeCheck.ok) return reject('INVALID_MESSAGE', envelopeCheck.error);

  const type = envelope.type;
  if (!isCommandType(type)) {
    return reject('UNKNOWN_COMMAND_TYPE', `/type is not a known command type (expected ${COMMAND_TYPES.join(', ')})`);
  }

  const schema = COMMAND_SCHEMAS[type];
  const commandCheck = check(schema, raw);
  if (!commandCheck.ok) return reject('INVALID_MESSAGE', commandCheck.error);
  const command = normalize(schema, raw) as Command;
  // What is kept (unknown fields are gone by now) must also fit a jsonb column: bounded nesting.
  if (nestedDeeperThan(command.data, MESSAGE_BOUNDS.dataDepth)) {
    return reject('INVALID_MESSAGE', `/data is nested deeper than ${MESSAGE_BOUNDS.dataDepth} levels`);
  }
  return { kind: 'ok', command };
}

/**
 * The usual case in one validation instead of three. A command of a known type that passes its
 * type's schema passes the identity and envelope checks too (that schema is the envelope's
 * properties with `type` fixed and `data` narrowed), so those run, in order, only to word a
 * rejection: null sends any other message down the checks in `parseEnvelope`, unchanged.
 */
function parseValid(raw: object): ParsedCommand | null {
  const envelope = raw as Record<string, unknown>;
  const type = envelope.type;
  if (!isCommandType(type)) return null;
  // as in parseEnvelope: a malformed trace context is dropped before any check (idempotent)
  sanitizeTraceAttributes(envelope);
  const schema = COMMAND_SCHEMAS[type];
  if (!check(schema, raw).ok) return null;
  const command = normalize(schema, raw) as Command;
  return nestedDeeperThan(command.data, MESSAGE_BOUNDS.dataDepth) ? null : { kind: 'ok', command };
}

/** Whether objects and arrays in `value` nest deeper than `max` levels (`value` itself is level 1). Iterative, stops at the first too deep. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** The message value as text, or why it cannot be read. */
function decode(value: unknown): string | ParsedCommand {
  if (value === null || value === undefined) return { kind: 'unreadable', reason: 'no value (tombstone)' };
  if (typeof value === 'string') {
    if (Buffer.byteLength(value, 'utf8') > MAX_MESSAGE_BYTES) return tooLarge();
    // A byte-order mark is dropped, as the UTF-8 decoder does for buffers.
    return value.charCodeAt(0) === 0xfeff ? value.slice(1) : value;
  }
  if (value instanceof Uint8Array) {
    if (value.byteLength > MAX_MESSAGE_BYTES) return tooLarge();
    try {
      return utf8.decode(value);
    } catch {
      return { kind: 'unreadable', reason: 'not valid UTF-8' };
    }
  }
  return { kind: 'unreadable', reason: `unsupported value type (${typeof value})` };
}

function tooLarge(): ParsedCommand {
  return { kind: 'unreadable', reason: `message larger than ${MAX_MESSAGE_BYTES} bytes` };
}
