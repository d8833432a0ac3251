import type { Gauge } from 'prom-client';
import { DatabaseHealthIndicator } from '../../../../libs/platform/src/health/database.health';
import { KafkaConsumerHealthIndicator } from '../../../../libs/platform/src/health/kafka-consumer.health';
import { Readiness } from '../../../../libs/platform/src/health/readiness';
import { WorkerHealthIndicator } from '../../../../libs/platform/src/health/worker.health';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';

/** How long the ledger database may take to answer `SELECT 1`. */
export const NOTIFIER_DB_TIMEOUT_MS = 2000;

export interface NotifierReadinessOptions {
  /** `SELECT 1` on the ledger's pool. */
  ping: () => Promise<unknown>;
  /** The attempt events consumer (KafkaBatchTransport). */
  consumer: { readonly consumerState: ConsumerState };
  /** The delivery worker. */
  worker: { readonly isRunning: boolean };
  gauge?: Gauge<'check'>;
  logger?: Logger;
}

/**
 * The notifier's readiness: the ledger database answers within 2 s, the attempt events consumer has
 * joined its group (no emails are recorded otherwise), and the delivery worker runs (none are sent
 * otherwise).
 */
export function notifierReadiness(o: NotifierReadinessOptions): Readiness {
  return new Readiness(
    [
      new DatabaseHealthIndicator(o.ping, NOTIFIER_DB_TIMEOUT_MS),
      new KafkaConsumerHealthIndicator(() => o.consumer.consumerState),
      new WorkerHealthIndicator('worker', () => o.worker.isRunning),
    ],
    { gauge: o.gauge, logger: o.logger },
  );
}
