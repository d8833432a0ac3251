import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { SpanKind, startTracing, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
import { createLogger } from '../../../../libs/platform/src/logging/logger';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { chunkByBytes, OutboxRelay, recordBytes } from './outbox-relay';

const row = (bytes: number, key: string | null = 'u1') => ({ key, value: Buffer.alloc(bytes, 0x61), headers: { 'content-type': 'x' } });

describe('chunkByBytes: one produce request stays under the broker limit', () => {
  it('keeps small rows together, in order', () => {
    const rows = [row(100), row(200), row(300)];
    expect(chunkByBytes(rows, 10_000)).toEqual([rows]);
  });

  it('starts a new chunk before the budget would be exceeded, and never reorders', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(100_000 + i));
    const chunks = chunkByBytes(rows, 900_000);
    expect(chunks.flat()).toEqual(rows);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) expect(c.reduce((n, r) => n + recordBytes(r), 0)).toBeLessThanOrEqual(900_000);
  });

  it('sends a row larger than the budget alone rather than never', () => {
    const rows = [row(10), row(2_000_000), row(10)];
    expect(chunkByBytes(rows, 900_000).map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('counts keys and headers, not only values', () => {
    const big = { key: 'k'.repeat(5000), value: Buffer.alloc(1), headers: { h: 'v'.repeat(5000) } };
    expect(recordBytes(big)).toBeGreaterThan(10_000);
  });

  it('has nothing to send for no rows', () => {
    expect(chunkByBytes([], 1000)).toEqual([]);
  });
});

// ---- the relay never stalls on one row (SPEC §8.5) -------------------------------------------

/** A protocol error as kafkajs builds it from a broker's error code. */
const protocolError = (type: string, code: number, retriable = false) =>
  new KafkaJSProtocolError(Object.assign(new Error(`broker said ${type}`), { type, code, retriable }));

interface FakeRow {
  id: string;
  event_id: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  published: boolean;
  parked_reason: string | null;
}

/** The outbox table in memory, answering the relay's statements (by their text). */
class FakeOutbox {
  rows: FakeRow[] = [];

  add(topic: string, key: string, bytes: number, type = 'AttemptStatusChanged'): FakeRow {
    const id = String(this.rows.length + 1);
    const event = { specversion: '1.0', id: `ev-${id}`, source: 'svc', type, sequence: id, data: { pad: 'p'.repeat(bytes) } };
    const row = { id, event_id: `ev-${id}`, topic, key, value: Buffer.from(JSON.stringify(event)), headers: { 'ce-type': type }, published: false, parked_reason: null };
    this.rows.push(row);
    return row;
  }

  readonly pool = {
    query: (q: string | { text: string; values?: unknown[] }, params?: unknown[]) => {
      const text = typeof q === 'string' ? q : q.text;
      const values = (typeof q === 'string' ? params : q.values) ?? [];
      const find = (id: unknown) => this.rows.find((r) => r.id === String(id));
      let rows: unknown[] = [];
      if (text.includes('SELECT id FROM attempts.outbox_pending')) {
        rows = this.rows
          .filter((r) => !r.published && BigInt(r.id) > BigInt(String(values[1])))
          .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)))
          .slice(0, Number(values[0]))
          .map((r) => ({ id: r.id }));
      } else if (text.includes('SELECT id, topic, key, value, headers')) {
        rows = (values[0] as string[]).map(find);
      } else if (text.includes('SELECT event_id')) {
        rows = [find(values[0])];
      } else if (text.includes('parked_at = now()')) {
        Object.assign(find((values[0] as string[])[0]) ?? {}, { published: true, parked_reason: values[1] });
      } else if (text.includes('DELETE FROM attempts.outbox_pending WHERE id = ANY')) {
        for (const id of values[0] as string[]) Object.assign(find(id) ?? {}, { published: true });
      } else {
        throw new Error(`unexpected statement ${text}`);
      }
      return Promise.resolve({ rows, rowCount: rows.length });
    },
  };
}

type Sent = { topic: string; key: string | null; value: Buffer };

