import type { Pool, PoolClient } from 'pg';
import type { Message, Producer } from 'kafkajs';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { ClientRunner, type SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import { backoffDelay, sleep } from '../../../../libs/platform/src/kafka/backoff';
import type { AttemptServiceMetrics } from '../attempt-service.metrics';
import type { OutboxHandoff, OutboxRecord } from './outbox-handoff';

export interface OutboxRelayOptions {
  pool: Pool;
  /** Makes a connected idempotent producer; a fresh one replaces a producer whose send failed. */
  connectProducer: () => Promise<Producer>;
  logger: Logger;
  metrics?: AttemptServiceMetrics;
  batchSize: number;
  /**
   * Upper bound of one produce request's messages, in bytes. The broker refuses a record batch above
   * its `message.max.bytes` (1 MiB by default) and kafkajs puts a partition's share of a request in
   * one record batch, so a read batch of large rows (dead-lettered commands) is sent in chunks.
   */
  maxRequestBytes: number;
  idlePollMs: number;
  retentionDays: number;
  housekeepingIntervalMs: number;
  /** Rows this process committed, so their values need not be read back (see OutboxHandoff). */
  handoff?: OutboxHandoff;
}

/** Session-level advisory lock: at most one relay publishes at a time, across all instances. */
const RELAY_LOCK = `SELECT pg_try_advisory_lock(hashtext('attempts.outbox_relay')) AS locked`;
export const OUTBOX_CHANNEL = 'attempts_outbox';

/**
 * Publishes committed outbox rows to Kafka in id order (per key this is commit order, because a
 * learner's rows are written under that learner's lock), with an idempotent producer and acks=all,
 * then marks them published. It wakes on the NOTIFY that each committing batch sends, and falls back
 * to polling. A broker outage only grows the backlog; publishing resumes when the broker is back.
 * A crash between send and mark re-publishes the same rows with the same event ids.
 */
export class OutboxRelay {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private leader: PoolClient | null = null;
  private wake: (() => void) | null = null;
  private notified = false;
  private readonly abort = new AbortController();
  private lastHousekeeping = 0;
  private producer: Producer | null = null;
  /** Prepared statements, like the use case's (the relay runs the same two texts all day). */
  private readonly sql: SqlRunner;

  constructor(private readonly o: OutboxRelayOptions) {
    this.sql = new ClientRunner(o.pool);
  }

  get isLeader(): boolean {
    return this.leader !== null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Finishes the publish in flight, then stops and gives up leadership. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    this.wake?.();
    await this.loopDone;
    await this.releaseLeadership();
    await this.dropProducer();
  }

  /** Publishes everything pending now (used by the CLI and tests); returns the number of messages sent. */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishBatch();
      total += n;
      if (n < this.o.batchSize) return total;
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!this.leader && !(await this.acquireLeadership())) {
          await this.idle(this.o.idlePollMs * 2);
          continue;
        }
        const sent = await this.publishBatch();
        await this.housekeeping();
        failures = 0;
        if (sent < this.o.batchSize) await this.idle(this.o.idlePollMs);
      } catch (e) {
        failures++;
        const delay = backoffDelay(failures, 200, 10_000);
        this.o.logger.warn({ err: e, retryInMs: delay }, 'outbox relay failed; retrying');
        await this.releaseLeadership();
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private async publishBatch(): Promise<number> {
    const pending = await this.sql.query<{ id: string }>(
      `SELECT id FROM attempts.outbox_message WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [this.o.batchSize],
    );
    if (pending.length === 0) {
      this.o.handoff?.clear();
      this.o.metrics?.outboxBacklog.set(0);
      this.o.metrics?.outboxOldestAge.set(0);
      return 0;
    }
    this.o.handoff?.forgetBelow(pending[0].id);
    const rows = await this.recordsOf(pending.map((r) => r.id));
    this.producer ??= await this.o.connectProducer();
    for (const chunk of chunkByBytes(rows, this.o.maxRequestBytes))
      await this.publishChunk(this.producer, chunk);
    return rows.length;
  }

  /** The rows of `ids`, in that order: from the handoff where it holds them, else from the table. */
  private async recordsOf(ids: string[]): Promise<OutboxRecord[]> {
    const held = ids.map((id) => this.o.handoff?.get(id));
    const missing = ids.filter((_, i) => held[i] === undefined);
    if (missing.length === 0) return held as OutboxRecord[];
    const read = await this.sql.query<OutboxRecord>(
      `SELECT id, topic, key, value, headers FROM attempts.outbox_message WHERE id = ANY($1::bigint[])`,
      [missing],
    );
    const byId = new Map(read.map((r) => [r.id, r]));
    return ids.map((id, i) => {
      const r = held[i] ?? byId.get(id);
      if (!r) throw new Error(`outbox row ${id} disappeared before it was published`);
      return r;
    });
  }

  /** Sends one chunk in one produce request, then marks its rows published. */
  private async publishChunk(producer: Producer, rows: OutboxRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const r of rows) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: r.value, headers: r.headers });
      byTopic.set(r.topic, list);
    }
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (e) {
      // After a failed send an idempotent producer's sequence numbers may be out of step with the
      // broker; start over with a new producer id. The rows are re-sent with the same event ids.
      await this.dropProducer();
      throw e;
    }
    await this.sql.query(
      `UPDATE attempts.outbox_message SET published_at = now() WHERE id = ANY($1::bigint[])`,
      [rows.map((r) => r.id)],
    );
    this.o.handoff?.forget(rows.map((r) => r.id));
    for (const [topic, messages] of byTopic) this.o.metrics?.eventsPublished.inc({ topic }, messages.length);
  }

  private async dropProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastHousekeeping < this.o.housekeepingIntervalMs) return;
    this.lastHousekeeping = now;
    const days = this.o.retentionDays;
    const outbox = await this.o.pool.query(
      `DELETE FROM attempts.outbox_message WHERE published_at < now() - make_interval(days => $1)`,
      [days],
    );
    const inbox = await this.o.pool.query(
      `DELETE FROM attempts.processed_command WHERE processed_at < now() - make_interval(days => $1)`,
      [days],
    );
    const backlog = await this.o.pool.query<{ n: string; oldest: number | null }>(
      `SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest
         FROM attempts.outbox_message WHERE published_at IS NULL`,
    );
    this.o.metrics?.outboxBacklog.set(Number(backlog.rows[0].n));
    this.o.metrics?.outboxOldestAge.set(backlog.rows[0].oldest ?? 0);
    this.o.logger.info(
      { purgedOutbox: outbox.rowCount, purgedInbox: inbox.rowCount, retentionDays: days },
      'housekeeping done',
    );
  }

  /**
   * Takes the relay leadership if no other relay holds it (the CLI uses this before `drainOnce()`,
   * so it never publishes beside a running service). Released by `stop()`.
   */
  async acquireLeadership(): Promise<boolean> {
    const client = await this.o.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(RELAY_LOCK);
      if (!rows[0].locked) {
        client.release();
        return false;
      }
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      client.on('error', (e) => {
        this.o.logger.warn({ err: e }, 'outbox relay lost its leadership connection');
        void this.releaseLeadership();
      });
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.leader = client;
      this.o.handoff?.setAccepting(true);
      this.o.logger.info('outbox relay is the leader');
      return true;
    } catch (e) {
      client.release(true);
      throw e;
    }
  }

  private async releaseLeadership(): Promise<void> {
    const client = this.leader;
    if (!client) return;
    this.leader = null;
    this.o.handoff?.setAccepting(false);
    // Destroy the session: that drops the advisory lock and the LISTEN with it, even mid-failure.
    client.removeAllListeners('notification');
    client.release(true);
  }

  /** Waits for a commit notification or `ms`; returns at once if one arrived while publishing. */
  private idle(ms: number): Promise<void> {
    if (this.notified || !this.running) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        this.notified = false;
        done();
      };
    });
  }
}

/** Rough size of a record on the wire: value, key, headers and per-record framing. */
export function recordBytes(r: {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}): number {
  let n = 64 + r.value.length + (r.key === null ? 0 : Buffer.byteLength(r.key));
  for (const [k, v] of Object.entries(r.headers)) n += 8 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/**
 * Splits rows, in order, into chunks of at most `maxBytes` (a row larger than that travels alone).
 */
export function chunkByBytes<
  T extends { key: string | null; value: Buffer; headers: Record<string, string> },
>(rows: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const r of rows) {
    const n = recordBytes(r);
    if (current.length > 0 && size + n > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
