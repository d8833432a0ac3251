import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessIndicator } from './readiness';

/** A background worker of the instance runs (the notifier's delivery worker): up `running`, down `stopped`. */
export class WorkerHealthIndicator<K extends string = 'worker'> implements ReadinessIndicator<K> {
  private readonly indicator = new HealthIndicatorService();

  constructor(
    readonly key: K,
    private readonly isRunning: () => boolean,
  ) {}

  async check(): Promise<HealthIndicatorResult<K>> {
    const session = this.indicator.check(this.key);
    return this.isRunning() ? session.up({ state: 'running' }) : session.down({ state: 'stopped' });
  }
}