/** A producer whose broker refuses records above `maxRecord` and requests above `maxRequest`, and topics it does not know. */
function scriptedBroker(o: { maxRecord: number; maxRequest?: number; missing?: Set<string> }) {
  const sent: Sent[] = [];
  let connects = 0;
  const connectProducer = () => {
    connects++;
    const producer = {
      sendBatch: ({ topicMessages }: { topicMessages: { topic: string; messages: { key: string | null; value: Buffer }[] }[] }) => {
        for (const t of topicMessages) {
          if (o.missing?.has(t.topic)) {
            return Promise.reject(new KafkaJSNumberOfRetriesExceeded(protocolError('UNKNOWN_TOPIC_OR_PARTITION', 3, true), { retryCount: 10, retryTime: 1 }));
          }
        }
        const all = topicMessages.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, key: m.key, value: m.value })));
        if (all.some((m) => m.value.length > o.maxRecord)) return Promise.reject(protocolError('MESSAGE_TOO_LARGE', 10));
        if (o.maxRequest !== undefined && all.reduce((n, m) => n + m.value.length, 0) > o.maxRequest) {
          return Promise.reject(protocolError('RECORD_LIST_TOO_LARGE', 18));
        }
        sent.push(...all);
        return Promise.resolve([]);
      },
      disconnect: () => Promise.resolve(),
    };
    return Promise.resolve(producer as unknown as Producer);
  };
  return { sent, connectProducer, connects: () => connects };
}

function relayOn(
  outbox: FakeOutbox,
  connectProducer: () => Promise<Producer>,
  lines: string[],
  maxRequestBytes = 10_000_000,
  scan: { floorMarginIds?: number; fullScanIntervalMs?: number; now?: () => Date } = {},
) {
  const metrics = new AttemptServiceMetrics();
  const logger = createLogger('test', 'info', { write: (l: string) => lines.push(l) });
  const relay = new OutboxRelay({
    pool: outbox.pool as unknown as Pool,
    connectProducer,
    logger,
    metrics,
    batchSize: 100,
    maxRequestBytes,
    idlePollMs: 10,
    retentionDays: 7,
    housekeepingIntervalMs: 60_000,
    eventSource: 'urn:test',
    now: scan.now ?? (() => new Date('2026-01-01T00:00:00Z')),
    floorMarginIds: scan.floorMarginIds,
    fullScanIntervalMs: scan.fullScanIntervalMs,
  });
  return { relay, metrics };
}

const typeOf = (m: Sent) => (JSON.parse(m.value.toString()) as { type: string }).type;
const idOf = (m: Sent) => (JSON.parse(m.value.toString()) as { id: string }).id;

