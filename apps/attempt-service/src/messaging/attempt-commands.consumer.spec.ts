import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES } from '../../../../libs/contracts/src';
import type { InboundMessage } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { toCommandInput } from './attempt-commands.consumer';

const inbound = (value: Buffer | null, key: string | null = 'k', headers: Record<string, string> = {}): InboundMessage => ({
  topic: 'commands',
  partition: 2,
  offset: '41',
  key,
  value,
  headers,
  timestamp: '0',
});

describe('toCommandInput: what the consumer hands the use case', () => {
  it('dead-letters an unreadable message as received, with where it came from', () => {
    const input = toCommandInput(inbound(Buffer.from('not json'), 'k', { trace: 't' }));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.dlq.value?.toString()).toBe('not json');
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
    const input = toCommandInput(inbound(Buffer.from('{'), 'a\u0000b', { 'h\u0000': 'v\u0000' }));
    if (input.kind !== 'unreadable') throw new Error(`expected unreadable, got ${input.kind}`);
    expect(input.dlq.key).toBe('a\uFFFDb');
    expect(input.dlq.headers['h\uFFFD']).toBe('v\uFFFD');
  });
});
