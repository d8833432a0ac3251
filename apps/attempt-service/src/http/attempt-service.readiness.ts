import type { Pool } from 'pg';
import type { Gauge } from 'prom-client';
import { DatabaseHealthIndicator } from '../../../../libs/platform/src/health/database.health';
import { KafkaClusterHealthIndicator } from '../../../../libs/platform/src/health/kafka-cluster.health';
import { KafkaConsumerHealthIndicator } from '../../../../libs/platform/src/health/kafka-consumer.health';
import { Readiness } from '../../../../libs/platform/src/health/readiness';
import type { KafkaAdminAccess } from '../../../../libs/platform/src/kafka/kafka-admin.client';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import type { RelayBlock } from '../outbox/outbox-relay';
import { OutboxHealthIndicator } from './outbox.health';

export interface AttemptServiceReadinessOptions {
  pool: Pool;
  consumerState: () => ConsumerState;
  admin: KafkaAdminAccess;
  /** HEALTH_DB_TIMEOUT_MS: the database and outbox queries. */
  dbTimeoutMs: number;
  kafkaTimeoutMs: number;
  /** HEALTH_KAFKA_CACHE_MS. */
  kafkaCacheMs: number;
  relayBlocked?: () => RelayBlock | null;
  /** OUTBOX_READY_MAX_AGE_MS. */
  outboxMaxAgeMs: number;
  gauge?: Gauge<'check'>;
  logger?: Logger;
}

/**
 * The attempt-service's readiness: the database answers `SELECT 1`, the consumer has joined its group,
 * the Kafka cluster answers a metadata request, and the outbox flows.
 */
export function attemptServiceReadiness(o: AttemptServiceReadinessOptions): Readiness {
  return new Readiness(
    [
      new DatabaseHealthIndicator(() => o.pool.query('SELECT 1'), o.dbTimeoutMs),
      new KafkaConsumerHealthIndicator(o.consumerState),
      new KafkaClusterHealthIndicator({ admin: o.admin, timeoutMs: o.kafkaTimeoutMs, cacheMs: o.kafkaCacheMs }),
      new OutboxHealthIndicator({ pool: o.pool, dbTimeoutMs: o.dbTimeoutMs, relayBlocked: o.relayBlocked, maxAgeMs: o.outboxMaxAgeMs }),
    ],
    { gauge: o.gauge, logger: o.logger },
  );
}
