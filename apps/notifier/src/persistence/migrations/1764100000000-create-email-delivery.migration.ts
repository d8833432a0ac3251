import type { MigrationInterface, QueryRunner } from 'typeorm';
import { quotedLedgerSchema } from '../email-delivery.row';

/** The delivery ledger (ADR 0002). */
export class CreateEmailDelivery1764100000000 implements MigrationInterface {
  name = 'CreateEmailDelivery1764100000000';

  async up(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await q.query(`
      CREATE TABLE ${s}.email_delivery (
        event_id            text        NOT NULL,
        attempt_id          text        NOT NULL,
        user_id             text        NOT NULL,
        status              text        NOT NULL DEFAULT 'pending',
        from_address        text        NOT NULL,
        to_address          text        NOT NULL,
        subject             text        NOT NULL,
        html_body           text        NOT NULL,
        text_body           text        NOT NULL,
        attempts            integer     NOT NULL DEFAULT 0,
        throttled           integer     NOT NULL DEFAULT 0,
        next_attempt_at     timestamptz NOT NULL DEFAULT now(),
        lease_owner         text        NULL,
        lease_until         timestamptz NULL,
        provider_message_id text        NULL,
        last_error          text        NULL,
        last_status_code    integer     NULL,
        dlq_published_at    timestamptz NULL,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        sent_at             timestamptz NULL,
        CONSTRAINT email_delivery_pk PRIMARY KEY (event_id),
        CONSTRAINT email_delivery_status_ck
          CHECK (status IN ('pending', 'sending', 'sent', 'unknown', 'failed')),
        CONSTRAINT email_delivery_lease_ck
          CHECK (status <> 'sending' OR (lease_owner IS NOT NULL AND lease_until IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX email_delivery_due_idx ON ${s}.email_delivery (status, next_attempt_at)`);
    await q.query(
      `CREATE INDEX email_delivery_lease_idx ON ${s}.email_delivery (lease_until) WHERE status = 'sending'`,
    );
    await q.query(
      `CREATE INDEX email_delivery_dlq_idx ON ${s}.email_delivery (updated_at)
         WHERE status = 'failed' AND dlq_published_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX email_delivery_purge_idx ON ${s}.email_delivery (updated_at) WHERE status IN ('sent', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = quotedLedgerSchema(q.connection);
    await q.query(`DROP TABLE IF EXISTS ${s}.email_delivery`);
  }
}
