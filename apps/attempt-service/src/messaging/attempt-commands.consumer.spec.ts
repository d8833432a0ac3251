import type { KafkaMessage } from 'kafkajs';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, MESSAGE_BOUNDS } from '../../../../libs/contracts/src';
import { toInbound, type InboundMessage } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { recordBytes } from '../outbox/outbox-relay';
import { commandChannels, toCommandInput } from './attempt-commands.consumer';

/** A message as kafkajs hands it over, through the transport's own conversion (so sizes are real). */
const inbound = (
  value: Buffer | string | null,
  key: Buffer | string | null = 'k',
  headers: KafkaMessage['headers'] = {},
): InboundMessage =>
  toInbound('commands', 2, {
    offset: '41',
    key: typeof key === 'string' ? Buffer.from(key) : key,
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers,
    timestamp: '0',
    attributes: 0,
  });

const command = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    specversion: '1.0',
    id: 'cmd-1',
    source: 'lms',
    type: 'CreateAttempt',
    time: '2026-01-01T00:00:00Z',
    datacontenttype: 'application/json',
    data: { examId: 'e1', userId: 'learner-7', user: { username: 'u', email: 'u@example.org' }, takingAsProctored: true },
    ...over,
  });

function deadLettered(input: ReturnType<typeof toCommandInput>) {
  if (input.kind === 'unreadable') return input.dlq;
  if (input.kind === 'invalid' && input.dlq) return input.dlq;
  throw new Error(`expected a dead letter, got ${input.kind}`);
}

