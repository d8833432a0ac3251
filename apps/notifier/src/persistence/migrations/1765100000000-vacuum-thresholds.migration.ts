import type { MigrationInterface, QueryRunner } from 'typeorm';
import { resetChurnAutovacuum, setChurnAutovacuum } from '../../../../../libs/platform/src/database/churn-autovacuum';

/**
 * Fixed autovacuum thresholds (CHURN_AUTOVACUUM) for the ledger: every email is an insert and two or
 * three updates (claimed, sent), and the claim reads the pending rows through their index. The soak
 * without vacuum left 229 k dead tuples against 149 k live after 26 minutes at 1,000 commands/s.
 * Its status changes cannot be HOT updates (`status` is indexed), so, as for the outbox, a fillfactor
 * of 50 keeps each row's later versions on its own page instead of scattered over older pages that
 * every vacuum would then read again.
 */
export class VacuumThresholds1765100000000 implements MigrationInterface {
  name = 'VacuumThresholds1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(setChurnAutovacuum(`${schemaOf(q)}.email_delivery`));
    await q.query(`ALTER TABLE ${schemaOf(q)}.email_delivery SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${schemaOf(q)}.email_delivery RESET (fillfactor)`);
    await q.query(resetChurnAutovacuum(`${schemaOf(q)}.email_delivery`));
  }
}

/** The DataSource's schema (`notifier`; tests migrate throwaway schemas), quoted. */
function schemaOf(q: QueryRunner): string {
  const schema = (q.connection.options as { schema?: string }).schema ?? 'notifier';
  return `"${schema.replace(/"/g, '""')}"`;
}
