import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { Readiness } from './readiness';

/**
 * `/health/live` and `/health/ready` of every service, in @nestjs/terminus's shape
 * (`{status, info, error, details}`; 503 with the same body when a check is down or the app shuts down).
 * The app provides its `Readiness` (its indicators) and imports `healthModule()`.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(Readiness) private readonly readiness: Readiness,
  ) {}

  /** The process is up and serving HTTP: no indicator, so `ok` until the app shuts down. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Every indicator of the instance up, or 503 naming the ones that are down under `error`. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.readiness.healthChecks());
  }
}

/**
 * Terminus for the HealthController. Its own logger is off: it would log an error at every failing
 * probe (every few seconds); `Readiness` logs a check once when it starts failing and once when it
 * recovers instead.
 */
export function healthModule() {
  return TerminusModule.forRoot({ logger: false });
}
