import type { Pool } from 'pg';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { withTimeout, type KafkaAdminClient } from '../../../../libs/platform/src/kafka/kafka-admin.client';

export type CheckName = 'database' | 'consumer' | 'kafka';

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  checks: { database: 'up' | 'down'; consumer: ConsumerState; kafka: 'up' | 'down' };
  /** the checks that failed, empty when ready. */
  failing: CheckName[];
}

export interface ReadinessProbeOptions {
  pool: Pool;
  consumerState: () => ConsumerState;
  admin: KafkaAdminClient;
  dbTimeoutMs: number;
  kafkaTimeoutMs: number;
  /** How long a Kafka result is reused (a scrape every second must not open a metadata request each time). */
  kafkaCacheMs: number;
}

/**
 * Readiness of one instance: the database answers `SELECT 1` within a short timeout, the consumer
 * has joined its group, and the Kafka cluster answers a metadata request (cached for a few seconds,
 * one request in flight at a time).
 */
export class ReadinessProbe {
  private kafkaResult: { up: boolean; at: number } | null = null;
  private kafkaInFlight: Promise<boolean> | null = null;

  constructor(private readonly o: ReadinessProbeOptions) {}

  async check(): Promise<ReadinessReport> {
    const [database, kafka] = await Promise.all([this.database(), this.kafka()]);
    const consumer = this.o.consumerState();
    const failing: CheckName[] = [];
    if (!database) failing.push('database');
    if (consumer !== 'joined') failing.push('consumer');
    if (!kafka) failing.push('kafka');
    return {
      status: failing.length === 0 ? 'ready' : 'unavailable',
      checks: { database: database ? 'up' : 'down', consumer, kafka: kafka ? 'up' : 'down' },
      failing,
    };
  }

  private async database(): Promise<boolean> {
    try {
      await withTimeout(this.o.pool.query('SELECT 1'), this.o.dbTimeoutMs, 'database check');
      return true;
    } catch {
      return false;
    }
  }

  private async kafka(): Promise<boolean> {
    const cached = this.kafkaResult;
    if (cached && Date.now() - cached.at < this.o.kafkaCacheMs) return cached.up;
    this.kafkaInFlight ??= this.o.admin
      .use((admin) => admin.describeCluster())
      .then(
        (cluster) => cluster.brokers.length > 0,
        () => false,
      )
      .then((up) => {
        this.kafkaResult = { up, at: Date.now() };
        return up;
      })
      .finally(() => {
        this.kafkaInFlight = null;
      });
    try {
      return await withTimeout(this.kafkaInFlight, this.o.kafkaTimeoutMs, 'kafka check');
    } catch {
      return false;
    }
  }
}
