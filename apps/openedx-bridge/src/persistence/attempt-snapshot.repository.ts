import type { Pool } from 'pg';
import { RETIRED_EMAIL, RETIRED_USERNAME } from '../../../../libs/domain/src';
import { inTransaction } from '../../../../libs/platform/src/database/sql-runner';
import type { AttemptSnapshot } from '../application/translate-event';

/** What one batch changes in the snapshots, applied in one transaction. */
export interface SnapshotWrites {
  /** Latest snapshot per attempt in the batch (a row with a higher version is kept). */
  upserts: AttemptSnapshot[];
  /** Attempts removed in the batch (their rows are purged after the retention). */
  removed: string[];
  /** Learners retired in the batch: their rows get the placeholders. */
  retired: string[];
}

interface SnapshotRow {
  attempt_id: string;
  user_id: string;
  username: string;
  email: string;
  is_proctored: boolean;
  is_practice_exam: boolean;
  version: number;
}

/** Every statement on `attempt_snapshot`. Replaying a batch writes the same rows again (idempotent). */
export class AttemptSnapshotRepository {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async find(attemptIds: readonly string[]): Promise<Map<string, AttemptSnapshot>> {
    const found = new Map<string, AttemptSnapshot>();
    if (attemptIds.length === 0) return found;
    const { rows } = await this.pool.query<SnapshotRow>(
      `SELECT attempt_id, user_id, username, email, is_proctored, is_practice_exam, version
         FROM ${this.schema}.attempt_snapshot WHERE attempt_id = ANY($1::uuid[])`,
      [attemptIds],
    );
    for (const r of rows) {
      found.set(r.attempt_id, {
        attemptId: r.attempt_id,
        userId: r.user_id,
        username: r.username,
        email: r.email,
        isProctored: r.is_proctored,
        isPracticeExam: r.is_practice_exam,
        version: r.version,
      });
    }
    return found;
  }

  async write(w: SnapshotWrites): Promise<void> {
    if (w.upserts.length === 0 && w.removed.length === 0 && w.retired.length === 0) return;
    await inTransaction(this.pool, async (tx) => {
      if (w.upserts.length > 0) {
        await tx.query(
          `INSERT INTO ${this.schema}.attempt_snapshot AS s (attempt_id, user_id, username, email, is_proctored, is_practice_exam, version)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::int[])
           ON CONFLICT (attempt_id) DO UPDATE SET
             user_id = EXCLUDED.user_id, username = EXCLUDED.username, email = EXCLUDED.email,
             is_proctored = EXCLUDED.is_proctored, is_practice_exam = EXCLUDED.is_practice_exam,
             version = EXCLUDED.version, updated_at = now()
           WHERE s.version <= EXCLUDED.version`,
          [
            w.upserts.map((s) => s.attemptId),
            w.upserts.map((s) => s.userId),
            w.upserts.map((s) => s.username),
            w.upserts.map((s) => s.email),
            w.upserts.map((s) => s.isProctored),
            w.upserts.map((s) => s.isPracticeExam),
            w.upserts.map((s) => s.version),
          ],
        );
      }
      if (w.removed.length > 0) {
        await tx.query(
          `UPDATE ${this.schema}.attempt_snapshot SET removed_at = coalesce(removed_at, now()) WHERE attempt_id = ANY($1::uuid[])`,
          [w.removed],
        );
      }
      if (w.retired.length > 0) {
        await tx.query(
          `UPDATE ${this.schema}.attempt_snapshot SET username = $2, email = $3, updated_at = now() WHERE user_id = ANY($1::text[])`,
          [w.retired, RETIRED_USERNAME, RETIRED_EMAIL],
        );
      }
    });
  }

  /** Deletes the rows of attempts removed more than `days` days ago. */
  async purgeRemoved(days: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH gone AS (DELETE FROM ${this.schema}.attempt_snapshot WHERE removed_at < now() - make_interval(days => $1) RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [days],
    );
    return rows[0]?.n ?? 0;
  }
}
