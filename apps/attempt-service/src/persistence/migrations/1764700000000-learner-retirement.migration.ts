import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Learner retirement (SPEC §8.3):
 * - `retired_learner`: one row per retired learner, kept for good; user fields that arrive later for
 *   that learner are stored as the placeholders (`retired_user`, `retired@invalid`);
 * - `outbox_message.scrub_after_publish`: set by a retirement on the learner's still-unpublished rows;
 *   the relay deletes such a row instead of marking it published (one statement either way);
 * - an index on `attempt_history (user_id)`, so a retirement finds the learner's archived attempts.
 * The learner's outbox rows are found by key (the userId) with a scan of the outbox: retirements are
 * rare, and an index on the key would cost every insert of the hot path.
 */
export class LearnerRetirement1764700000000 implements MigrationInterface {
  name = 'LearnerRetirement1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempts.retired_learner (
        user_id    text PRIMARY KEY,
        retired_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE attempts.outbox_message ADD COLUMN scrub_after_publish boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX attempt_history_user_idx ON attempts.attempt_history (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX attempts.attempt_history_user_idx`);
    await q.query(`ALTER TABLE attempts.outbox_message DROP COLUMN scrub_after_publish`);
    await q.query(`DROP TABLE attempts.retired_learner`);
  }
}
