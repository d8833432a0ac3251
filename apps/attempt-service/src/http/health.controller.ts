import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ReadinessProbe, type ReadinessReport } from './readiness.probe';

@Controller('health')
export class HealthController {
  constructor(@Inject(ReadinessProbe) private readonly readiness: ReadinessProbe) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when the database answers, the consumer has joined its group, Kafka answers and the outbox flows; 503 naming the failing checks otherwise. */
  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    if (report.status !== 'ready') throw new ServiceUnavailableException(report);
    return report;
  }
}
