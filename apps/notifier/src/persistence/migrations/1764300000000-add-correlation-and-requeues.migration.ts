import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedLedgerSchema } from '../email-delivery.row';

/**
 * For the notifier DLQ's CloudEvent (EmailDeliveryFailed): the failed event's `correlationid`, and
 * how many times an operator requeued the row. `requeues` is part of the claim fence (a claim made
 * before a requeue can never record its outcome after it) and of the DLQ message id (one id per
 * failure, the same on every re-publish).
 */
export class AddCorrelationAndRequeues1764300000000 implements MigrationInterface {
  name = 'AddCorrelationAndRequeues1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`ALTER TABLE ${s}.email_delivery ADD COLUMN correlation_id text NULL`);
    await q.query(`ALTER TABLE ${s}.email_delivery ADD COLUMN requeues integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`ALTER TABLE ${s}.email_delivery DROP COLUMN IF EXISTS requeues`);
    await q.query(`ALTER TABLE ${s}.email_delivery DROP COLUMN IF EXISTS correlation_id`);
  }
}
