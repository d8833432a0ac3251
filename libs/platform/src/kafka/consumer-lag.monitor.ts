import type { Logger } from '../logging/logger';
import { sleep } from './backoff';
import { withTimeout, type KafkaAdminAccess } from './kafka-admin.client';

/** Where the lag goes: a prom-client `Gauge<'topic' | 'partition'>` fits. */
export interface LagGauge {
  set(labels: { topic: string; partition: string }, value: number): void;
}

export interface ConsumerLagMonitorOptions {
  admin: KafkaAdminAccess;
  groupId: string;
  /** The topics the group consumes. */
  topics: readonly string[];
  gauge: LagGauge;
  logger: Logger;
  /** 0 disables the periodic refresh (refresh() still works). */
  intervalMs: number;
  /** Longest wait for one refresh (default: the interval, at least 5 s). */
  timeoutMs?: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/** One partition's offsets as kafkajs returns them (strings). */
export interface PartitionEnds {
  partition: number;
  low: string;
  high: string;
}

/**
 * Lag of one topic's partitions: the end offset minus the group's committed offset. A partition the
 * group has not committed on yet counts from the earliest offset still stored (where the group will
 * start); a committed offset past the end (a truncated topic) counts as no lag.
 */
export function partitionLags(
  topic: string,
  ends: readonly PartitionEnds[],
  committed: ReadonlyArray<{ partition: number; offset: string }>,
): PartitionLag[] {
  const committedBy = new Map<number, bigint>();
  for (const p of committed) committedBy.set(p.partition, BigInt(p.offset));
  return ends
    .map((e) => {
      const high = BigInt(e.high);
      const low = BigInt(e.low);
      const at = committedBy.get(e.partition) ?? -1n;
      const from = at >= 0n ? at : low;
      return { topic, partition: e.partition, lag: high > from ? Number(high - from) : 0 };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Consumer lag per topic and partition of one consumer group, computed periodically with a Kafka
 * admin (end offsets and the group's committed offsets) and written to a gauge for /metrics. Shared
 * by both services; a failed refresh keeps the last values and is logged at debug level.
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

  /** Lag per partition of every topic, written to the gauge and returned. */
  async refresh(): Promise<PartitionLag[]> {
    const { groupId, topics } = this.o;
    const [ends, committed] = await this.o.admin.use(async (admin) =>
      Promise.all([Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))), admin.fetchOffsets({ groupId, topics: [...topics] })]),
    );
    const lags = topics.flatMap((topic, i) =>
      partitionLags(
        topic,
        ends[i],
        committed.filter((c) => c.topic === topic).flatMap((c) => c.partitions),
      ),
    );
    for (const l of lags) this.o.gauge.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
    return lags;
  }

  private async loop(): Promise<void> {
    const timeoutMs = this.o.timeoutMs ?? Math.max(5000, this.o.intervalMs);
    while (this.running) {
      try {
        await withTimeout(this.refresh(), timeoutMs, 'consumer lag refresh');
      } catch (e) {
        this.o.logger.debug({ err: e, groupId: this.o.groupId }, 'consumer lag refresh failed');
      }
      await sleep(this.o.intervalMs, this.abort.signal);
    }
  }
}
