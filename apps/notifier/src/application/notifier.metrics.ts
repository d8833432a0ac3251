import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { counter, createRegistry, gauge, histogram, readinessGauge } from '../../../../libs/platform/src/metrics/metrics';
import type { DecisionKind } from './retry.policy';

export type RecordResult = 'recorded' | 'duplicate' | 'not_emailed' | 'expired' | 'unreadable' | 'refused' | 'foreign_source';

/**
 * The notifier's Prometheus metrics (served at `/metrics`), set up as the attempt-service's are
 * (libs/platform/src/metrics): every series labelled `service="notifier"`, the process metrics under
 * their standard names. The backlog gauge is read from the ledger when scraped; consumer lag is
 * refreshed by the lag monitor.
 */
export class NotifierMetrics {
  readonly registry: Registry;

  /** Emails by outcome of each send (sent, retries, failures) and of lease expiry (unknown, requeued). */
  readonly emails: Counter<'outcome'>;
  readonly retries: Counter<'cause'>;
  readonly sendDuration: Histogram<'sender' | 'result'>;
  readonly events: Counter<'result'>;
  readonly dlqPublished: Counter;
  readonly dlqPublishErrors: Counter;
  readonly purged: Counter;
  readonly backlog: Gauge<'status'>;
  /** End offset minus the group's committed offset, per partition of the consumed topic (refreshed periodically). */
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  /** Kafka consumers replaced by the watchdog after a stall or a crash kafkajs gave up on. */
  readonly consumerRestarts: Counter;
  /** Set by the readiness probe (GET /health/ready and every 5 s); the same metric in both services. */
  readonly ready: Gauge<'check'>;

  constructor(backlogSource?: () => Promise<Record<string, number>>, options: { processMetrics?: boolean } = {}) {
    const r = (this.registry = createRegistry('notifier', options));
    this.emails = counter(r, 'notifier_emails_total', 'Status emails by outcome', ['outcome']);
    this.retries = counter(r, 'notifier_email_retries_total', 'Sends scheduled for a retry, by cause', ['cause']);
    this.sendDuration = histogram(
      r,
      'notifier_email_send_duration_seconds',
      'Time spent in one send to the email provider',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ['sender', 'result'],
    );
    this.events = counter(r, 'notifier_events_total', 'Attempt events consumed, by what the notifier did with them', ['result']);
    this.dlqPublished = counter(r, 'notifier_dlq_published_total', 'Failed emails published to the notifier DLQ');
    this.dlqPublishErrors = counter(r, 'notifier_dlq_publish_errors_total', 'Failed attempts to publish to the notifier DLQ (retried)');
    this.purged = counter(r, 'notifier_ledger_purged_total', 'Ledger rows deleted by housekeeping');
    const source = backlogSource;
    this.backlog = gauge(
      r,
      'notifier_ledger_backlog',
      'Ledger rows not finished, by status (pending, sending, unknown, failed_unpublished)',
      ['status'],
      async function collect() {
        if (!source) return;
        try {
          for (const [status, n] of Object.entries(await source())) this.set({ status }, n);
        } catch {
          // database unreachable: keep the last values; /health/ready reports the outage
        }
      },
    );
    this.consumerLag = gauge(r, 'notifier_consumer_lag', 'Messages behind the partition end, by topic and partition', ['topic', 'partition']);
    this.consumerRestarts = counter(r, 'notifier_consumer_restarts_total', 'Kafka consumers replaced after a stall or a crash kafkajs gave up on');
    this.ready = readinessGauge(r);
    // Exported at 0 from the start, so that increase() sees the first one (ops/prometheus/alerts.yml).
    for (const outcome of ['failed_permanent', 'failed_exhausted', 'unknown']) this.emails.inc({ outcome }, 0);
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
      case 'deferred_unavailable':
        this.emails.inc({ outcome: 'deferred' });
        this.retries.inc({ cause: 'sender_unavailable' });
        return;
    }
  }
}
