import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Allowances (SPEC §8.2): one row per (exam, user, key), upserted, and every grant and removal in
 * `allowance_history`. `from_multiplier` marks an `additional_time_granted` row a `time_multiplier`
 * produced (removing the multiplier removes it only then). `attempt.time_limit_changed_at` is when an
 * allowance last changed the attempt's allowed time: a limit shortened past the expiry times the
 * attempt out at that time. `sweep_at` needs nothing new: it is written with every attempt change,
 * from the allowed time, so a changed limit moves the attempt in the sweeper's index.
 */
export class Allowances1764600000000 implements MigrationInterface {
  name = 'Allowances1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempts.allowance (
        exam_id text NOT NULL,
        user_id text NOT NULL,
        key text NOT NULL,
        value text NOT NULL,
        from_multiplier boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (exam_id, user_id, key)
      )`);
    await q.query(`CREATE INDEX allowance_user_idx ON attempts.allowance (user_id)`);
    await q.query(`
      CREATE TABLE attempts.allowance_history (
        id bigserial PRIMARY KEY,
        exam_id text NOT NULL,
        user_id text NOT NULL,
        key text NOT NULL,
        action text NOT NULL CHECK (action IN ('granted', 'removed')),
        value text,
        from_multiplier boolean NOT NULL DEFAULT false,
        cause_type text NOT NULL,
        cause_id text NOT NULL,
        occurred_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX allowance_history_pair_idx ON attempts.allowance_history (exam_id, user_id, id)`);
    await q.query(`ALTER TABLE attempts.attempt ADD COLUMN time_limit_changed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.attempt DROP COLUMN time_limit_changed_at`);
    await q.query(`DROP TABLE attempts.allowance_history`);
    await q.query(`DROP TABLE attempts.allowance`);
  }
}