describe('OutboxRelay: a row the broker refuses as too large is parked, never a stall', () => {
  it('finds the refused row in a chunk by halving it, parks only that row and publishes the rest in order', async () => {
    const outbox = new FakeOutbox();
    for (let i = 0; i < 9; i++) outbox.add('events', `u${i % 2}`, i === 5 ? 30_000 : 100);
    const broker = scriptedBroker({ maxRecord: 20_000 });
    const lines: string[] = [];
    const { relay, metrics } = relayOn(outbox, broker.connectProducer, lines);

    await relay.drainOnce();

    // every row's id reached the topic, in order: the refused one as its marker
    const firsts = broker.sent.filter((m, i) => broker.sent.findIndex((x) => idOf(x) === idOf(m)) === i);
    expect(firsts.map(idOf)).toEqual(outbox.rows.map((r) => r.event_id));
    const marker = broker.sent.find((m) => typeOf(m) === 'EventDropped');
    expect(marker).toMatchObject({ topic: 'events', key: 'u1' });
    expect(JSON.parse(marker!.value.toString())).toMatchObject({ id: 'ev-6', sequence: '6', data: { droppedType: 'AttemptStatusChanged', reason: 'too large', topic: 'events' } });
    expect(broker.sent.filter((m) => idOf(m) === 'ev-6').map(typeOf)).toEqual(['EventDropped']);
    expect(outbox.rows.every((r) => r.published)).toBe(true);
    expect(outbox.rows.filter((r) => r.parked_reason !== null).map((r) => r.id)).toEqual(['6']);
    expect(outbox.rows[5].parked_reason).toMatch(/^too large: MESSAGE_TOO_LARGE, \d+ bytes$/);
    expect((await metrics.outboxParked.get()).values).toEqual([{ labels: { topic: 'events' }, value: 1 }]);
    expect(lines.join('\n')).toContain('outbox row parked');
    expect(relay.blocked).toBeNull();
  });

  it('parks nothing when only the request was too large: halves that fit are published', async () => {
    const outbox = new FakeOutbox();
    for (let i = 0; i < 6; i++) outbox.add('events', 'u', 5_000);
    const broker = scriptedBroker({ maxRecord: 20_000, maxRequest: 12_000 });
    const { relay } = relayOn(outbox, broker.connectProducer, []);

    await relay.drainOnce();

    expect(broker.sent.map(idOf)).toEqual(outbox.rows.map((r) => r.event_id));
    expect(outbox.rows.filter((r) => r.parked_reason !== null)).toEqual([]);
  });

  it('parks two refused rows in one chunk, each on its own', async () => {
    const outbox = new FakeOutbox();
    for (let i = 0; i < 4; i++) outbox.add('events', 'u', i === 0 || i === 3 ? 25_000 : 10);
    const broker = scriptedBroker({ maxRecord: 20_000 });
    const { relay } = relayOn(outbox, broker.connectProducer, []);

    await relay.drainOnce();

    expect(broker.sent.map(typeOf)).toEqual(['EventDropped', 'AttemptStatusChanged', 'AttemptStatusChanged', 'EventDropped']);
    expect(broker.sent.map(idOf)).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4']);
    expect(outbox.rows.map((r) => r.parked_reason !== null)).toEqual([true, false, false, true]);
  });

  it('does not park for a missing topic: the send fails, the relay names the topic that blocks (one error line), and recovers once the topic exists', async () => {
    const outbox = new FakeOutbox();
    outbox.add('events', 'u', 10);
    outbox.add('gone', 'u', 10);
    outbox.add('events', 'u', 10);
    const missing = new Set(['gone']);
    const broker = scriptedBroker({ maxRecord: 20_000, missing });
    const lines: string[] = [];
    const { relay, metrics } = relayOn(outbox, broker.connectProducer, lines); // one request for all three

    await expect(relay.drainOnce()).rejects.toThrow(/UNKNOWN_TOPIC_OR_PARTITION/);
    await expect(relay.drainOnce()).rejects.toThrow();
    expect(relay.blocked).toMatchObject({ topics: ['gone'], reason: 'topic_missing', detail: 'topic does not exist (UNKNOWN_TOPIC_OR_PARTITION)' });
    expect(outbox.rows.map((r) => r.published)).toEqual([true, false, false]);
    expect(outbox.rows.every((r) => r.parked_reason === null)).toBe(true);
    expect((await metrics.relayBlocked.get()).values).toContainEqual({ labels: { reason: 'topic_missing' }, value: 1 });
    const parse = (l: string) => JSON.parse(l) as { level: number | string; msg: string };
    expect(lines.map(parse).filter((l) => l.msg.startsWith('outbox relay blocked'))).toHaveLength(1);

    missing.clear();
    await relay.drainOnce();
    expect(outbox.rows.every((r) => r.published)).toBe(true);
    expect(relay.blocked).toBeNull();
    expect((await metrics.relayBlocked.get()).values).toContainEqual({ labels: { reason: 'topic_missing' }, value: 0 });
    expect(lines.map(parse).filter((l) => l.msg.startsWith('outbox relay recovered'))).toHaveLength(1);
  });

  it('retries a transient failure (the same rows again, nothing parked)', async () => {
    const outbox = new FakeOutbox();
    outbox.add('events', 'u', 10);
    let fail = true;
    const inner = scriptedBroker({ maxRecord: 20_000 });
    const connectProducer = async () => {
      const p = await inner.connectProducer();
      return {
        ...p,
        sendBatch: (a: Parameters<Producer['sendBatch']>[0]) =>
          fail ? Promise.reject(new KafkaJSConnectionError('Connection error: ECONNREFUSED')) : p.sendBatch(a),
        disconnect: () => Promise.resolve(),
      } as unknown as Producer;
    };
    const { relay } = relayOn(outbox, connectProducer, []);
    await expect(relay.drainOnce()).rejects.toThrow(/ECONNREFUSED/);
    expect(relay.blocked).toBeNull();
    fail = false;
    await relay.drainOnce();
    expect(inner.sent.map(typeOf)).toEqual(['AttemptStatusChanged']);
    expect(outbox.rows[0]).toMatchObject({ published: true, parked_reason: null });
  });
});

