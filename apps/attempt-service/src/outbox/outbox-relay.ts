import type { Pool, PoolClient } from 'pg';
import type { Message } from 'kafkajs';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import type { BatchProducer } from '../../../../libs/platform/src/kafka/relay-producer';
import { ClientRunner, type SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import { backoffDelay, sleep } from '../../../../libs/platform/src/kafka/backoff';
import { NO_TRACING, SpanKind, type TraceSpan, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
import type { AttemptServiceMetrics } from '../attempt-service.metrics';
import type { OutboxHandoff, OutboxRecord } from './outbox-handoff';
import { BLOCK_REASONS, classifyPublishError, describeBlock, droppedMarker, type BlockReason } from './outbox-parking';

export interface OutboxRelayOptions {
  pool: Pool;
  /** Makes a connected idempotent producer; a fresh one replaces a producer whose send failed. */
  connectProducer: () => Promise<BatchProducer>;
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
  /** CloudEvents `source` of an `EventDropped` marker that replaces a dead letter (events keep their own). */
  eventSource?: string;
  /** The relay's clock: the markers' `time` and when the next full scan is due (tests pass their own). */
  now?: () => Date;
  /** A publish span per row that carries a trace context (default: off). */
  tracing?: Tracing;
  /** How far below the last published id a poll starts reading (default {@link FLOOR_MARGIN_IDS}). */
  floorMarginIds?: number;
  /** How often a poll reads the whole pending table instead (default {@link FULL_SCAN_INTERVAL_MS}). */
  fullScanIntervalMs?: number;
}

/**
 * A poll reads pending ids from `floor` up: the last published id minus this margin. Publishing a row
 * deletes its `outbox_pending` row, which leaves a dead entry in that table's index until VACUUM, and
 * a poll from the lowest id walks every one of them: with autovacuum off (or behind) that cost grows
 * with every command (the soak, fault scenario 9, measured the relay's empty poll at 27 ms after 3
 * minutes at 1,000 commands/s and rising, on the partial index that preceded the pending table). The
 * margin covers rows of transactions that took their ids before the last published one and committed
 * after it (a group's ~600 rows, a few groups in flight).
 */
export const FLOOR_MARGIN_IDS = 10_000;
/**
 * A row committed later still (a transaction slower than the margin) is found by a poll that reads the
 * whole index, this often. Per key, order is kept anyway: a learner's rows are written under that
 * learner's lock, so a later row of the same key cannot be visible before this one.
 */
export const FULL_SCAN_INTERVAL_MS = 10_000;

/** Why the relay cannot publish right now, while a topic is missing or it is not authorised. */
export interface RelayBlock {
  /** The topics of the rows it was sending. */
  topics: string[];
  reason: BlockReason;
  /** For humans: e.g. `topic does not exist (UNKNOWN_TOPIC_OR_PARTITION)`. */
  detail: string;
  since: Date;
}

/** Sizes the broker refused are parked with this `parked_reason` prefix and marker `reason`. */
const TOO_LARGE_REASON = 'too large';

/**
 * What publishing rows (`$1`, ids) does, as the CTEs of one statement: their `outbox_pending` rows go
 * (`done`: id and scrub), and the outbox row of one a learner's retirement flagged `scrub` (SPEC §8.3)
 * goes too. The outbox row itself is not written: it stays as the batch wrote it (until housekeeping's
 * retention delete).
 */
const PUBLISHED = `done AS (DELETE FROM attempts.outbox_pending WHERE id = ANY($1::bigint[]) RETURNING id, scrub),
  scrubbed AS (DELETE FROM attempts.outbox_message WHERE id IN (SELECT id FROM done WHERE scrub))`;
const MARK_PUBLISHED = `WITH ${PUBLISHED} SELECT count(*) FROM done`;
/** Published as a marker's stand-in (`$2`: the reason), and kept for an operator unless scrubbed. */
const MARK_PARKED = `WITH ${PUBLISHED}
  UPDATE attempts.outbox_message SET parked_at = now(), parked_reason = $2 WHERE id IN (SELECT id FROM done WHERE NOT scrub)`;

/** Session-level advisory lock: at most one relay publishes at a time, across all instances. */
const RELAY_LOCK = `SELECT pg_try_advisory_lock(hashtext('attempts.outbox_relay')) AS locked`;
export const OUTBOX_CHANNEL = 'attempts_outbox';

/** The age in seconds of the oldest unpublished row (null when none): the oldest pending id is the oldest row. */
export const OLDEST_UNPUBLISHED_AGE_S = `SELECT EXTRACT(EPOCH FROM now() - m.created_at)::float8 FROM attempts.outbox_pending p
     JOIN attempts.outbox_message m ON m.id = p.id ORDER BY p.id LIMIT 1`;

/** The unpublished rows (`n`) and the age of the oldest (`oldest`): the pending table is as small as the backlog. */
export const OUTBOX_BACKLOG = `SELECT (SELECT count(*) FROM attempts.outbox_pending) AS n, (${OLDEST_UNPUBLISHED_AGE_S}) AS oldest`;

/**
 * Publishes committed outbox rows to Kafka in id order (per key this is commit order, because a
 * learner's rows are written under that learner's lock), with an idempotent producer and acks=all,
 * then marks them published. It wakes on the NOTIFY that each committing batch sends, and falls back
 * to polling. A broker outage only grows the backlog; publishing resumes when the broker is back.
 * A crash between send and mark re-publishes the same rows with the same event ids.
 *
 * It never stalls on one row (SPEC §8.5): a request the broker refuses as too large is split in
 * halves until the refused rows travel alone; each of those is parked (kept in the table with
 * `parked_at`, for an operator) and replaced on its topic by an `EventDropped` marker with the same
 * id, key and sequence, so per-key order holds. A missing topic or an authorisation error is not
 * parked: it is retried with backoff like a broker outage, and `blocked` says so meanwhile (readiness
 * degrades; one `error` line per episode, an `info` line when it recovers).
 */
export class OutboxRelay {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private leader: PoolClient | null = null;
  private wake: (() => void) | null = null;
  private notified = false;
  private readonly abort = new AbortController();
  private lastHousekeeping = 0;
  private producer: BatchProducer | null = null;
  private block: RelayBlock | null = null;
  /** Prepared statements, like the use case's (the relay runs the same two texts all day). */
  private readonly sql: SqlRunner;
  /** Polls read ids above this one (see FLOOR_MARGIN_IDS); 0 reads the whole index. */
  private floor = 0n;
  private lastFullScan = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: OutboxRelayOptions) {
    this.sql = new ClientRunner(o.pool);
  }

  get isLeader(): boolean {
    return this.leader !== null;
  }

  /** Set while the rows at the head of the outbox cannot be published for a missing topic or authorisation. */
  get blocked(): RelayBlock | null {
    return this.block;
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
    this.clearBlock(false);
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
          // another instance publishes: what this one saw while it led is no longer its to report
          this.clearBlock(false);
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
    const now = this.o.now?.().getTime() ?? Date.now();
    const full = now - this.lastFullScan >= (this.o.fullScanIntervalMs ?? FULL_SCAN_INTERVAL_MS);
    if (full) this.lastFullScan = now;
    const pending = await this.sql.query<{ id: string }>(
      `SELECT id FROM attempts.outbox_pending WHERE id > $2 ORDER BY id LIMIT $1`,
      [this.o.batchSize, full ? '0' : this.floor.toString()],
    );
    if (pending.length === 0) {
      this.o.handoff?.clear();
      this.o.metrics?.outboxBacklog.set(0);
      this.o.metrics?.outboxOldestAge.set(0);
      return 0;
    }
    this.o.handoff?.forgetBelow(pending[0].id);
    const rows = await this.recordsOf(pending.map((r) => r.id));
    for (const chunk of chunkByBytes(rows, this.o.maxRequestBytes)) {
      // while blocked, one topic per request: the failing request names the topic that blocks
      for (const run of this.block ? topicRuns(chunk) : [chunk]) await this.publishChunk(run);
    }
    const above = BigInt(pending[pending.length - 1].id) - BigInt(this.o.floorMarginIds ?? FLOOR_MARGIN_IDS);
    if (above > this.floor) this.floor = above;
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

  /**
   * Sends one chunk in one produce request, then marks its rows published. A chunk refused as too
   * large is split in halves, in order (the first half is published or parked before the second is
   * sent), down to single rows; a single row refused is parked. A row may reach the topic twice
   * (part of a refused request may have been written), always with the same event id.
   */
  private async publishChunk(rows: OutboxRecord[]): Promise<void> {
    try {
      await this.send(rows);
    } catch (e) {
      const failure = classifyPublishError(e);
      if (failure.kind === 'too-large') {
        if (rows.length === 1) return this.park(rows[0], failure.code);
        const half = Math.ceil(rows.length / 2);
        await this.publishChunk(rows.slice(0, half));
        await this.publishChunk(rows.slice(half));
        return;
      }
      if (failure.kind === 'blocked') {
        const runs = topicRuns(rows);
        // several topics in the request: find the one that blocks (in order, topic by topic)
        if (runs.length > 1) {
          for (const run of runs) await this.publishChunk(run);
          return;
        }
        this.setBlock(rows, failure.reason, failure.code);
      }
      throw e;
    }
    this.clearBlock(true);
    // A row a learner's retirement flagged (`scrub`) is deleted instead (SPEC §8.3).
    await this.sql.query(MARK_PUBLISHED, [rows.map((r) => r.id)]);
    this.o.handoff?.forget(rows.map((r) => r.id));
    for (const [topic, n] of countByTopic(rows)) this.o.metrics?.eventsPublished.inc({ topic }, n);
  }

  /** One produce request (acks=all) with a connected producer; a producer whose send failed is replaced. */
  private async send(rows: OutboxRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const spans: TraceSpan[] = [];
    for (const r of rows) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: r.value, headers: this.traced(r, spans) });
      byTopic.set(r.topic, list);
    }
    try {
      this.producer ??= await this.o.connectProducer();
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (e) {
      for (const span of spans) span.fail(e);
      // After a failed send an idempotent producer's sequence numbers may be out of step with the
      // broker; start over with a new producer id. The rows are re-sent with the same event ids.
      await this.dropProducer();
      throw e;
    } finally {
      for (const span of spans) span.end();
    }
  }

  /**
   * The headers a row is sent with. With tracing on, a row that carries a trace context (its
   * `traceparent` header: the event's creation context, stored with the row) gets a publish span,
   * `send <topic>` (kind producer), a child of that context; the message's `traceparent` header
   * becomes the publish span's (the transport context, W3C), while the event's `traceparent`
   * attribute in the value stays the creation context. Every send attempt has its own span. With
   * tracing off the stored headers are sent as they are.
   */
  private traced(r: OutboxRecord, spans: TraceSpan[]): Record<string, string> {
    const tracing = this.o.tracing ?? NO_TRACING;
    const traceparent = r.headers.traceparent;
    if (!tracing.enabled || traceparent === undefined) return r.headers;
    const span = tracing.startSpan(`send ${r.topic}`, {
      kind: SpanKind.PRODUCER,
      remote: { traceparent, tracestate: r.headers.tracestate },
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': r.topic,
        ...(r.headers['ce-type'] !== undefined ? { 'cloudevents.event_type': r.headers['ce-type'] } : {}),
      },
    });
    spans.push(span);
    const context = span.carrier;
    if (context?.traceparent === undefined) return r.headers;
    const { tracestate: _stored, ...headers } = r.headers;
    return { ...headers, traceparent: context.traceparent, ...(context.tracestate !== undefined ? { tracestate: context.tracestate } : {}) };
  }

  /**
   * Replaces a row the broker refused on its own by its `EventDropped` marker, then keeps the row for
   * an operator: published (its place in the key's order is taken by the marker) and parked (never
   * purged; `attempts -- outbox drop` deletes it). A marker that cannot be sent fails like any send.
   */
  private async park(row: OutboxRecord, code: string): Promise<void> {
    const { rows: stored } = await this.o.pool.query<{ event_id: string }>(
      `SELECT event_id FROM attempts.outbox_message WHERE id = $1`,
      [row.id],
    );
    const { record, event } = droppedMarker(row, {
      eventId: stored[0]?.event_id ?? null,
      source: this.o.eventSource ?? 'attempt-service',
      now: (this.o.now ?? (() => new Date()))(),
      reason: TOO_LARGE_REASON,
    });
    await this.send([record]);
    this.clearBlock(true);
    await this.o.pool.query(MARK_PARKED, [[row.id], `${TOO_LARGE_REASON}: ${code}, ${event.data.sizeBytes} bytes`]);
    this.o.handoff?.forget([row.id]);
    this.o.metrics?.outboxParked.inc({ topic: row.topic });
    this.o.metrics?.outboxParkedRows.inc();
    this.o.logger.error(
      {
        outboxId: row.id,
        eventId: event.id,
        topic: row.topic,
        type: event.data.droppedType,
        sizeBytes: event.data.sizeBytes,
        code,
      },
      'outbox row parked: the broker refused it as too large; an EventDropped marker took its place',
    );
  }

  private setBlock(rows: OutboxRecord[], reason: BlockReason, code: string): void {
    const topics = [...new Set(rows.map((r) => r.topic))];
    const detail = describeBlock(reason, code);
    const same = this.block && this.block.reason === reason && this.block.topics.join(',') === topics.join(',');
    if (!same) {
      // an alert: once per blocked episode, not once per retry
      this.o.logger.error({ topics, reason, code }, `outbox relay blocked: ${topics.join(', ')}: ${detail}`);
      this.block = { topics, reason, detail, since: new Date() };
    }
    for (const r of BLOCK_REASONS) this.o.metrics?.relayBlocked.set({ reason: r }, r === reason ? 1 : 0);
  }

  /** Leaves a blocked episode: `recovered` says it was published past it (else it is just forgotten). */
  private clearBlock(recovered: boolean): void {
    const b = this.block;
    if (!b) return;
    this.block = null;
    for (const r of BLOCK_REASONS) this.o.metrics?.relayBlocked.set({ reason: r }, 0);
    if (recovered) {
      this.o.logger.info(
        { topics: b.topics, reason: b.reason, blockedMs: Date.now() - b.since.getTime() },
        'outbox relay recovered: publishing again',
      );
    }
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
    // Rows no longer pending, by age since they were written; parked rows stay until an operator drops them.
    const outbox = await this.o.pool.query(
      `DELETE FROM attempts.outbox_message m
        WHERE m.created_at < now() - make_interval(days => $1) AND m.parked_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM attempts.outbox_pending p WHERE p.id = m.id)`,
      [days],
    );
    const inbox = await this.o.pool.query(
      `DELETE FROM attempts.processed_command WHERE processed_at < now() - make_interval(days => $1)`,
      [days],
    );
    const backlog = await this.o.pool.query<{ n: string; oldest: number | null }>(OUTBOX_BACKLOG);
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
    // Listening from the checkout on: a reset during the lock query is emitted as an 'error' event too
    // (see inTransaction), and the pool does not listen while the client is checked out.
    let leading = false;
    const onError = (e: Error): void => {
      if (!leading) return; // the failed query below reports it
      this.o.logger.warn({ err: e }, 'outbox relay lost its leadership connection');
      void this.releaseLeadership();
    };
    client.on('error', onError);
    try {
      const { rows } = await client.query<{ locked: boolean }>(RELAY_LOCK);
      if (!rows[0].locked) {
        client.removeListener('error', onError);
        client.release();
        return false;
      }
      client.on('notification', () => {
        this.notified = true;
        this.wake?.();
      });
      leading = true;
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.leader = client;
      // what another leader published meanwhile is unknown here: the first poll reads the whole index
      this.floor = 0n;
      this.lastFullScan = Number.NEGATIVE_INFINITY;
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

/** `rows` cut, in order, wherever the topic changes. */
function topicRuns(rows: OutboxRecord[]): OutboxRecord[][] {
  const runs: OutboxRecord[][] = [];
  for (const r of rows) {
    const last = runs[runs.length - 1];
    if (last && last[0].topic === r.topic) last.push(r);
    else runs.push([r]);
  }
  return runs;
}

function countByTopic(rows: readonly OutboxRecord[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const r of rows) n.set(r.topic, (n.get(r.topic) ?? 0) + 1);
  return n;
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
