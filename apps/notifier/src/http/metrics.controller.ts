import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';
import { NotifierMetrics } from '../application/notifier.metrics';

/** Prometheus scrape endpoint: emails by outcome, retries, send latency, ledger backlog, consumer lag, process metrics. */
@Controller()
export class MetricsController {
  constructor(@Inject(NotifierMetrics) private readonly metrics: NotifierMetrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
