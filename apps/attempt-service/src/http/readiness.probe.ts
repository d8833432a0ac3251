import type { Pool } from 'pg';
import type { Gauge } from 'prom-client';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { withTimeout, type KafkaAdminClient } from '../../../../libs/platform/src/kafka/kafka-admin.client';
import type { RelayBlock } from '../outbox/outbox-relay';

export type CheckName = 'database' | 'consumer' | 'kafka' | 'outbox';

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  /**
   * `outbox`: `ok`, `unknown` (its query failed; the database check says why), or what is wrong,
   * e.g. `2 parked rows; relay blocked: proctoring.attempt.events.v1: topic does not exist (…)`.
   */
  checks: { database: 'up' | 'down'; consumer: ConsumerState; kafka: 'up' | 'down'; outbox: string };
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
  /** Why this instance's outbox relay cannot publish, while it cannot (a missing topic, no authorisation). */
  relayBlocked?: () => RelayBlock | null;
  /** The oldest unpublished outbox row may be at most this old. */
  outboxMaxAgeMs: number;
  /** `proctoring_ready{check}`: set to 1 (passing) or 0 (failing) per check at every evaluation. */
  readyGauge?: Gauge<'check'>;
}

/**
 * Readiness of one instance: the database answers `SELECT 1` within a short timeout, the consumer
 * has joined its group, the Kafka cluster answers a metadata request (cached for a few seconds,
 * one request in flight at a time), and the outbox flows: no parked rows wait for an operator, the
 * relay is not blocked, and the oldest unpublished row is younger than `outboxMaxAgeMs`.
 */
export class ReadinessProbe {
  private kafkaResult: { up: boolean; at: number } | null = null;
  private kafkaInFlight: Promise<boolean> | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(private readonly o: ReadinessProbeOptions) {}

  /** Evaluates the checks every `everyMs` as well, so `proctoring_ready` is fresh when nobody calls /health/ready. */
  start(everyMs = 5000): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setInterval(() => {
      if (this.refreshing) return;
      this.refreshing = true;
      void this.check().finally(() => {
        this.refreshing = false;
      });
    }, everyMs);
    this.refreshTimer.unref();
  }

  stop(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  async check(): Promise<ReadinessReport> {
    const [database, kafka, outbox] = await Promise.all([this.database(), this.kafka(), this.outbox()]);
    const consumer = this.o.consumerState();
    const failing: CheckName[] = [];
    if (!database) failing.push('database');
    if (consumer !== 'joined') failing.push('consumer');
    if (!kafka) failing.push('kafka');
    if (outbox !== 'ok' && outbox !== 'unknown') failing.push('outbox');
    for (const name of ['database', 'consumer', 'kafka', 'outbox'] as const) this.o.readyGauge?.set({ check: name }, failing.includes(name) ? 0 : 1);
    return {
      status: failing.length === 0 ? 'ready' : 'unavailable',
      checks: { database: database ? 'up' : 'down', consumer, kafka: kafka ? 'up' : 'down', outbox },
      failing,
    };
  }

  /** One cheap statement: the parked count (partial index) and the age of the row the relay is at (lowest unpublished id). */
  private async outbox(): Promise<string> {
    const problems: string[] = [];
    const block = this.o.relayBlocked?.();
    if (block) problems.push(`relay blocked: ${block.topics.join(', ') || 'every topic'}: ${block.detail}`);
    try {
      const { rows } = await withTimeout(
        this.o.pool.query<{ parked: number; oldest_ms: number | null }>(
          `SELECT (SELECT count(*) FROM attempts.outbox_message WHERE parked_at IS NOT NULL)::int AS parked,
                  (SELECT (EXTRACT(EPOCH FROM now() - created_at) * 1000)::float8
                     FROM attempts.outbox_message WHERE published_at IS NULL ORDER BY id LIMIT 1) AS oldest_ms`,
        ),
        this.o.dbTimeoutMs,
        'outbox check',
      );
      const { parked, oldest_ms: oldestMs } = rows[0];
      if (parked > 0) problems.push(`${parked} parked row${parked === 1 ? '' : 's'}`);
      if (oldestMs !== null && oldestMs > this.o.outboxMaxAgeMs) {
        problems.push(`oldest unpublished row is ${Math.round(oldestMs / 1000)} s old (limit ${Math.round(this.o.outboxMaxAgeMs / 1000)} s)`);
      }
    } catch {
      if (problems.length === 0) return 'unknown';
    }
    return problems.length === 0 ? 'ok' : problems.join('; ');
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