describe('toCommandInput: what the consumer hands the use case', () => {
  it('dead-letters an unreadable message as received, with where it came from', () => {
    const input = toCommandInput(inbound('not json', 'k', { trace: 't' }));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.dlq.value?.toString()).toBe('not json');
    expect(input.dlq.key).toBe('k');
    expect(input.dlq.headers).toMatchObject({ trace: 't', [DLQ_HEADERS.sourcePartition]: '2', [DLQ_HEADERS.sourceOffset]: '41' });
    expect(input.dlq.headers[DLQ_HEADERS.valueTruncated]).toBeUndefined();
  });

  it('cuts a value above DLQ_MAX_VALUE_BYTES and says how long it was, so the DLQ copy can always be published', () => {
    const huge = Buffer.alloc(DLQ_MAX_VALUE_BYTES + 1000, 0x7b);
    const input = toCommandInput(inbound(huge));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.dlq.value?.length).toBe(DLQ_MAX_VALUE_BYTES);
    expect(input.dlq.headers[DLQ_HEADERS.valueTruncated]).toBe(String(DLQ_MAX_VALUE_BYTES + 1000));
    expect(input.dlq.headers[DLQ_HEADERS.reason]).toMatch(/larger than/);
  });

  it('replaces NUL in keys and headers, which PostgreSQL text cannot store', () => {
    const input = toCommandInput(inbound('{', 'a\u0000b', { 'h\u0000': 'v\u0000' }));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.dlq.key).toBe('a\uFFFDb');
    expect(input.dlq.headers['h\uFFFD']).toBe('v\uFFFD');
  });

  it("drops headers a sender set under the dlq- prefix, whatever their case, and keeps only ours", () => {
    const input = toCommandInput(inbound('not json', 'k', { 'dlq-value-truncated': '999999', 'DLQ-Reason': 'forged', keep: 'me' }));
    const dlq = deadLettered(input);
    expect(dlq.headers[DLQ_HEADERS.valueTruncated]).toBeUndefined();
    expect(dlq.headers['DLQ-Reason']).toBeUndefined();
    expect(dlq.headers[DLQ_HEADERS.reason]).toBe('not JSON');
    expect(dlq.headers.keep).toBe('me');
  });

  it('accepts a key of exactly the bound and keeps it', () => {
    const input = toCommandInput(inbound(command(), 'k'.repeat(MESSAGE_BOUNDS.keyBytes)));
    expect(input.kind).toBe('command');
    if (input.kind === 'command') expect(input.key).toHaveLength(MESSAGE_BOUNDS.keyBytes);
  });

  it('dead-letters a valid command whose key is over the bound without its key, and rejects it keyed by its data', () => {
    const input = toCommandInput(inbound(command(), 'k'.repeat(200_000)));
    if (input.kind !== 'invalid') throw new Error(`expected invalid, got ${input.kind}`);
    expect(input).toMatchObject({ id: 'cmd-1', source: 'lms', type: 'CreateAttempt', reason: 'INVALID_MESSAGE', key: 'learner-7' });
    expect(input.message).toBe(`key larger than ${MESSAGE_BOUNDS.keyBytes} bytes`);
    expect(input.dlq?.key).toBeNull();
    expect(input.dlq?.headers[DLQ_HEADERS.keyCut]).toBe('200000');
    expect(input.dlq?.value?.toString()).toBe(command());
  });

  it('counts the key in bytes, not characters', () => {
    const input = toCommandInput(inbound(command(), 'é'.repeat(MESSAGE_BOUNDS.keyBytes / 2 + 1)));
    expect(input.kind).toBe('invalid');
  });

  it('rejects a readable command with an unknown type and too many headers as INVALID_MESSAGE, keyed by its id when the key was cut', () => {
    const headers = Object.fromEntries(Array.from({ length: MESSAGE_BOUNDS.headerCount + 1 }, (_, i) => [`h${i}`, 'v']));
    const input = toCommandInput(inbound(command({ type: 'Nope' }), 'x'.repeat(5000), headers));
    if (input.kind !== 'invalid') throw new Error(`expected invalid, got ${input.kind}`);
    expect(input.reason).toBe('INVALID_MESSAGE');
    expect(input.key).toBeNull();
    expect(input.message).toMatch(/^key larger than 1024 bytes; headers over bound \(33 headers/);
    expect(Object.keys(input.dlq?.headers ?? {}).filter((k) => k.startsWith('h'))).toEqual([]);
    expect(input.dlq?.headers[DLQ_HEADERS.headersCut]).toMatch(/^33 headers, \d+ bytes$/);
  });

  it('counts every value of a repeated header', () => {
    const input = toCommandInput(inbound(command(), 'k', { rep: Array.from({ length: MESSAGE_BOUNDS.headerCount + 1 }, () => 'v') }));
    expect(input.kind).toBe('invalid');
  });

  it('cuts headers whose bytes are over the bound (a 1 MB header on a message that is not JSON)', () => {
    const input = toCommandInput(inbound('not json', 'k', { big: Buffer.alloc(1_000_000, 0x61) }));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.reason).toMatch(/^headers over bound \(1 headers, 1000003 bytes; at most 32 and 16384\); not JSON$/);
    expect(input.dlq.headers.big).toBeUndefined();
    expect(input.dlq.key).toBe('k');
  });

  it('keeps a command within every bound on the normal path', () => {
    const headers = Object.fromEntries(Array.from({ length: MESSAGE_BOUNDS.headerCount }, (_, i) => [`h${i}`, 'v']));
    expect(toCommandInput(inbound(command(), 'k', headers)).kind).toBe('command');
  });

  it('makes dead letters that always fit the broker limit, whatever the sizes of key, headers and value', () => {
    const limit = 1024 * 1024;
    for (const keyBytes of [0, 1024, 1025, 900_000])
      for (const headerBytes of [0, 16_000, 16_385, 900_000])
        for (const valueBytes of [0, 65_536, 65_537, 1_000_000]) {
          const value = Buffer.alloc(valueBytes, 0x7b);
          const input = toCommandInput(
            inbound(value, keyBytes ? Buffer.alloc(keyBytes, 0x6b) : null, headerBytes ? { h: Buffer.alloc(headerBytes - 1, 0x68) } : {}),
          );
          const dlq = deadLettered(input);
          expect(recordBytes({ key: dlq.key, value: dlq.value ?? Buffer.alloc(0), headers: dlq.headers })).toBeLessThan(limit);
        }
  });
});

describe('the channel of a message comes from its topic (SPEC §8.4)', () => {
  it('maps the commands topic to commands and each review topic to review:<provider>', () => {
    const channels = commandChannels({
      commands: 'cmds',
      attemptEvents: 'ev',
      credentialEvents: 'cr',
      commandsDlq: 'dlq',
      reviews: { software_secure: { reviews: 'rev-ss', outcomes: 'out-ss' }, proctortrack: { reviews: 'rev-pt', outcomes: 'out-pt' } },
    });
    expect([...channels]).toEqual([
      ['cmds', 'commands'],
      ['rev-ss', 'review:software_secure'],
      ['rev-pt', 'review:proctortrack'],
    ]);
  });

  it('puts the channel on readable and rejected inputs (the idempotency key and the authority use it)', () => {
    expect(toCommandInput(inbound(command()), 'review:proctortrack')).toMatchObject({ kind: 'command', channel: 'review:proctortrack' });
    expect(toCommandInput(inbound(command({ data: {} })), 'review:proctortrack')).toMatchObject({ kind: 'invalid', channel: 'review:proctortrack' });
    expect(toCommandInput(inbound(command()))).toMatchObject({ kind: 'command', channel: 'commands' });
  });
});
