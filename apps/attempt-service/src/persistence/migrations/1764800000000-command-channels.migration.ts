import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The idempotency key of a command becomes (channel, source, id) (SPEC §8.4): the channel is where it
 * arrived — `commands` (the commands topic), `review:<provider>` (that provider's review topic) or
 * `cli` (the operators' command line) — so no party can use up another party's ids. Rows claimed
 * before are the commands topic's.
 */
export class CommandChannels1764800000000 implements MigrationInterface {
  name = 'CommandChannels1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE attempts.processed_command ADD COLUMN channel text NOT NULL DEFAULT 'commands'`);
    await q.query(`ALTER TABLE attempts.processed_command DROP CONSTRAINT processed_command_pkey`);
    await q.query(`ALTER TABLE attempts.processed_command ADD PRIMARY KEY (channel, source, command_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM attempts.processed_command WHERE channel <> 'commands'`);
    await q.query(`ALTER TABLE attempts.processed_command DROP CONSTRAINT processed_command_pkey`);
    await q.query(`ALTER TABLE attempts.processed_command ADD PRIMARY KEY (source, command_id)`);
    await q.query(`ALTER TABLE attempts.processed_command DROP COLUMN channel`);
  }
}
