import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedLedgerSchema } from '../email-delivery.row';
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
    const ledger = `${quotedLedgerSchema(q.connection)}.email_delivery`;
    await q.query(setChurnAutovacuum(ledger));
    await q.query(`ALTER TABLE ${ledger} SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const ledger = `${quotedLedgerSchema(q.connection)}.email_delivery`;
    await q.query(`ALTER TABLE ${ledger} RESET (fillfactor)`);
    await q.query(resetChurnAutovacuum(ledger));
  }
}
