import type { Pool } from 'pg';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { ConsumerLagMonitor as GroupLagMonitor } from '../../../../libs/platform/src/kafka/consumer-lag.monitor';
import type { AttemptServiceMetrics } from '../attempt-service.metrics';
import { OUTBOX_BACKLOG } from '../outbox/outbox-relay';
import { withTimeout, type KafkaAdminClient } from '../../../../libs/platform/src/kafka/kafka-admin.client';

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
 * partition (the shared libs/platform monitor: the topic's end offsets minus the group's committed
 * offsets, from a Kafka admin) and the outbox backlog with the age of its oldest row and the parked rows.
 */
export class ConsumerLagMonitor {
  private readonly lag: GroupLagMonitor;

  constructor(private readonly o: ConsumerLagMonitorOptions) {
    this.lag = new GroupLagMonitor({
      admin: o.admin,
      groupId: o.groupId,
      topics: [o.topic],
      gauge: o.metrics.consumerLag,
      logger: o.logger,
      intervalMs: o.intervalMs,
    });
  }

  start(): void {
    this.lag.start();
  }

  async stop(): Promise<void> {
    await this.lag.stop();
  }

  /** Consumer lag per partition of the commands topic, written to the gauge and returned. */
  async refreshLag(): Promise<{ partition: number; lag: number }[]> {
    return (await this.lag.refresh()).map(({ partition, lag }) => ({ partition, lag }));
  }

  /** Outbox rows not yet published and the age of the oldest, and the parked rows, written to the gauges. */
  async refreshBacklog(timeoutMs = 2000): Promise<void> {
    const { rows } = await withTimeout(
      this.o.pool.query<{ n: string; oldest: number | null; parked: string }>(
        `SELECT b.n, b.oldest, (SELECT count(*) FROM attempts.outbox_message WHERE parked_at IS NOT NULL) AS parked
           FROM (${OUTBOX_BACKLOG}) b`,
      ),
      timeoutMs,
      'outbox backlog query',
    );
    this.o.metrics.outboxBacklog.set(Number(rows[0].n));
    this.o.metrics.outboxOldestAge.set(rows[0].oldest ?? 0);
    this.o.metrics.outboxParkedRows.set(Number(rows[0].parked));
  }
}
