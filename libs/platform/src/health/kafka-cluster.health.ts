import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout, type KafkaAdminAccess } from '../kafka/kafka-admin.client';
import type { ReadinessIndicator } from './readiness';

export interface KafkaClusterHealthOptions {
  admin: KafkaAdminAccess;
  /** Longest a check waits for the metadata answer. */
  timeoutMs: number;
  /** How long an answer is reused: a probe every second must not open a metadata request each time. */
  cacheMs: number;
}

/**
 * The Kafka cluster answers a metadata request with at least one broker. The answer is cached for
 * `cacheMs`, and one request at most is in flight: a check that times out waits for the same request
 * next time rather than opening another.
 */
export class KafkaClusterHealthIndicator implements ReadinessIndicator<'kafka'> {
  readonly key = 'kafka';
  private readonly indicator = new HealthIndicatorService();
  private cached: { up: boolean; at: number } | null = null;
  private inFlight: Promise<boolean> | null = null;

  constructor(private readonly o: KafkaClusterHealthOptions) {}

  async check(): Promise<HealthIndicatorResult<'kafka'>> {
    const session = this.indicator.check(this.key);
    let up: boolean;
    try {
      up = await withTimeout(this.answer(), this.o.timeoutMs, 'kafka check');
    } catch {
      return session.down({ message: `no metadata answer within ${this.o.timeoutMs} ms` });
    }
    return up ? session.up() : session.down({ message: 'no broker answered a metadata request' });
  }

  private answer(): Promise<boolean> {
    const cached = this.cached;
    if (cached && Date.now() - cached.at < this.o.cacheMs) return Promise.resolve(cached.up);
    this.inFlight ??= this.o.admin
      .use((admin) => admin.describeCluster())
      .then(
        (cluster) => cluster.brokers.length > 0,
        () => false,
      )
      .then((up) => {
        this.cached = { up, at: Date.now() };
        return up;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
