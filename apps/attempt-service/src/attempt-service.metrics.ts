import type { Registry } from 'prom-client';
import { counter, createRegistry, gauge, histogram } from '../../../libs/platform/src/metrics/metrics';

/** Every metric the attempt-service exports on /metrics. */
export class AttemptServiceMetrics {
  readonly registry: Registry = createRegistry('attempt-service');
  readonly commands = counter(this.registry, 'proctoring_commands_total', 'Commands by type and outcome', ['type', 'outcome']);
  readonly eventsPublished = counter(this.registry, 'proctoring_events_published_total', 'Outbox messages published, by topic', ['topic']);
  readonly outboxBacklog = gauge(this.registry, 'proctoring_outbox_backlog', 'Outbox messages not yet published');
  readonly outboxOldestAge = gauge(this.registry, 'proctoring_outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox message');
  readonly consumerLag = gauge(this.registry, 'proctoring_consumer_lag', 'Messages behind the partition end, by topic and partition', ['topic', 'partition']);
  readonly batchDuration = histogram(this.registry, 'proctoring_batch_duration_seconds', 'Time to apply one batch of commands in PostgreSQL', [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
  ]);
  readonly sweeperRuns = counter(this.registry, 'proctoring_sweeper_runs_total', 'Timeout sweeps run, by result', ['result']);
  readonly sweeperTimeouts = counter(this.registry, 'proctoring_sweeper_timeouts_total', 'Attempts timed out by the sweeper');
  readonly transientFailures = counter(this.registry, 'proctoring_transient_failures_total', 'Batches retried after an infrastructure fault');
  readonly consumerRestarts = counter(this.registry, 'proctoring_consumer_restarts_total', 'Kafka consumers replaced after a stall or a crash kafkajs gave up on');
}
