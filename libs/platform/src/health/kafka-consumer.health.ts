import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ConsumerState } from '../kafka/kafka-batch.transport';
import type { ReadinessIndicator } from './readiness';

/**
 * The Kafka consumer (KafkaBatchTransport) runs and is a member of its group: up while `joined`, down
 * with its state otherwise (`idle` or `connecting` before it joins, `stalled` or `crashed` while the
 * watchdog replaces it, `stopped` once closed).
 */
export class KafkaConsumerHealthIndicator implements ReadinessIndicator<'consumer'> {
  readonly key = 'consumer';
  private readonly indicator = new HealthIndicatorService();

  constructor(private readonly state: () => ConsumerState) {}

  async check(): Promise<HealthIndicatorResult<'consumer'>> {
    const state = this.state();
    const session = this.indicator.check(this.key);
    return state === 'joined' ? session.up({ state }) : session.down({ state });
  }
}
