import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** A character that can be part of an email-shaped token: no space, quote, bracket or separator. */
const C = `[^\\s"'<>@,;:()[\\]\\\\]`;
/**
 * Email-shaped text: a token, `@`, a token with a dot in it. The lookbehind lets a match start only
 * where a token starts, so a long run without `@` is scanned once, not once per position: the cost
 * is linear in the length of the text, whatever the text.
 */
const EMAIL = new RegExp(`(?<!${C})${C}+@${C}+\\.${C}+`, 'g');

/** Replaces anything that looks like an email address with `[email]`. */
export function scrubEmails(text: string): string {
  return text.includes('@') ? text.replace(EMAIL, '[email]') : text;
}

/** How deep `maskEmails` looks into nested objects and arrays; anything deeper is replaced. */
export const MASK_MAX_DEPTH = 8;
const TOO_DEEP = '[nested too deep]';

/**
 * `value` with email-shaped text masked in every string it contains: values and keys, in objects and
 * arrays, down to MASK_MAX_DEPTH levels (deeper objects are replaced by a marker, so nothing escapes
 * unseen). Copy-on-write: when nothing matched, the very same value comes back, uncopied. Objects are
 * seen as JSON would serialise them (own enumerable keys, `toJSON` honoured); binary data is left alone.
 */
export function maskEmails<T>(value: T): T {
  return mask(value, 0, false) as T;
}

function mask(value: unknown, depth: number, skipErrKey: boolean): unknown {
  if (typeof value === 'string') return scrubEmails(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  if (value instanceof Map || value instanceof Set) return value; // serialised as {}
  if (depth >= MASK_MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return maskArray(value, depth);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(value);
    const masked = mask(json, depth, false);
    return masked === json ? value : masked;
  }
  return maskObject(value as Record<string, unknown>, depth, skipErrKey);
}

function maskArray(items: readonly unknown[], depth: number): unknown {
  let out: unknown[] | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const masked = mask(item, depth + 1, false);
    if (masked !== item) {
      out ??= items.slice();
      out[i] = masked;
    }
  }
  return out ?? items;
}

function maskObject(obj: Record<string, unknown>, depth: number, skipErrKey: boolean): unknown {
  const keys = Object.keys(obj);
  let out: Record<string, unknown> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = obj[key];
    // The top-level `err` is left to the err serializer, which masks what it produces.
    const masked = skipErrKey && key === 'err' ? item : mask(item, depth + 1, false);
    const maskedKey = scrubEmails(key);
    if (out === null && (masked !== item || maskedKey !== key)) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]] = obj[keys[j]];
    }
    if (out !== null) out[maskedKey] = masked;
  }
  return out ?? obj;
}

const REDACT_PATHS = [
  'email',
  '*.email',
  '*.*.email',
  'user.email',
  'to',
  '*.to',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'SENDGRID_API_KEY',
  'KAFKA_SASL_PASSWORD',
];

/**
 * The one logger factory: JSON lines on stdout, and no email address in any field (SPEC §8.5 "Logs"):
 * known personal and secret fields are redacted by path, and email-shaped text is masked in the
 * message, its interpolated arguments, every string of the logged object at any depth (keys too),
 * the child loggers' bindings and serialised errors.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      // The merged object of every line; runs before the serializers.
      log: (object) => mask(object, 0, true) as Record<string, unknown>,
      // The root logger's own bindings; children's go through the `child` wrapper below.
      bindings: (bindings) => maskEmails(bindings),
    },
    hooks: {
      logMethod(args, method) {
        return method.apply(this, maskArgs(args) as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (e: unknown) => maskEmails(pino.stdSerializers.err(e as Error)),
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino applies `formatters.bindings` to the root's bindings only; children (and theirs, which
  // inherit this property) mask their bindings here.
  // (applied through Reflect: pino's custom-level generics make `child` and this wrapper types that
  // TypeScript 6 no longer lets `call` or a direct assertion relate)
  const child = logger.child;
  logger.child = function maskedChild(this: Logger, bindings: pino.Bindings, childOptions?: pino.ChildLoggerOptions): Logger {
    return Reflect.apply(child, this, [maskEmails(bindings), childOptions]);
  } as unknown as Logger['child'];
  return logger;
}

/**
 * A log call's arguments, masked: the message and interpolated arguments at any depth. An Error as
 * the first argument becomes `{ err }` (its serializer masks it), and when the message is taken from
 * an error (no message given) it is the masked one.
 */
function maskArgs(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  const tail = rest.map((a) => maskEmails(a));
  if (first instanceof Error) {
    return tail.length === 0 ? [{ err: first }, scrubEmails(first.message)] : [{ err: first }, ...tail];
  }
  if (typeof first === 'string') return [scrubEmails(first), ...tail];
  if (tail.length === 0 && typeof first === 'object' && first !== null) {
    const o = first as { msg?: unknown; err?: { message?: unknown } };
    if (o.msg === undefined && typeof o.err?.message === 'string') return [first, scrubEmails(o.err.message)];
  }
  return [first, ...tail];
}
