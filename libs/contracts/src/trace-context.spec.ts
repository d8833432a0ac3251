import { parseBinaryCommand, parseCommand } from './command-parser';
import { parseEvent } from './event-parser';
import { EVENT_EXAMPLES } from './message.examples';
import { isTraceparent, isTracestate, readTraceContext, TRACESTATE_MAX_LENGTH } from './trace-context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const GOOD = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('isTraceparent (strict, version 00)', () => {
  it('accepts a well-formed version-00 traceparent, sampled or not', () => {
    expect(isTraceparent(GOOD)).toBe(true);
    expect(isTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['upper-case hex', GOOD.toUpperCase()],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['another version', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with a trailing field', `${GOOD}-extra`],
    ['leading space', ` ${GOOD}`],
    ['trailing newline', `${GOOD}\n`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['non-hex', `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01`],
    ['wrong separators', GOOD.replace(/-/g, '_')],
    ['NUL inside', `00-${TRACE_ID.slice(0, 31)}\u0000-${SPAN_ID}-01`],
    ['one megabyte', `${GOOD}${'a'.repeat(1024 * 1024)}`],
  ])('refuses %s', (_, value) => {
    expect(isTraceparent(value)).toBe(false);
  });

  it.each([null, undefined, 42, true, [GOOD], { traceparent: GOOD }])('refuses the non-string %p', (value) => {
    expect(isTraceparent(value)).toBe(false);
  });
});

describe('isTracestate', () => {
  it('accepts W3C list members: simple and multi-tenant keys, spaces around members', () => {
    expect(isTracestate('congo=t61rcWkgMzE')).toBe(true);
    expect(isTracestate('rojo=00f067aa0ba902b7, congo=t61rcWkgMzE,\tfw529a3039@dt=abc')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a key without value', 'congo'],
    ['an upper-case key', 'Congo=1'],
    ['an empty value', 'congo='],
    ['a member with a space inside its key', 'con go=1'],
    ['a value with "="', 'congo=a=b'],
    ['a duplicate key', 'congo=1,congo=2'],
    ['33 members', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')],
    ['a control character', 'congo=a\u0001b'],
    ['over the bound', `k=${'v'.repeat(TRACESTATE_MAX_LENGTH)}`],
    ['a megabyte of members', `k=${'a,'.repeat(512 * 1024)}`],
  ])('refuses %s', (_, value) => {
    expect(isTracestate(value)).toBe(false);
  });
});

describe('readTraceContext', () => {
  it('keeps a good traceparent with a good tracestate, and drops only a bad tracestate', () => {
    expect(readTraceContext({ traceparent: GOOD, tracestate: 'congo=1' })).toEqual({ traceparent: GOOD, tracestate: 'congo=1' });
    expect(readTraceContext({ traceparent: GOOD, tracestate: 'Congo' })).toEqual({ traceparent: GOOD });
  });

  it('ignores a tracestate without a valid traceparent', () => {
    expect(readTraceContext({ traceparent: 'nope', tracestate: 'congo=1' })).toBeUndefined();
    expect(readTraceContext({ tracestate: 'congo=1' })).toBeUndefined();
  });
});

const command = (extra: Record<string, unknown>) =>
  JSON.stringify({
    specversion: '1.0',
    id: 'cmd-1',
    source: 'lms',
    type: 'UpdateAttemptStatus',
    data: { examId: 'e1', userId: 'u1', toStatus: 'started' },
    ...extra,
  });

describe('trace context of a command (never a rejection)', () => {
  it('structured mode: a valid traceparent and tracestate are kept on the command', () => {
    const parsed = parseCommand(command({ traceparent: GOOD, tracestate: 'congo=1' }));
    expect(parsed).toMatchObject({ kind: 'ok', command: { traceparent: GOOD, tracestate: 'congo=1' } });
  });

  it.each([
    ['malformed', 'not-a-traceparent'],
    ['a number', 42],
    ['an object', { a: 1 }],
    ['null', null],
    ['oversized', 'x'.repeat(60_000)],
  ])('structured mode: a %s traceparent is dropped and the command is still valid', (_, traceparent) => {
    const parsed = parseCommand(command({ traceparent, tracestate: 'congo=1' }));
    expect(parsed.kind).toBe('ok');
    if (parsed.kind !== 'ok') return;
    expect(parsed.command).not.toHaveProperty('traceparent');
    expect(parsed.command).not.toHaveProperty('tracestate');
  });

  it('structured mode: a malformed tracestate is dropped, the traceparent kept', () => {
    const parsed = parseCommand(command({ traceparent: GOOD, tracestate: 42 }));
    expect(parsed).toMatchObject({ kind: 'ok', command: { traceparent: GOOD } });
    if (parsed.kind === 'ok') expect(parsed.command).not.toHaveProperty('tracestate');
  });

  it('a command rejected for another reason keeps its trace context (its rejection continues the trace)', () => {
    const parsed = parseCommand(command({ traceparent: GOOD, data: { examId: 'e1' } }));
    expect(parsed).toMatchObject({ kind: 'rejected', reason: 'INVALID_MESSAGE', trace: { traceparent: GOOD } });
  });

  it('binary mode: ce_traceparent and ce_tracestate are the attributes; malformed ones are ignored', () => {
    const headers = { ce_specversion: '1.0', ce_id: 'cmd-2', ce_source: 'lms', ce_type: 'UpdateAttemptStatus', 'content-type': 'application/json' };
    const value = Buffer.from(JSON.stringify({ examId: 'e1', userId: 'u1', toStatus: 'started' }));
    expect(parseBinaryCommand({ ...headers, ce_traceparent: GOOD, ce_tracestate: 'congo=1' }, value)).toMatchObject({
      kind: 'ok',
      command: { traceparent: GOOD, tracestate: 'congo=1' },
    });
    const bad = parseBinaryCommand({ ...headers, ce_traceparent: `${GOOD}\r\nX-Injected: 1` }, value);
    expect(bad.kind).toBe('ok');
    if (bad.kind === 'ok') expect(bad.command).not.toHaveProperty('traceparent');
  });
});

describe('trace context of an event', () => {
  const example = EVENT_EXAMPLES.AttemptStatusChanged;

  it('is read when well formed', () => {
    expect(parseEvent(JSON.stringify({ ...example, traceparent: GOOD }))).toMatchObject({ traceparent: GOOD });
  });

  it('a malformed one is dropped; the event is still read', () => {
    const event = parseEvent(JSON.stringify({ ...example, traceparent: 'garbage', tracestate: 7 }));
    expect(event).not.toBeNull();
    expect(event).not.toHaveProperty('traceparent');
    expect(event).not.toHaveProperty('tracestate');
  });
});
