import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The attempt-service's own schema `attempts`: exams, attempts and their history, inbox and outbox. */
export class InitialSchema1764100000000 implements MigrationInterface {
  name = 'InitialSchema1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS attempts`);
    await q.query(`
      CREATE TABLE attempts.exam (
        exam_id          text PRIMARY KEY,
        course_id        text NOT NULL,
        content_id       text NOT NULL,
        exam_name        text NOT NULL,
        course_name      text,
        time_limit_mins  integer NOT NULL,
        is_proctored     boolean NOT NULL,
        is_practice_exam boolean NOT NULL,
        is_active        boolean NOT NULL,
        provider         text,
        external_id      text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT exam_course_content_uq UNIQUE (course_id, content_id) DEFERRABLE INITIALLY DEFERRED
      )`);
    await q.query(`
      CREATE TABLE attempts.attempt (
        id                      uuid PRIMARY KEY,
        attempt_code            text NOT NULL,
        exam_id                 text NOT NULL REFERENCES attempts.exam (exam_id),
        user_id                 text NOT NULL,
        username                text NOT NULL,
        email                   text NOT NULL,
        status                  text NOT NULL,
        started_at              timestamptz,
        completed_at            timestamptz,
        expires_at              timestamptz,
        taking_as_proctored     boolean NOT NULL,
        is_sample_attempt       boolean NOT NULL,
        external_id             text,
        allowed_time_limit_mins integer NOT NULL,
        version                 integer NOT NULL,
        created_at              timestamptz NOT NULL,
        updated_at              timestamptz NOT NULL,
        CONSTRAINT attempt_exam_user_uq UNIQUE (exam_id, user_id) DEFERRABLE INITIALLY DEFERRED
      )`);
    await q.query(`CREATE INDEX attempt_user_idx ON attempts.attempt (user_id)`);
    await q.query(`CREATE UNIQUE INDEX attempt_code_uq ON attempts.attempt (attempt_code)`);
    await q.query(`
      CREATE INDEX attempt_expiry_idx ON attempts.attempt (expires_at)
      WHERE expires_at IS NOT NULL
        AND status IN ('eligible','created','download_software_clicked','ready_to_start','started','ready_to_submit')`);
    await q.query(`
      CREATE TABLE attempts.attempt_history (
        history_id              bigserial PRIMARY KEY,
        attempt_id              uuid NOT NULL,
        attempt_code            text NOT NULL,
        exam_id                 text NOT NULL,
        user_id                 text NOT NULL,
        username                text NOT NULL,
        email                   text NOT NULL,
        status                  text NOT NULL,
        started_at              timestamptz,
        completed_at            timestamptz,
        taking_as_proctored     boolean NOT NULL,
        is_sample_attempt       boolean NOT NULL,
        external_id             text,
        allowed_time_limit_mins integer NOT NULL,
        version                 integer NOT NULL,
        created_at              timestamptz NOT NULL,
        archived_at             timestamptz NOT NULL,
        archive_reason          text NOT NULL,
        archived_by             text NOT NULL
      )`);
    await q.query(`CREATE INDEX attempt_history_exam_user_idx ON attempts.attempt_history (exam_id, user_id)`);
    await q.query(`CREATE INDEX attempt_history_attempt_idx ON attempts.attempt_history (attempt_id)`);
    await q.query(`CREATE INDEX attempt_history_code_idx ON attempts.attempt_history (attempt_code)`);
    await q.query(`
      CREATE TABLE attempts.attempt_transition (
        id               bigserial PRIMARY KEY,
        attempt_id       uuid NOT NULL,
        version          integer NOT NULL,
        from_status      text,
        to_status        text NOT NULL,
        requested_status text NOT NULL,
        cause_type       text NOT NULL,
        cause_id         text NOT NULL,
        cascade_from_attempt_id uuid,
        reason           text,
        occurred_at      timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX attempt_transition_attempt_idx ON attempts.attempt_transition (attempt_id, id)`);
    await q.query(`
      CREATE TABLE attempts.event_key (
        key           text PRIMARY KEY,
        last_sequence bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE attempts.processed_command (
        source       text NOT NULL,
        command_id   text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, command_id)
      )`);
    await q.query(`CREATE INDEX processed_command_at_idx ON attempts.processed_command (processed_at)`);
    await q.query(`
      CREATE TABLE attempts.outbox_message (
        id           bigserial PRIMARY KEY,
        event_id     text NOT NULL,
        topic        text NOT NULL,
        key          text,
        value        bytea NOT NULL,
        headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON attempts.outbox_message (id) WHERE published_at IS NULL`);
    await q.query(`CREATE INDEX outbox_published_at_idx ON attempts.outbox_message (published_at) WHERE published_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA attempts CASCADE`);
  }
}
