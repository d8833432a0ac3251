import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { adminKafka } from './fault-infra';

/** A message read back from a topic. */
export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** End offsets (high watermarks) per partition of each topic. */
export async function endOffsets(brokers: string, topics: string[]): Promise<Map<string, Map<number, bigint>>> {
  const admin = adminKafka(brokers, 'faults-offsets').admin();
  await admin.connect();
  try {
    const out = new Map<string, Map<number, bigint>>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      out.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
    }
    return out;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** How many messages a consumer group still has to read on `topic` (null when it cannot be told). */
export async function groupLag(brokers: string, groupId: string, topic: string): Promise<bigint | null> {
  const admin = adminKafka(brokers, 'faults-lag').admin();
  try {
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0n;
    for (const e of ends) {
      const c = committed?.partitions.find((p) => p.partition === e.partition);
      const at = c && c.offset !== '-1' ? BigInt(c.offset) : BigInt(e.low);
      const high = BigInt(e.high);
      if (high > at) lag += high - at;
    }
    return lag;
  } catch {
    return null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Reads every message of `topics` from the beginning up to the end offsets taken when the call starts
 * (a fresh consumer group, so nothing is skipped). Bounded by `timeoutMs`.
 */
/**
 * Reads every message on `topics` up to the end offsets they had when called, handing each to
 * `onMessage` in offset order per partition and keeping none of them: the soak's verdict reads millions.
 */
export async function readEach(kafka: Kafka, brokers: string, topics: string[], onMessage: (m: ReadMessage) => void, timeoutMs = 180_000): Promise<number> {
  const ends = await endOffsets(brokers, topics);
  const remaining = new Set<string>();
  for (const [topic, parts] of ends) for (const [p, high] of parts) if (high > 0n) remaining.add(`${topic}/${p}`);
  let read = 0;
  if (remaining.size === 0) return read;
  const consumer = kafka.consumer({ groupId: `faults-reader-${randomUUID()}`, maxWaitTimeInMs: 200, maxBytesPerPartition: 8 * 1024 * 1024 });
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolveDone) => (finish = resolveDone));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const high = ends.get(batch.topic)?.get(batch.partition) ?? 0n;
        for (const m of batch.messages) {
          if (BigInt(m.offset) >= high) continue;
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.headers ?? {})) {
            if (v === undefined) continue;
            headers[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
          }
          onMessage({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ? m.key.toString('utf8') : null,
            value: m.value,
            headers,
          });
          read++;
          if (BigInt(m.offset) >= high - 1n) {
            remaining.delete(`${batch.topic}/${batch.partition}`);
            if (remaining.size === 0) finish();
          }
        }
        await Promise.resolve();
      },
    });
    const timedOut = await Promise.race([done.then(() => false), delay(timeoutMs).then(() => true)]);
    if (timedOut) throw new Error(`reading ${topics.join(', ')} did not reach the end offsets within ${timeoutMs} ms (left: ${[...remaining].join(', ')})`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return read;
}

// ---- the stored state ---------------------------------------------------------------------------

export interface StoredAttemptView {
  examId: string;
  userId: string;
  status: string;
  version: number;
  takingAsProctored: boolean;
  transitions: number;
}

export interface DbSnapshot {
  attempts: StoredAttemptView[];
  history: Map<string, number>;
  totalTransitions: number;
  processedCommands: number;
  outboxBacklog: number;
}

export async function snapshot(pool: Pool): Promise<DbSnapshot> {
  const attempts = await pool.query<{ exam_id: string; user_id: string; status: string; version: number; taking_as_proctored: boolean; transitions: string }>(
    `SELECT a.exam_id, a.user_id, a.status, a.version, a.taking_as_proctored,
            (SELECT count(*) FROM attempts.attempt_transition t WHERE t.attempt_id = a.id) AS transitions
       FROM attempts.attempt a`,
  );
  const history = await pool.query<{ exam_id: string; user_id: string; n: string }>(
    `SELECT exam_id, user_id, count(*) AS n FROM attempts.attempt_history GROUP BY exam_id, user_id`,
  );
  const counts = await pool.query<{ transitions: string; processed: string; backlog: string }>(
    `SELECT (SELECT count(*) FROM attempts.attempt_transition) AS transitions,
            (SELECT count(*) FROM attempts.processed_command) AS processed,
            (SELECT count(*) FROM attempts.outbox_pending) AS backlog`,
  );
  return {
    attempts: attempts.rows.map((r) => ({
      examId: r.exam_id,
      userId: r.user_id,
      status: r.status,
      version: r.version,
      takingAsProctored: r.taking_as_proctored,
      transitions: Number(r.transitions),
    })),
    history: new Map(history.rows.map((r) => [`${r.exam_id}\u0000${r.user_id}`, Number(r.n)])),
    totalTransitions: Number(counts.rows[0].transitions),
    processedCommands: Number(counts.rows[0].processed),
    outboxBacklog: Number(counts.rows[0].backlog),
  };
}

export interface LedgerRow {
  eventId: string;
  status: string;
  attempts: number;
}

export async function ledgerRows(pool: Pool): Promise<LedgerRow[]> {
  const { rows } = await pool.query<{ event_id: string; status: string; attempts: number }>(
    `SELECT event_id, status, attempts FROM notifier.email_delivery`,
  );
  return rows.map((r) => ({ eventId: r.event_id, status: r.status, attempts: r.attempts }));
}

/** A query that answers null instead of throwing (the database may be down on purpose). */
export async function tryQuery<T>(f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch {
    return null;
  }
}

export function faultPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 3000, idleTimeoutMillis: 5000 });
  pool.on('error', () => undefined); // idle clients lose their server during a database outage
  return pool;
}