describe('OutboxRelay: publish spans (CloudEvents distributed tracing)', () => {
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const creation = `00-${TRACE_ID}-b7ad6b7169203331-01`;

  async function publish(tracing: Tracing | undefined) {
    const outbox = new FakeOutbox();
    Object.assign(outbox.add('events', 'u1', 10).headers, { traceparent: creation, tracestate: 'congo=1' });
    outbox.add('events', 'u2', 10);
    const headers: Record<string, string>[] = [];
    const producer = {
      sendBatch: ({ topicMessages }: { topicMessages: { messages: { headers: Record<string, string> }[] }[] }) => {
        headers.push(...topicMessages.flatMap((t) => t.messages.map((m) => m.headers)));
        return Promise.resolve([]);
      },
      disconnect: () => Promise.resolve(),
    };
    const relay = new OutboxRelay({
      pool: outbox.pool as unknown as Pool,
      connectProducer: () => Promise.resolve(producer as unknown as Producer),
      logger: createLogger('test', 'silent'),
      batchSize: 100,
      maxRequestBytes: 1_000_000,
      idlePollMs: 10,
      retentionDays: 7,
      housekeepingIntervalMs: 60_000,
      tracing,
    });
    await relay.drainOnce();
    return { headers, value: outbox.rows[0].value };
  }

  it('tracing off: sends the stored headers as they are', async () => {
    const { headers } = await publish(undefined);
    expect(headers[0]).toMatchObject({ traceparent: creation, tracestate: 'congo=1' });
    expect(headers[1]).not.toHaveProperty('traceparent');
  });

  it("tracing on: a send span per traced row, child of the event's creation context; the header becomes the send span's", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'test', exporter });
    const { headers, value } = await publish(tracing);
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([['send events', SpanKind.PRODUCER]]);
    expect(spans[0].spanContext().traceId).toBe(TRACE_ID);
    expect(spans[0].parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(headers[0]).toMatchObject({ traceparent: `00-${TRACE_ID}-${spans[0].spanContext().spanId}-01`, tracestate: 'congo=1', 'ce-type': 'AttemptStatusChanged' });
    expect(headers[1]).not.toHaveProperty('traceparent');
    // the stored value (and the event's creation context in it) is untouched
    expect(value.toString()).not.toContain(spans[0].spanContext().spanId);
  });
});

/** Ten rows with gaps between their ids (10, 20, …, 100), so a late row can take an id between them. */
function tenRowsAtIds10To100(outbox: FakeOutbox): void {
  for (let i = 1; i <= 10; i++) outbox.add('t', 'u1', 10).id = String(i * 10);
}

describe('OutboxRelay: polls read from a floor below the last published id, not over every published row', () => {
  it('publishes new rows above the floor at once, and a row committed below it (a slow transaction) on the next full scan', async () => {
    const outbox = new FakeOutbox();
    const broker = scriptedBroker({ maxRecord: 1_000_000 });
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { relay } = relayOn(outbox, broker.connectProducer, [], 10_000_000, { floorMarginIds: 3, fullScanIntervalMs: 10_000, now: () => new Date(clock) });
    tenRowsAtIds10To100(outbox);
    expect(await relay.drainOnce()).toBe(10); // the first poll reads everything; the floor is now 100 - 3
    // a transaction that took id 55 before the others and commits only now, and a new row 110
    const late = outbox.add('t', 'u2', 10);
    late.id = '55';
    outbox.add('t', 'u1', 10).id = '110';
    clock += 1_000;
    expect(await relay.drainOnce()).toBe(1);
    expect(late.published).toBe(false);
    clock += 10_000;
    expect(await relay.drainOnce()).toBe(1);
    expect(late.published).toBe(true);
    expect(broker.sent).toHaveLength(12);
  });

  it('re-reads the margin below the last published id on every poll (rows committed just after it)', async () => {
    const outbox = new FakeOutbox();
    const broker = scriptedBroker({ maxRecord: 1_000_000 });
    const { relay } = relayOn(outbox, broker.connectProducer, [], 10_000_000, { floorMarginIds: 3, fullScanIntervalMs: 3_600_000 });
    tenRowsAtIds10To100(outbox);
    await relay.drainOnce();
    const late = outbox.add('t', 'u2', 10);
    late.id = '99'; // within the margin: 99 > 100 - 3
    expect(await relay.drainOnce()).toBe(1);
    expect(late.published).toBe(true);
  });
});
