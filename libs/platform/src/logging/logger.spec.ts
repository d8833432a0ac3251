import { Writable } from 'node:stream';
import { createLogger, maskEmails, MASK_MAX_DEPTH, scrubEmails, type Logger } from './logger';

const VICTIM = 'victim@evil.example';
/** Anything shaped like an address (the mask's own `[email]` is not). */
const ADDRESS = /[^\s"'<>@,;:()[\]\\]+@[^\s"'<>@,;:()[\]\\]+\.[a-z]{2,}/i;

function capture(level = 'trace'): { logger: Logger; lines: string[]; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      done();
    },
  });
  const logger = createLogger('logger-spec', level, stream);
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger: no email address in any field (SPEC §8.5 "Logs")', () => {
  it.each<[string, (l: Logger) => void]>([
    ['a command id', (l) => l.info({ commandId: VICTIM }, 'command rejected')],
    ['a source', (l) => l.info({ source: `mailto:${VICTIM}`, id: 'c-1' }, 'command rejected')],
    ['a nested Kafka key', (l) => l.warn({ kafka: { key: 'a@b.example', partition: 3 } }, 'oversized')],
    ['an array element', (l) => l.info({ eventIds: ['e-1', VICTIM, 'e-3'] }, 'parked')],
    ['an object in an array', (l) => l.info({ rows: [{ id: 1 }, { id: VICTIM }] }, 'rows')],
    ['a key', (l) => l.info({ byUser: { [VICTIM]: 2 } }, 'counts')],
    ['err.message', (l) => l.error({ err: new Error(`send to ${VICTIM} failed`) }, 'send failed')],
    ['err.message taken as the message', (l) => l.error({ err: new Error(`send to ${VICTIM} failed`) })],
    ['an Error as the only argument', (l) => l.error(new Error(`bad address ${VICTIM}`))],
    ['an Error with a message', (l) => l.error(new Error(`bad address ${VICTIM}`), 'oops %s', VICTIM)],
    ['an error field and cause', (l) => l.error({ err: Object.assign(new Error('x', { cause: new Error(VICTIM) }), { recipient: VICTIM }) }, 'x')],
    ['a non-Error err', (l) => l.error({ err: `refused ${VICTIM}` }, 'x')],
    ['the message', (l) => l.info(`hello ${VICTIM}`)],
    ['interpolated arguments', (l) => l.info({ n: 1 }, 'to %s and %j and %o', VICTIM, { to2: VICTIM }, [VICTIM])],
    ['a msg field', (l) => l.info({ msg: `to ${VICTIM}` })],
    ['a child logger binding', (l) => l.child({ commandId: VICTIM }).info('x')],
    ['a grandchild binding', (l) => l.child({ component: 'c' }).child({ source: { uri: VICTIM } }).info({ other: VICTIM }, 'x')],
    ['a value with toJSON', (l) => l.info({ v: { toJSON: () => ({ inner: VICTIM }) } }, 'x')],
    ['a class instance', (l) => l.info({ v: new (class Thing { constructor(readonly who = VICTIM) {} })() }, 'x')],
  ])('masks an address in %s', (_what, log) => {
    const { logger, lines } = capture();
    log(logger);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(ADDRESS);
    expect(lines[0]).not.toContain('victim@');
    expect(lines[0]).toContain('[email]');
  });

  it('keeps the rest of the line: other fields, error type and stack, bindings', () => {
    const { logger, records } = capture();
    class SendError extends Error {
      override readonly name = 'SendError';
    }
    logger.child({ component: 'worker', commandId: VICTIM }).error({ err: new SendError(`to ${VICTIM}`), attempt: 2, ok: true }, 'failed');
    const [r] = records();
    expect(r).toMatchObject({ service: 'logger-spec', component: 'worker', commandId: '[email]', attempt: 2, ok: true, msg: 'failed' });
    expect(r.err).toMatchObject({ type: 'SendError', message: 'to [email]' });
    expect(String((r.err as { stack: string }).stack)).toContain('to [email]');
  });

  it('still redacts the known personal and secret fields by path', () => {
    const { logger, records } = capture();
    logger.info({ user: { email: 'ada@example.com', username: 'ada' }, apiKey: 'SG.x' }, 'x');
    expect(records()[0]).toMatchObject({ user: { email: '[redacted]', username: 'ada' }, apiKey: '[redacted]' });
  });

  it('replaces what is nested deeper than the bound instead of walking (or leaking) it', () => {
    const { logger, lines } = capture();
    let deep: Record<string, unknown> = { secret: VICTIM };
    for (let i = 0; i < MASK_MAX_DEPTH + 2; i++) deep = { next: deep };
    logger.info({ deep }, 'x');
    expect(lines[0]).not.toContain('victim@');
    expect(lines[0]).toContain('[nested too deep]');
  });

  it('leaves text that is not an address alone', () => {
    const { logger, records } = capture();
    logger.info({ pkg: '@nestjs/core', at: 'a @ b', topic: 'proctoring.attempt.commands.v1', n: 5, none: null }, 'ok');
    expect(records()[0]).toMatchObject({ pkg: '@nestjs/core', at: 'a @ b', topic: 'proctoring.attempt.commands.v1', n: 5, none: null });
  });
});

describe('maskEmails', () => {
  it('returns the same value, uncopied, when nothing matched', () => {
    const fields = { a: 'x', b: [1, 'y', { c: new Date(0) }], d: Buffer.from('q@w.example') };
    expect(maskEmails(fields)).toBe(fields);
  });

  it('copies on write and never mutates its input', () => {
    const nested = { key: VICTIM, keep: { same: true } };
    const fields = { kafka: nested, list: ['a', VICTIM] };
    const masked = maskEmails(fields);
    expect(masked).toEqual({ kafka: { key: '[email]', keep: { same: true } }, list: ['a', '[email]'] });
    expect(masked.kafka.keep).toBe(nested.keep);
    expect(fields).toEqual({ kafka: { key: VICTIM, keep: { same: true } }, list: ['a', VICTIM] });
  });
});

describe('scrubEmails', () => {
  it('masks every address in a text, however it is delimited', () => {
    expect(scrubEmails(`x,${VICTIM};<a@b.example> "c@d.example" (e@f.example)`)).toBe('x,[email];<[email]> "[email]" ([email])');
    expect(scrubEmails('first.last+tag@sub.example.co.uk')).toBe('[email]');
  });

  it('completes on megabyte-long hostile text (no backtracking per position)', () => {
    const mb = 1 << 20;
    const hostile = [
      'a'.repeat(mb),
      `${'a'.repeat(mb)}@`,
      `x@${'a'.repeat(mb)}`,
      'a@'.repeat(mb / 2),
      '.@'.repeat(mb / 2),
      `x@.${'a'.repeat(mb)}`,
      `${'a.'.repeat(mb / 2)}@x`,
    ];
    for (const text of hostile) expect(typeof scrubEmails(text)).toBe('string');
    expect(scrubEmails(`${'a'.repeat(mb)}@b.example`)).toBe('[email]');
  });

  it('keeps a megabyte field logged as is workable', () => {
    const { logger, lines } = capture();
    logger.info({ big: `${'a'.repeat(1 << 20)} ${VICTIM}` }, 'x');
    expect(lines[0]).not.toContain('victim@');
  });
});
