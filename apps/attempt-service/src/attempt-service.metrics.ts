import type { Registry } from 'prom-client';
import { counter, createRegistry, gauge, histogram, readinessGauge } from '../../../libs/platform/src/metrics/metrics';

/** Every metric the attempt-service exports on /metrics (the set-up of libs/platform/src/metrics, as the notifier's). */
export class AttemptServiceMetrics {
  readonly registry: Registry = createRegistry('attempt-service');
  readonly commands = counter(this.registry, 'proctoring_commands_total', 'Commands by type and outcome', ['type', 'outcome']);
  readonly eventsPublished = counter(this.registry, 'proctoring_events_published_total', 'Outbox messages published, by topic', ['topic']);
  readonly outboxBacklog = gauge(this.registry, 'proctoring_outbox_backlog', 'Outbox messages not yet published');
  readonly outboxOldestAge = gauge(this.registry, 'proctoring_outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox message');
  readonly outboxParked = counter(this.registry, 'proctoring_outbox_parked_total', 'Outbox messages the broker refused as too large, parked and replaced by an EventDropped marker, by topic', ['topic']);
  readonly outboxParkedRows = gauge(this.registry, 'proctoring_outbox_parked', 'Parked outbox messages waiting for an operator (attempts outbox list / drop)');
  readonly relayBlocked = gauge(this.registry, 'proctoring_outbox_relay_blocked', '1 while the outbox relay cannot publish because a topic is missing or it is not authorised, by reason', ['reason']);
  readonly consumerLag = gauge(this.registry, 'proctoring_consumer_lag', 'Messages behind the partition end, by topic and partition', ['topic', 'partition']);
  readonly batchDuration = histogram(this.registry, 'proctoring_batch_duration_seconds', 'Time to apply one batch of commands in PostgreSQL', [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]);
  readonly sweeperRuns = counter(this.registry, 'proctoring_sweeper_runs_total', 'Timeout sweeps run, by result', ['result']);
  readonly sweeperTimeouts = counter(this.registry, 'proctoring_sweeper_timeouts_total', 'Attempts timed out by the sweeper');
  readonly transientFailures = counter(this.registry, 'proctoring_transient_failures_total', 'Batches retried after an infrastructure fault');
  readonly consumerRestarts = counter(this.registry, 'proctoring_consumer_restarts_total', 'Kafka consumers replaced after a stall or a crash kafkajs gave up on');
  readonly readApiAuth = counter(this.registry, 'proctoring_read_api_auth_total', 'Read API requests by authentication result (ok, or why the token was refused)', ['result']);
  readonly legacyReviewStatusUpdates = counter(
    this.registry,
    'proctoring_legacy_review_status_updates_total',
    'UpdateAttemptStatus commands to a review outcome accepted from the commands topic (LEGACY_REVIEW_STATUS_UPDATES)',
  );
  readonly ready = readinessGauge(this.registry);

  constructor() {
    // Exported at 0 from the start, so that increase() sees the first dead letter (ops/prometheus/alerts.yml).
    this.commands.inc({ type: 'unreadable', outcome: 'dead-lettered' }, 0);
  }
}
