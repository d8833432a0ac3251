import type { Pool } from 'pg';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { withTimeout } from '../../../../libs/platform/src/kafka/kafka-admin.client';
import type { ReadinessIndicator } from '../../../../libs/platform/src/health/readiness';
import { OLDEST_UNPUBLISHED_AGE_S, type RelayBlock } from '../outbox/outbox-relay';

export interface OutboxHealthOptions {
  pool: Pool;
  /** Longest the outbox query may take (the database check's limit). */
  dbTimeoutMs: number;
  /** Why this instance's outbox relay cannot publish, while it cannot (a missing topic, no authorisation). */
  relayBlocked?: () => RelayBlock | null;
  /** The oldest unpublished outbox row may be at most this old (OUTBOX_READY_MAX_AGE_MS). */
  maxAgeMs: number;
}

/**
 * The outbox flows: no parked rows wait for an operator, this instance's relay is not blocked, and
 * the oldest unpublished row (the one the relay is at, the lowest id) is younger than `maxAgeMs`.
 * Down gives what is wrong in `message`, `; `-separated. When its query fails and nothing else is
 * wrong it stays up with `state: 'unknown'`: the database indicator fails and says why.
 */
export class OutboxHealthIndicator implements ReadinessIndicator<'outbox'> {
  readonly key = 'outbox';
  private readonly indicator = new HealthIndicatorService();

  constructor(private readonly o: OutboxHealthOptions) {}

  async check(): Promise<HealthIndicatorResult<'outbox'>> {
    const session = this.indicator.check(this.key);
    const problems: string[] = [];
    const block = this.o.relayBlocked?.();
    if (block) problems.push(`relay blocked: ${block.topics.join(', ') || 'every topic'}: ${block.detail}`);
    try {
      // One cheap statement: the parked count (partial index) and the age of the row the relay is at.
      const { rows } = await withTimeout(
        this.o.pool.query<{ parked: number; oldest_ms: number | null }>(
          `SELECT (SELECT count(*) FROM attempts.outbox_message WHERE parked_at IS NOT NULL)::int AS parked,
                  (${OLDEST_UNPUBLISHED_AGE_S}) * 1000 AS oldest_ms`,
        ),
        this.o.dbTimeoutMs,
        'outbox check',
      );
      const { parked, oldest_ms: oldestMs } = rows[0];
      if (parked > 0) problems.push(`${parked} parked row${parked === 1 ? '' : 's'}`);
      if (oldestMs !== null && oldestMs > this.o.maxAgeMs) {
        problems.push(`oldest unpublished row is ${Math.round(oldestMs / 1000)} s old (limit ${Math.round(this.o.maxAgeMs / 1000)} s)`);
      }
    } catch {
      if (problems.length === 0) return session.up({ state: 'unknown' });
    }
    return problems.length === 0 ? session.up() : session.down({ message: problems.join('; ') });
  }
}
