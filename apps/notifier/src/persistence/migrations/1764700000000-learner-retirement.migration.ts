import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedLedgerSchema } from '../email-delivery.row';

/**
 * Learner retirement (SPEC §8.3): the `cancelled` status (an unsent email to a retired learner: never
 * sent, never requeued, purged like a sent row), and `retired_learner`, the learners retired so far,
 * kept for good: an email to one of them is never recorded again, whatever event arrives.
 */
export class LearnerRetirement1764700000000 implements MigrationInterface {
  name = 'LearnerRetirement1764700000000';

  async up(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`ALTER TABLE ${s}.email_delivery DROP CONSTRAINT email_delivery_status_ck`);
    await q.query(`ALTER TABLE ${s}.email_delivery ADD CONSTRAINT email_delivery_status_ck
      CHECK (status IN ('pending', 'sending', 'sent', 'unknown', 'failed', 'cancelled'))`);
    await q.query(`CREATE INDEX email_delivery_user_idx ON ${s}.email_delivery (user_id)`);
    await q.query(`
      CREATE TABLE ${s}.retired_learner (
        user_id    text        PRIMARY KEY,
        retired_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`DROP TABLE IF EXISTS ${s}.retired_learner`);
    await q.query(`DROP INDEX IF EXISTS ${s}.email_delivery_user_idx`);
    await q.query(`DELETE FROM ${s}.email_delivery WHERE status = 'cancelled'`);
    await q.query(`ALTER TABLE ${s}.email_delivery DROP CONSTRAINT email_delivery_status_ck`);
    await q.query(`ALTER TABLE ${s}.email_delivery ADD CONSTRAINT email_delivery_status_ck
      CHECK (status IN ('pending', 'sending', 'sent', 'unknown', 'failed'))`);
  }
}
