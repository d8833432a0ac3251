import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { NotifierReadinessProbe } from './readiness.probe';

@Controller('health')
export class HealthController {
  constructor(@Inject(NotifierReadinessProbe) private readonly readiness: NotifierReadinessProbe) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The ledger database answers (503 otherwise). */
  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<{ status: 'ok'; database: 'up'; worker: 'running' | 'stopped' }> {
    const { database, worker } = await this.readiness.check();
    if (database === 'down') throw new ServiceUnavailableException({ status: 'unavailable', database: 'down' });
    return { status: 'ok', database, worker };
  }
}
