import { HealthIndicatorService, type HealthIndicatorFunction, type HealthIndicatorResult, type HealthIndicatorStatus } from '@nestjs/terminus';
import type { Gauge } from 'prom-client';
import type { Logger } from '../logging/logger';

/**
 * One thing an instance needs to do its work (a database, its Kafka consumer, a worker): a custom
 * @nestjs/terminus health indicator, built on terminus's `HealthIndicatorService`.
 */
export interface ReadinessIndicator<K extends string = string> {
  /** Its key in the health body and its `check` label on `proctoring_ready`. */
  readonly key: K;
  /** `up`, or `down` with why. A fault of the dependency is a `down` result, never a rejection. */
  check(): Promise<HealthIndicatorResult<K>>;
}

export interface ReadinessOptions {
  /** `proctoring_ready{check}`: 1 while the check passes (`up`), 0 while it is `down`, set at every evaluation. */
  gauge?: Gauge<'check'>;
  /** Logs a check that starts failing (warn, with the details) or recovers (info), once per change. */
  logger?: Logger;
}

/**
 * The readiness of one instance: its indicators, evaluated for `GET /health/ready` (through terminus's
 * HealthCheckService, see HealthController) and every few seconds in the background, so that
 * `proctoring_ready` is fresh when nobody calls the endpoint. Both paths set the gauge.
 */
export class Readiness {
  private readonly last = new Map<string, HealthIndicatorStatus>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing = false;
  private readonly fallback = new HealthIndicatorService();

  constructor(
    private readonly indicators: readonly ReadinessIndicator[],
    private readonly o: ReadinessOptions = {},
  ) {}

  /** For `HealthCheckService.check`: one function per indicator, each setting the gauge when it runs. */
  healthChecks(): HealthIndicatorFunction[] {
    return this.indicators.map((i) => () => this.run(i));
  }

  /** Evaluates every indicator (the background refresh); the merged `details`. */
  async evaluate(): Promise<HealthIndicatorResult> {
    const results = await Promise.all(this.indicators.map((i) => this.run(i)));
    return Object.assign({}, ...results) as HealthIndicatorResult;
  }

  /** Evaluates every `everyMs` until `stop()`, one evaluation at a time. */
  start(everyMs = 5000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.refreshing) return;
      this.refreshing = true;
      void this.evaluate().finally(() => {
        this.refreshing = false;
      });
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async run(indicator: ReadinessIndicator): Promise<HealthIndicatorResult> {
    let result: HealthIndicatorResult;
    try {
      result = await indicator.check();
    } catch {
      // An indicator is not supposed to throw; if one does, it fails (terminus would answer 500).
      result = this.fallback.check(indicator.key).down({ message: 'the check failed unexpectedly' });
    }
    const detail = result[indicator.key] as ({ status: HealthIndicatorStatus } & Record<string, unknown>) | undefined;
    const status: HealthIndicatorStatus = detail?.status ?? 'down';
    this.o.gauge?.set({ check: indicator.key }, status === 'down' ? 0 : 1);
    const before = this.last.get(indicator.key);
    this.last.set(indicator.key, status);
    if (status === 'down' && before !== 'down') this.o.logger?.warn({ check: indicator.key, detail }, 'readiness check failing');
    if (status !== 'down' && before === 'down') this.o.logger?.info({ check: indicator.key }, 'readiness check passing again');
    return result;
  }
}
