import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionKind } from './retry.policy';

export type RecordResult = 'recorded' | 'duplicate' | 'not_emailed' | 'expired' | 'unreadable' | 'refused' | 'foreign_source';

/**
 * The notifier's Prometheus metrics, on a registry of its own (served at `/metrics`). The backlog
 * gauge is read from the ledger when scraped; consumer lag is refreshed by the lag monitor.
 */
export class NotifierMetrics {
  readonly registry = new Registry();

  /** Emails by outcome of each send (sent, retries, failures) and of lease expiry (unknown, requeued). */
  readonly emails = new Counter({
    name: 'notifier_emails_total',
    help: 'Status emails by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: 'notifier_email_retries_total',
    help: 'Sends scheduled for a retry, by cause',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly sendDuration = new Histogram({
    name: 'notifier_email_send_duration_seconds',
    help: 'Time spent in one send to the email provider',
    labelNames: ['sender', 'result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly events = new Counter({
    name: 'notifier_events_total',
    help: 'Attempt events consumed, by what the notifier did with them',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly dlqPublished = new Counter({
    name: 'notifier_dlq_published_total',
    help: 'Failed emails published to the notifier DLQ',
    registers: [this.registry],
  });

  readonly dlqPublishErrors = new Counter({
    name: 'notifier_dlq_publish_errors_total',
    help: 'Failed attempts to publish to the notifier DLQ (retried)',
    registers: [this.registry],
  });

  readonly purged = new Counter({
    name: 'notifier_ledger_purged_total',
    help: 'Ledger rows deleted by housekeeping',
    registers: [this.registry],
  });

  readonly backlog: Gauge<'status'>;

  /** End offset minus the group's committed offset, per partition of the consumed topic (refreshed periodically). */
  readonly consumerLag = new Gauge({
    name: 'notifier_consumer_lag',
    help: 'Messages behind the partition end, by topic and partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  /** Kafka consumers replaced by the watchdog after a stall or a crash kafkajs gave up on. */
  readonly consumerRestarts = new Counter({
    name: 'notifier_consumer_restarts_total',
    help: 'Kafka consumers replaced after a stall or a crash kafkajs gave up on',
    registers: [this.registry],
  });

  /** Set by the readiness probe (GET /health/ready and every 5 s); the same name in both services. */
  readonly ready = new Gauge({
    name: 'proctoring_ready',
    help: 'Readiness checks of /health/ready: 1 passing, 0 failing, by check (evaluated on each call and every 5 s)',
    labelNames: ['check'] as const,
    registers: [this.registry],
  });

  constructor(backlogSource?: () => Promise<Record<string, number>>, options: { defaultMetrics?: boolean } = {}) {
    // Exported at 0 from the start, so that increase() sees the first one (ops/prometheus/alerts.yml).
    for (const outcome of ['failed_permanent', 'failed_exhausted', 'unknown']) this.emails.inc({ outcome }, 0);
    const source = backlogSource;
    this.backlog = new Gauge({
      name: 'notifier_ledger_backlog',
      help: 'Ledger rows not finished, by status (pending, sending, unknown, failed_unpublished)',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        if (!source) return;
        try {
          for (const [status, n] of Object.entries(await source())) this.set({ status }, n);
        } catch {
          // database unreachable: keep the last values; /health/ready reports the outage
        }
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'notifier_' });
  }

  countDecision(kind: DecisionKind): void {
    switch (kind) {
      case 'sent':
        this.emails.inc({ outcome: 'sent' });
        return;
      case 'retry_rate_limited':
        this.emails.inc({ outcome: 'retry' });
        this.retries.inc({ cause: 'rate_limited' });
        return;
      case 'retry_transient':
        this.emails.inc({ outcome: 'retry' });
        this.retries.inc({ cause: 'transient' });
        return;
      case 'failed_permanent':
        this.emails.inc({ outcome: 'failed_permanent' });
        return;
      case 'failed_exhausted':
        this.emails.inc({ outcome: 'failed_exhausted' });
        return;
    }
  }
}
