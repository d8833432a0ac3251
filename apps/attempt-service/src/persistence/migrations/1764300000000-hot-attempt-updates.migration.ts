import type { MigrationInterface, QueryRunner } from 'typeorm';

const INCOMPLETE = `'eligible','created','download_software_clicked','ready_to_start','started','ready_to_submit'`;

/**
 * Lets most attempt updates be HOT (heap-only: no index entry written). PostgreSQL counts a partial
 * index's predicate columns as indexed, and the sweeper's index named `status`, so every status
 * change rewrote all five indexes of the table. The sweeper now reads `sweep_at`: the expiry while the
 * attempt is incomplete and started, NULL otherwise; it changes only when an attempt starts or
 * completes. A fillfactor of 80 leaves room on each page for the new row versions.
 */
export class HotAttemptUpdates1764300000000 implements MigrationInterface {
  name = 'HotAttemptUpdates1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.attempt ADD COLUMN sweep_at timestamptz`);
    await q.query(`UPDATE attempts.attempt SET sweep_at = expires_at WHERE expires_at IS NOT NULL AND status IN (${INCOMPLETE})`);
    await q.query(`DROP INDEX attempts.attempt_expiry_idx`);
    await q.query(`CREATE INDEX attempt_sweep_idx ON attempts.attempt (sweep_at) WHERE sweep_at IS NOT NULL`);
    await q.query(`ALTER TABLE attempts.attempt SET (fillfactor = 80)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.attempt RESET (fillfactor)`);
    await q.query(`DROP INDEX attempts.attempt_sweep_idx`);
    await q.query(`
      CREATE INDEX attempt_expiry_idx ON attempts.attempt (expires_at)
      WHERE expires_at IS NOT NULL AND status IN (${INCOMPLETE})`);
    await q.query(`ALTER TABLE attempts.attempt DROP COLUMN sweep_at`);
  }
}
