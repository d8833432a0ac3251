import type { MigrationInterface, QueryRunner } from 'typeorm';
import { resetChurnAutovacuum, setChurnAutovacuum } from '../../../../../libs/platform/src/database/churn-autovacuum';

/**
 * Fixed autovacuum thresholds (CHURN_AUTOVACUUM) for the two tables that change with every command:
 * the outbox (a row per event, an update when it is published, which leaves a dead entry in the
 * partial index `outbox_unpublished_idx` the relay reads, and a delete after the retention days) and
 * the inbox (a row per command, deleted after the retention days).
 *
 * And a fillfactor of 50 for the outbox. Marking a row published cannot be a HOT update
 * (`published_at` is in two partial indexes), so its new version goes wherever there is room: on a
 * full page, a page of older rows that vacuum had freed. The soak showed it: every old page dirtied
 * again and no longer all-visible, so each vacuum read 70–90 % of the table, once a minute with the
 * thresholds above (elapsed 11 → 14 s and ~50 MB of WAL, mostly full-page images, in 6 minutes), a
 * cost growing with the table that drove the soak's p99 up. Half of each new page left free keeps
 * the published version beside the first, among the pages written since the last vacuum. The price:
 * the outbox takes about twice the disk of its live rows.
 */
const TABLES = ['attempts.outbox_message', 'attempts.processed_command'];

export class VacuumThresholds1765100000000 implements MigrationInterface {
  name = 'VacuumThresholds1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of TABLES) await q.query(setChurnAutovacuum(t));
    await q.query(`ALTER TABLE attempts.outbox_message SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.outbox_message RESET (fillfactor)`);
    for (const t of TABLES) await q.query(resetChurnAutovacuum(t));
  }
}
