import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { ConsumerLagMonitor } from './consumer-lag.monitor';

/**
 * Prometheus scrape endpoint: commands by type and outcome, events published, outbox backlog and
 * oldest age (read at scrape time), consumer lag per partition (refreshed periodically), sweeper runs,
 * batch latency and the process metrics.
 */
@Controller()
export class MetricsController {
  constructor(
    @Inject(AttemptServiceMetrics) private readonly metrics: AttemptServiceMetrics,
    @Inject(ConsumerLagMonitor) private readonly monitor: ConsumerLagMonitor,
  ) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    // A database outage keeps the last known backlog; the scrape itself still answers.
    await this.monitor.refreshBacklog().catch(() => undefined);
    return this.metrics.registry.metrics();
  }
}
