import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bridge's own record of each attempt it has seen (from AttemptCreated and AttemptStatusChanged):
 * AttemptRemoved carries neither the learner's username and email nor the exam's kind, which the Open
 * edX reset event needs. Learner data: scrubbed on LearnerRetired; rows of removed attempts are purged
 * after the retention.
 */
export class AttemptSnapshot1764900000000 implements MigrationInterface {
  name = 'AttemptSnapshot1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.attempt_snapshot (
        attempt_id       uuid        PRIMARY KEY,
        user_id          text        NOT NULL,
        username         text        NOT NULL,
        email            text        NOT NULL,
        is_proctored     boolean     NOT NULL,
        is_practice_exam boolean     NOT NULL,
        version          integer     NOT NULL,
        removed_at       timestamptz,
        updated_at       timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX attempt_snapshot_user_idx ON ${s}.attempt_snapshot (user_id)`);
    await q.query(
      `CREATE INDEX attempt_snapshot_removed_idx ON ${s}.attempt_snapshot (removed_at) WHERE removed_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ${schemaOf(q)}.attempt_snapshot`);
  }
}

function schemaOf(q: QueryRunner): string {
  return (q.connection.options as { schema?: string }).schema ?? 'openedx_bridge';
}
