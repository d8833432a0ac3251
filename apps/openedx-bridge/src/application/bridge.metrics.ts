import type { Counter, Gauge, Registry } from 'prom-client';
import { counter, createRegistry, readinessGauge } from '../../../../libs/platform/src/metrics/metrics';

/** /metrics of the bridge: events read, Open edX events produced (by event), events skipped (by reason). */
export class BridgeMetrics {
  readonly registry: Registry = createRegistry('openedx-bridge');
  readonly consumed: Counter = counter(
    this.registry,
    'openedx_bridge_events_consumed_total',
    'Messages read from the attempt events topic',
  );
  readonly published: Counter<'event'> = counter(
    this.registry,
    'openedx_bridge_events_published_total',
    'Open edX exam attempt events produced (acknowledged by the broker), by event',
    ['event'],
  );
  readonly skipped: Counter<'reason'> = counter(
    this.registry,
    'openedx_bridge_events_skipped_total',
    'Events that would raise an Open edX event but could not, by reason',
    ['reason'],
  );
  readonly batchRetries: Counter = counter(
    this.registry,
    'openedx_bridge_batch_retries_total',
    'Batches retried after a fault (database, broker or schema registry)',
  );
  /** Set by readiness (GET /health/ready and every 5 s); the same metric in every service. */
  readonly ready: Gauge<'check'> = readinessGauge(this.registry);
}
