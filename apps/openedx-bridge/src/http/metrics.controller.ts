import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';
import { BridgeMetrics } from '../application/bridge.metrics';

/** The Prometheus scrape endpoint (`/metrics`); health is the shared HealthController. */
@Controller()
export class MetricsController {
  constructor(@Inject(BridgeMetrics) private readonly metrics: BridgeMetrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
