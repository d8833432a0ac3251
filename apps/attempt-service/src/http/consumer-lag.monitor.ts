import type { Pool } from 'pg';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { sleep } from '../../../../libs/platform/src/kafka/backoff';
import type { AttemptServiceMetrics } from '../attempt-service.metrics';
import { withTimeout, type KafkaAdminClient } from './kafka-admin.client';

export interface ConsumerLagMonitorOptions {
  admin: KafkaAdminClient;
  pool: Pool;
  metrics: AttemptServiceMetrics;
  logger: Logger;
  groupId: string;
  topic: string;
  /** 0 disables the periodic refresh (refresh() still works). */
  intervalMs: number;
}

/**
 * Keeps the gauges /metrics reports that are not counted as things happen: consumer lag per
 * partition (the topic's end offsets minus the group's committed offsets, from a Kafka admin) and the
 * outbox backlog with the age of its oldest row.
 */
export class ConsumerLagMonitor {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private abort = new AbortController();

  constructor(private readonly o: ConsumerLagMonitorOptions) {}

  start(): void {
    if (this.running || this.o.intervalMs === 0) return;
    this.running = true;
    this.abort = new AbortController();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loopDone;
  }

  /** Consumer lag per partition of the commands topic, written to the gauge and returned. */
  async refreshLag(): Promise<{ partition: number; lag: number }[]> {
    const { topic, groupId } = this.o;
    const [ends, committed] = await this.o.admin.use(async (admin) =>
      Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]),
    );
    const committedBy = new Map<number, bigint>();
    for (const t of committed) {
      if (t.topic !== topic) continue;
      for (const p of t.partitions) committedBy.set(p.partition, BigInt(p.offset));
    }
    const lags = ends.map((e) => {
      const high = BigInt(e.high);
      const low = BigInt(e.low);
      const at = committedBy.get(e.partition) ?? -1n;
      // No committed offset yet: the group will start at the earliest offset still stored.
      const from = at >= 0n ? at : low;
      const lag = high > from ? Number(high - from) : 0;
      this.o.metrics.consumerLag.set({ topic, partition: String(e.partition) }, lag);
      return { partition: e.partition, lag };
    });
    return lags;
  }

  /** Outbox rows not yet published and the age of the oldest, written to the gauges. */
  async refreshBacklog(timeoutMs = 2000): Promise<void> {
    const { rows } = await withTimeout(
      this.o.pool.query<{ n: string; oldest: number | null }>(
        `SELECT count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest
           FROM attempts.outbox_message WHERE published_at IS NULL`,
      ),
      timeoutMs,
      'outbox backlog query',
    );
    this.o.metrics.outboxBacklog.set(Number(rows[0].n));
    this.o.metrics.outboxOldestAge.set(rows[0].oldest ?? 0);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        await withTimeout(this.refreshLag(), Math.max(5000, this.o.intervalMs), 'consumer lag refresh');
      } catch (e) {
        this.o.logger.debug({ err: e }, 'consumer lag refresh failed');
      }
      await sleep(this.o.intervalMs, this.abort.signal);
    }
  }
}
