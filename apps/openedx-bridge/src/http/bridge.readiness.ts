import type { Gauge } from 'prom-client';
import { DatabaseHealthIndicator } from '../../../../libs/platform/src/health/database.health';
import { KafkaConsumerHealthIndicator } from '../../../../libs/platform/src/health/kafka-consumer.health';
import { Readiness } from '../../../../libs/platform/src/health/readiness';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';

/** How long the snapshot database may take to answer `SELECT 1`. */
export const BRIDGE_DB_TIMEOUT_MS = 2000;

export interface BridgeReadinessOptions {
  /** `SELECT 1` on the bridge's database. */
  ping: () => Promise<unknown>;
  /** The attempt events consumer (KafkaBatchTransport). */
  consumer: { readonly consumerState: ConsumerState };
  gauge?: Gauge<'check'>;
  logger?: Logger;
}

/**
 * The bridge's readiness: its database answers within 2 s and its consumer has joined its group. The
 * schema registry is not a check: it is only reached when a schema is not cached yet, and a batch that
 * cannot reach it is retried (`openedx_bridge_batch_retries_total`).
 */
export function bridgeReadiness(o: BridgeReadinessOptions): Readiness {
  return new Readiness(
    [new DatabaseHealthIndicator(o.ping, BRIDGE_DB_TIMEOUT_MS), new KafkaConsumerHealthIndicator(() => o.consumer.consumerState)],
    { gauge: o.gauge, logger: o.logger },
  );
}
