import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

const EMAIL = /[^\s"'<>@,;:()[\]\\]+@[^\s"'<>@,;:()[\]\\]+\.[^\s"'<>@,;:()[\]\\]+/g;

/** Replaces anything that looks like an email address. Applied to every log message string. */
export function scrubEmails(text: string): string {
  return text.replace(EMAIL, '[email]');
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
 * The one logger factory: JSON lines on stdout, email addresses and secrets redacted from structured
 * fields, and email-shaped text scrubbed from messages and error texts.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a: unknown) => scrubValue(a)) as Parameters<typeof method>;
        return method.apply(this, scrubbed);
      },
    },
    serializers: {
      err: (e: unknown) => {
        const s = pino.stdSerializers.err(e as Error);
        return { ...s, message: scrubEmails(s.message ?? ''), stack: s.stack ? scrubEmails(s.stack) : undefined };
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return scrubEmails(value);
  if (value instanceof Error) {
    const copy = new Error(scrubEmails(value.message));
    copy.name = value.name;
    copy.stack = value.stack ? scrubEmails(value.stack) : undefined;
    return copy;
  }
  return value;
}
