import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedLedgerSchema } from '../email-delivery.row';

/**
 * The trace context of the span that recorded the row (the notifier's consume span of the event), so
 * the send span joins the event's trace even when the email is sent later, by another process or
 * after a restart (CloudEvents distributed tracing, issue #22). Null when the event carried none and
 * tracing is off.
 */
export class TraceContext1765000000000 implements MigrationInterface {
  name = 'TraceContext1765000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`ALTER TABLE ${s}.email_delivery ADD COLUMN traceparent text NULL, ADD COLUMN tracestate text NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`ALTER TABLE ${s}.email_delivery DROP COLUMN IF EXISTS tracestate, DROP COLUMN IF EXISTS traceparent`);
  }
}
