import type { MigrationInterface, QueryRunner } from 'typeorm';
import { resetChurnAutovacuum, setChurnAutovacuum } from '../../../../../libs/platform/src/database/churn-autovacuum';

/**
 * What is left to publish moves to its own narrow table, `attempts.outbox_pending` (the row's id, and
 * `scrub` for a retired learner's row, SPEC §8.3); `attempts.outbox_message` becomes insert-only.
 *
 * Marking a row published used to update it (`published_at`): a new version of the whole row, value
 * and headers included (~1 KB, twice in the WAL), never HOT because `published_at` was in two partial
 * indexes, and a dead version for VACUUM in a table that keeps 7 days of rows. The soak (fault
 * scenario 9) measured what that costs: every autovacuum run of the outbox read ~65 k pages and wrote
 * ~40 k full-page images, once a minute, and the table took ~2.2 KB of disk per event at the
 * fillfactor of 50 that kept those runs from growing. Now publishing deletes a 40-byte row from the
 * pending table, which stays as small as the backlog; the outbox is written once per event, VACUUM
 * has nothing dead in it until the retention delete, and its pages are full again (fillfactor 100).
 *
 * Housekeeping purges by `created_at` (the new index) rows that are no longer pending: a row's age
 * counts from when it was written, not from when it was published.
 */
export class OutboxPending1765200000000 implements MigrationInterface {
  name = 'OutboxPending1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempts.outbox_pending (
        id    bigint  PRIMARY KEY,
        scrub boolean NOT NULL DEFAULT false
      )`);
    await q.query(`
      INSERT INTO attempts.outbox_pending (id, scrub)
      SELECT id, scrub_after_publish FROM attempts.outbox_message WHERE published_at IS NULL`);
    await q.query(setChurnAutovacuum('attempts.outbox_pending'));
    await q.query(`DROP INDEX attempts.outbox_unpublished_idx`);
    await q.query(`DROP INDEX attempts.outbox_published_at_idx`);
    await q.query(`ALTER TABLE attempts.outbox_message DROP COLUMN published_at, DROP COLUMN scrub_after_publish`);
    await q.query(`CREATE INDEX outbox_created_at_idx ON attempts.outbox_message (created_at)`);
    await q.query(`ALTER TABLE attempts.outbox_message RESET (fillfactor)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.outbox_message SET (fillfactor = 50)`);
    await q.query(`DROP INDEX attempts.outbox_created_at_idx`);
    await q.query(`
      ALTER TABLE attempts.outbox_message
        ADD COLUMN published_at timestamptz,
        ADD COLUMN scrub_after_publish boolean NOT NULL DEFAULT false`);
    // rows no longer pending were published; when is not kept, their creation stands in for it
    await q.query(`
      UPDATE attempts.outbox_message m SET published_at = coalesce(m.parked_at, m.created_at)
       WHERE NOT EXISTS (SELECT 1 FROM attempts.outbox_pending p WHERE p.id = m.id)`);
    await q.query(`
      UPDATE attempts.outbox_message m SET scrub_after_publish = true
        FROM attempts.outbox_pending p WHERE p.id = m.id AND p.scrub`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON attempts.outbox_message (id) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_published_at_idx ON attempts.outbox_message (published_at) WHERE published_at IS NOT NULL`);
    await q.query(resetChurnAutovacuum('attempts.outbox_pending'));
    await q.query(`DROP TABLE attempts.outbox_pending`);
  }
}
