import type { MigrationInterface, QueryRunner } from 'typeorm';
import { resetChurnAutovacuum, setChurnAutovacuum } from '../../../../../libs/platform/src/database/churn-autovacuum';

/**
 * Fixed autovacuum thresholds (CHURN_AUTOVACUUM) for the two tables that change with every command:
 * the outbox (a row per event, an update when it is published, which leaves a dead entry in the
 * partial index `outbox_unpublished_idx` the relay reads, and a delete after the retention days) and
 * the inbox (a row per command, deleted after the retention days).
 */
const TABLES = ['attempts.outbox_message', 'attempts.processed_command'];

export class VacuumThresholds1765100000000 implements MigrationInterface {
  name = 'VacuumThresholds1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of TABLES) await q.query(setChurnAutovacuum(t));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of TABLES) await q.query(resetChurnAutovacuum(t));
  }
}
