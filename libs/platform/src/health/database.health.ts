import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessIndicator } from './readiness';

/**
 * The database answers `SELECT 1` (or whatever `ping` runs) within `timeoutMs`. Down says why without
 * the driver's message (which may name hosts, databases or users): the time limit, or the error code.
 */
export class DatabaseHealthIndicator implements ReadinessIndicator<'database'> {
  readonly key = 'database';
  private readonly indicator = new HealthIndicatorService();

  constructor(
    private readonly ping: () => Promise<unknown>,
    private readonly timeoutMs: number,
  ) {}

  async check(): Promise<HealthIndicatorResult<'database'>> {
    const session = this.indicator.check(this.key);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>((resolve) => {
      timer = setTimeout(() => resolve('timed out'), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.ping().then(() => 'answered' as const), timedOut]);
      if (outcome === 'timed out') return session.down({ message: `no answer within ${this.timeoutMs} ms` });
      return session.up({ responseTime: Date.now() - started });
    } catch (e) {
      return session.down({ message: `the query failed${errorCode(e)}` });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** ` (ECONNREFUSED)`, ` (57P01)`: a Node or SQLSTATE code, when the error has one. */
function errorCode(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? ` (${code})` : '';
}
