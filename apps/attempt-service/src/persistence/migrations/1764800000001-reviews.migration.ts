import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reviews (SPEC §8.1): one per attempt in `attempts.review`, live or archived (keyed by the attempt id,
 * which an archive keeps), and every replaced review in `attempts.review_history`. Comments and raw data
 * are kept as jsonb (the command bounds them: the whole message is ≤ 64 KiB); the video URL only
 * encrypted (AES-256-GCM, `v1.<iv>.<tag>.<ciphertext>` in base64url, see VideoUrlCipher), never in clear.
 */
export class Reviews1764800000001 implements MigrationInterface {
  name = 'Reviews1764800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempts.review (
        attempt_id             uuid PRIMARY KEY,
        attempt_code           text NOT NULL,
        user_id                text NOT NULL,
        review_id              text NOT NULL,
        provider               text,
        review_status          text NOT NULL,
        provider_review_status text NOT NULL,
        reviewed_by            text,
        comments               jsonb,
        raw_data               jsonb,
        video_url_encrypted    text,
        archived               boolean NOT NULL,
        command_id             text NOT NULL,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX review_attempt_code_idx ON attempts.review (attempt_code)`);
    await q.query(`CREATE INDEX review_user_idx ON attempts.review (user_id)`);
    await q.query(`
      CREATE TABLE attempts.review_history (
        id                     bigserial PRIMARY KEY,
        attempt_id             uuid NOT NULL,
        attempt_code           text NOT NULL,
        user_id                text NOT NULL,
        review_id              text NOT NULL,
        provider               text,
        review_status          text NOT NULL,
        provider_review_status text NOT NULL,
        reviewed_by            text,
        comments               jsonb,
        raw_data               jsonb,
        video_url_encrypted    text,
        archived               boolean NOT NULL,
        command_id             text NOT NULL,
        created_at             timestamptz NOT NULL,
        updated_at             timestamptz NOT NULL,
        replaced_at            timestamptz NOT NULL,
        replaced_by            text NOT NULL
      )`);
    await q.query(`CREATE INDEX review_history_attempt_idx ON attempts.review_history (attempt_id, id)`);
    await q.query(`CREATE INDEX review_history_user_idx ON attempts.review_history (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attempts.review_history`);
    await q.query(`DROP TABLE attempts.review`);
  }
}
