import { Controller, Get, Header, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { Registry } from 'prom-client';
import { BridgeMetrics } from '../application/bridge.metrics';
import { BRIDGE_READINESS, type ReadinessCheck } from '../openedx-bridge.tokens';

/** Health (`/health/live`, `/health/ready`) and the Prometheus scrape endpoint (`/metrics`). */
@Controller()
export class BridgeHttpController {
  constructor(
    @Inject(BridgeMetrics) private readonly metrics: BridgeMetrics,
    @Inject(BRIDGE_READINESS) private readonly readiness: ReadinessCheck,
  ) {}

  @Get('health/live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @HttpCode(200)
  async ready(): Promise<{ status: 'ok'; database: 'up'; consumer: 'joined' }> {
    const { database, consumer } = await this.readiness();
    if (database === 'down' || consumer !== 'joined')
      throw new ServiceUnavailableException({ status: 'unavailable', database, consumer });
    return { status: 'ok', database, consumer };
  }

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
