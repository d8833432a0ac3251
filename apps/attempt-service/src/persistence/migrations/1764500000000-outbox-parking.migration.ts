import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Parked outbox rows (SPEC §8.5): a row the broker refuses as too large is replaced on its topic by an
 * `EventDropped` marker and kept here for an operator. A parked row is also `published_at` (its marker
 * is on the topic, so it no longer holds back later rows), is never purged by housekeeping, and stays
 * until `attempts -- outbox drop` deletes it. The partial index serves the parked count that
 * readiness and /metrics read, and `outbox list`.
 */
export class OutboxParking1764500000000 implements MigrationInterface {
  name = 'OutboxParking1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.outbox_message ADD COLUMN parked_at timestamptz, ADD COLUMN parked_reason text`);
    await q.query(`CREATE INDEX outbox_parked_idx ON attempts.outbox_message (id) WHERE parked_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX attempts.outbox_parked_idx`);
    await q.query(`ALTER TABLE attempts.outbox_message DROP COLUMN parked_reason, DROP COLUMN parked_at`);
  }
}
