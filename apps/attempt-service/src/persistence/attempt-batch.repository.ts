import type { Exam } from '../../../../libs/domain/src';
import type { SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import {
  ALLOWANCE_CHANGE_RECORDSET,
  ALLOWANCE_COLUMNS,
  allowanceChangeRecord,
  allowanceFromRow,
  type AllowanceChange,
  type AllowanceRow,
  type StoredAllowance,
} from './allowance.row';
import { archiveRecord, ARCHIVE_RECORDSET, type AttemptArchive } from './attempt-history.row';
import { transitionRecord, TRANSITION_RECORDSET, type AttemptTransition } from './attempt-transition.row';
import { ATTEMPT_COLUMNS, attemptFromJsonRow, attemptRecord, ATTEMPT_RECORDSET, type AttemptJsonRow, type StoredAttempt } from './attempt.row';
import type { EventKeyRow } from './event-key.row';
import { LEARNER_SCRUBS, scrubParams } from './learner-scrub';
import { EXAM_COLUMNS, examFromRow, examValues, type ExamRow } from './exam.row';
import type { NewOutboxRecord, OutboxRecord } from './outbox-message.row';
import { REVIEW_COLUMNS, REVIEW_RECORDSET, reviewFromRow, reviewRecord, type ReplacedReview, type ReviewRow, type StoredReview, type VideoUrlCipher } from './review.row';

/** A command's idempotency key (SPEC §8.4: the channel it arrived on, `source`, `id`). */
export interface CommandRef {
  channel: string;
  source: string;
  id: string;
}

export const commandKey = (ref: CommandRef) => `${ref.channel}\u0000${ref.source}\u0000${ref.id}`;

/** The load of a batch: the learners' attempts and the exams they may touch (see `load`). */
const LOAD_SQL = `WITH a AS (SELECT ${ATTEMPT_COLUMNS} FROM attempts.attempt WHERE user_id = ANY($1::text[]))
       SELECT (SELECT coalesce(json_agg(a), '[]'::json) FROM a) AS attempts,
              (SELECT coalesce(json_agg(user_id), '[]'::json) FROM attempts.retired_learner WHERE user_id = ANY($1::text[])) AS retired,
              (SELECT coalesce(json_agg(e), '[]'::json) FROM (
                 SELECT ${EXAM_COLUMNS} FROM attempts.exam
                  WHERE course_id = ANY($3::text[])
                     OR course_id IN (SELECT course_id FROM attempts.exam
                                       WHERE exam_id = ANY($2::text[]) OR exam_id IN (SELECT exam_id FROM a))) e) AS exams`;

/** Everything one batch writes, collected in memory while its commands are applied. */
export interface BatchWrites {
  /** exams registered or changed (upserted one by one: a batch rarely holds more than one). */
  exams: Exam[];
  archives: AttemptArchive[];
  /** ids of stored attempts to delete (archived first). */
  deletes: string[];
  inserts: StoredAttempt[];
  updates: StoredAttempt[];
  transitions: AttemptTransition[];
  /** reviews stored by the batch (upserted, one per attempt) and the ones they replaced (to review history). */
  reviews: StoredReview[];
  replacedReviews: ReplacedReview[];
  outbox: NewOutboxRecord[];
  /** the new last `sequence` of each event_key the batch used. */
  sequences: Map<string, bigint>;
  /** learners retired by this batch: scrubbed (LEARNER_SCRUBS) after everything else is written. */
  retirements: string[];
  /** allowances upserted (row) or deleted (null), and their history. */
  allowances: { examId: string; userId: string; key: string; row: { value: string; fromMultiplier: boolean } | null }[];
  allowanceHistory: AllowanceChange[];
  now: Date;
}

/**
 * Every statement of the write path, in one place: the learners of attempts named by id or code, the
 * inbox claim with the event_key locks, the load, and the write-back. The caller owns the transaction
 * and decides nothing here is more than SQL. A group of status changes costs, with BEGIN and COMMIT,
 * five round trips: claim+lock, load, write (plus the attempt lookup when a command names an attempt
 * by id or code rather than by exam and learner). Creations, removals and exam registrations add one
 * statement each; a learner seen for the first time adds one (two if another batch raced to create it).
 * Statements are named prepared statements (see ClientRunner), so their texts stay constant.
 */
export class AttemptBatchRepository {
  constructor(
    private readonly sql: SqlRunner,
    /** encrypts a review's video URL at rest; without it a video URL is not stored. */
    private readonly videoUrlCipher: VideoUrlCipher | null = null,
  ) {}

  /** The learners of the attempts with these ids or codes, as `id:<id>` and `code:<code>`. */
  async learnersOfAttempts(ids: string[], codes: string[]): Promise<Map<string, string>> {
    const users = new Map<string, string>();
    if (ids.length === 0 && codes.length === 0) return users;
    // An archived attempt (attempt_history) is found by its code too, for a review of it (SPEC §8.1 rule 1);
    // a live one comes first, so it wins.
    const rows = await this.sql.query<{ id: string; attempt_code: string; user_id: string }>(
      `SELECT id, attempt_code, user_id FROM (
         SELECT id, attempt_code, user_id, 0 AS archived FROM attempts.attempt WHERE id = ANY($1::uuid[]) OR attempt_code = ANY($2::text[])
         UNION ALL
         SELECT attempt_id, attempt_code, user_id, 1 FROM attempts.attempt_history WHERE attempt_code = ANY($2::text[])) x
        ORDER BY archived DESC`,
      [ids, codes],
    );
    for (const r of rows) {
      users.set(`id:${r.id}`, r.user_id);
      users.set(`code:${r.attempt_code}`, r.user_id);
    }
    return users;
  }

  /**
   * Claims the command ids in the inbox (those already there are not returned) and, in the same
   * statement, locks the existing `event_key` rows of `keys` in key order. The lock waits until the
   * claim is done (it reads the claim's count), so a batch blocked on a command id another transaction
   * is claiming holds no key lock meanwhile. `commands` must be distinct; `keys` distinct and sorted.
   */
  async claimAndLock(commands: CommandRef[], keys: string[]): Promise<{ claimed: Set<string>; locked: Map<string, bigint> }> {
    const claimed = new Set<string>();
    const locked = new Map<string, bigint>();
    if (commands.length === 0 && keys.length === 0) return { claimed, locked };
    const rows = await this.sql.query<{
      channel: string | null;
      source: string | null;
      command_id: string | null;
      key: string | null;
      last_sequence: string | null;
    }>(
      `WITH claimed AS (
         INSERT INTO attempts.processed_command (channel, source, command_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING RETURNING channel, source, command_id),
       locked AS (
         SELECT key, last_sequence FROM attempts.event_key
          WHERE key = ANY($4::text[]) AND (SELECT count(*) FROM claimed) >= 0
          ORDER BY key FOR UPDATE)
       SELECT channel, source, command_id, NULL::text AS key, NULL::bigint AS last_sequence FROM claimed
       UNION ALL
       SELECT NULL, NULL, NULL, key, last_sequence FROM locked`,
      [commands.map((c) => c.channel), commands.map((c) => c.source), commands.map((c) => c.id), keys],
    );
    for (const r of rows) {
      if (r.key !== null && r.last_sequence !== null) locked.set(r.key, BigInt(r.last_sequence));
      else if (r.channel !== null && r.source !== null && r.command_id !== null)
        claimed.add(commandKey({ channel: r.channel, source: r.source, id: r.command_id }));
    }
    return { claimed, locked };
  }

  /**
   * Creates and locks the `event_key` rows seen for the first time (`keys` sorted): an insert holds its
   * row until commit; a key another transaction created meanwhile is locked by a `SELECT … FOR UPDATE`
   * (a new statement sees it). Returns the last sequence of each.
   */
  async lockNewKeys(keys: string[]): Promise<Map<string, bigint>> {
    const sequences = new Map<string, bigint>();
    if (keys.length === 0) return sequences;
    const created = await this.sql.query<{ key: string }>(
      `INSERT INTO attempts.event_key (key) SELECT k FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT DO NOTHING RETURNING key`,
      [keys],
    );
    for (const r of created) sequences.set(r.key, 0n);
    const raced = keys.filter((k) => !sequences.has(k));
    if (raced.length === 0) return sequences;
    const rows = await this.sql.query<EventKeyRow>(
      `SELECT key, last_sequence FROM attempts.event_key WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
      [raced],
    );
    for (const r of rows) sequences.set(r.key, BigInt(r.last_sequence));
    return sequences;
  }

  /**
   * The learners' attempts, and in the same statement the exams named, the exams of those attempts,
   * and every exam of their courses and of the given courses (a cascade or a rule may need a sibling).
   * Must run after the learners' rows are locked: a statement's snapshot is taken when it starts, so
   * this one sees every change committed under those locks.
   */
  async load(
    userIds: string[],
    examIds: string[],
    courseIds: string[],
    allowancePairs: [string, string][] = [],
  ): Promise<{ attempts: StoredAttempt[]; exams: Exam[]; retired: string[]; allowances: StoredAllowance[]; allowancePairs: [string, string][] }> {
    if (userIds.length === 0 && examIds.length === 0 && courseIds.length === 0) return { attempts: [], exams: [], retired: [], allowances: [], allowancePairs };
    if (allowancePairs.length > 0) {
      const [row] = await this.sql.query<{ attempts: AttemptJsonRow[]; exams: ExamRow[]; retired: string[]; allowances: AllowanceRow[] }>(
        `${LOAD_SQL},
              (SELECT coalesce(json_agg(al), '[]'::json) FROM (
                 SELECT ${ALLOWANCE_COLUMNS} FROM attempts.allowance
                  WHERE (exam_id, user_id) IN (SELECT * FROM unnest($4::text[], $5::text[]))) al) AS allowances`,
        [[...new Set(userIds)], [...new Set(examIds)], [...new Set(courseIds)], allowancePairs.map((p) => p[0]), allowancePairs.map((p) => p[1])],
      );
      return {
        attempts: row.attempts.map(attemptFromJsonRow),
        exams: row.exams.map(examFromRow),
        retired: row.retired,
        allowances: row.allowances.map(allowanceFromRow).filter((a): a is StoredAllowance => a !== null),
        allowancePairs,
      };
    }
    const [row] = await this.sql.query<{ attempts: AttemptJsonRow[]; exams: ExamRow[]; retired: string[] }>(
      LOAD_SQL,
      [[...new Set(userIds)], [...new Set(examIds)], [...new Set(courseIds)]],
    );
    return { attempts: row.attempts.map(attemptFromJsonRow), exams: row.exams.map(examFromRow), retired: row.retired, allowances: [], allowancePairs };
  }

  /**
   * For reviews (SPEC §8.1): the archived attempts with these codes (the last archive of each) and the
   * reviews stored for the attempts, live or archived, with these codes. Run under the learners' locks.
   */
  async loadReviews(codes: string[]): Promise<{ archived: { id: string; attemptCode: string; examId: string; userId: string }[]; reviews: StoredReview[] }> {
    if (codes.length === 0) return { archived: [], reviews: [] };
    const [row] = await this.sql.query<{ archived: { id: string; attempt_code: string; exam_id: string; user_id: string }[]; reviews: ReviewRow[] }>(
      `SELECT (SELECT coalesce(json_agg(h), '[]'::json) FROM (
                 SELECT DISTINCT ON (attempt_code) attempt_id AS id, attempt_code, exam_id, user_id FROM attempts.attempt_history
                  WHERE attempt_code = ANY($1::text[]) ORDER BY attempt_code, history_id DESC) h) AS archived,
              (SELECT coalesce(json_agg(r), '[]'::json) FROM (
                 SELECT ${REVIEW_COLUMNS} FROM attempts.review WHERE attempt_code = ANY($1::text[])) r) AS reviews`,
      [[...new Set(codes)]],
    );
    return {
      archived: row.archived.map((a) => ({ id: a.id, attemptCode: a.attempt_code, examId: a.exam_id, userId: a.user_id })),
      reviews: row.reviews.map(reviewFromRow),
    };
  }

  /** Writes a batch's changes; returns its outbox rows with the ids the database gave them. */
  async write(w: BatchWrites): Promise<(NewOutboxRecord & OutboxRecord)[]> {
    for (const exam of w.exams) await this.upsertExam(exam, w.now);
    if (w.archives.length > 0) await this.insertHistory(w.archives);
    if (w.deletes.length > 0) await this.sql.query(`DELETE FROM attempts.attempt WHERE id = ANY($1::uuid[])`, [w.deletes]);
    if (w.inserts.length > 0) await this.insertAttempts(w.inserts, w.now);
    if (w.allowances.length > 0) await this.writeAllowances(w);
    if (w.replacedReviews.length > 0) await this.insertReviewHistory(w.replacedReviews);
    if (w.reviews.length > 0) await this.upsertReviews(w.reviews);
    // The rest (the usual whole of a status-change batch) is one statement of writable CTEs.
    const ids = await this.writeChanges(w);
    for (const userId of w.retirements) await this.scrubLearner(userId);
    // An event may be copied to a second topic under the same id (a provider's outcomes topic).
    // Keyed by event id alone (no composite key strings to build and hash), and each record written
    // out field by field: `{ ...r, id }` cost ~2.5 µs a row, the largest part of this mapping.
    const written = new Map<string, { id: string; topic: string }[]>();
    for (const r of ids) {
      const same = written.get(r.event_id);
      if (same) same.push(r);
      else written.set(r.event_id, [r]);
    }
    return w.outbox.map((r) => {
      const id = written.get(r.eventId)?.find((x) => x.topic === r.topic)?.id;
      if (id === undefined) throw new Error(`outbox row ${r.eventId} was not written`);
      return { id, eventId: r.eventId, topic: r.topic, key: r.key, value: r.value, headers: r.headers };
    });
  }

  /** A learner's retirement: every LEARNER_SCRUBS statement, in order, in the caller's transaction. */
  private async scrubLearner(userId: string): Promise<void> {
    for (const scrub of LEARNER_SCRUBS) await this.sql.query(scrub.sql, scrubParams(scrub, userId));
  }

  private async upsertExam(e: Exam, now: Date): Promise<void> {
    await this.sql.query(
      `INSERT INTO attempts.exam (exam_id, course_id, content_id, exam_name, course_name, time_limit_mins,
          is_proctored, is_practice_exam, is_active, provider, external_id, created_at, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12)
       ON CONFLICT (exam_id) DO UPDATE SET course_id = EXCLUDED.course_id, content_id = EXCLUDED.content_id,
          exam_name = EXCLUDED.exam_name, course_name = EXCLUDED.course_name, time_limit_mins = EXCLUDED.time_limit_mins,
          is_proctored = EXCLUDED.is_proctored, is_practice_exam = EXCLUDED.is_practice_exam,
          is_active = EXCLUDED.is_active, provider = EXCLUDED.provider, external_id = EXCLUDED.external_id,
          updated_at = EXCLUDED.updated_at`,
      [...examValues(e), now],
    );
  }

  private async insertAttempts(rows: StoredAttempt[], now: Date): Promise<void> {
    await this.sql.query(
      `INSERT INTO attempts.attempt (id, attempt_code, exam_id, user_id, username, email, status, started_at,
          completed_at, expires_at, sweep_at, taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins,
          version, created_at, updated_at)
       SELECT id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at, expires_at, sweep_at,
          taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, created_at, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(${ATTEMPT_RECORDSET})`,
      [JSON.stringify(rows.map(attemptRecord)), now],
    );
  }

  /** Upserts and deletes allowances, and appends their history (allowance commands only). */
  private async writeAllowances(w: BatchWrites): Promise<void> {
    const upserts = w.allowances.filter((a) => a.row !== null);
    const deletes = w.allowances.filter((a) => a.row === null);
    await this.sql.query(
      `WITH d AS (
         DELETE FROM attempts.allowance al USING unnest($4::text[], $5::text[], $6::text[]) AS x(exam_id, user_id, key)
          WHERE al.exam_id = x.exam_id AND al.user_id = x.user_id AND al.key = x.key),
       u AS (
         INSERT INTO attempts.allowance (exam_id, user_id, key, value, from_multiplier, created_at, updated_at)
         SELECT x.exam_id, x.user_id, x.key, x.value, x.from_multiplier, $8, $8
           FROM unnest($1::text[], $2::text[], $3::text[], $9::text[], $10::boolean[]) AS x(exam_id, user_id, key, value, from_multiplier)
         ON CONFLICT (exam_id, user_id, key) DO UPDATE SET value = EXCLUDED.value, from_multiplier = EXCLUDED.from_multiplier,
           updated_at = EXCLUDED.updated_at)
       INSERT INTO attempts.allowance_history (exam_id, user_id, key, action, value, from_multiplier, cause_type, cause_id, occurred_at)
       SELECT exam_id, user_id, key, action, value, from_multiplier, cause_type, cause_id, occurred_at
         FROM jsonb_to_recordset($7::jsonb) AS x(${ALLOWANCE_CHANGE_RECORDSET})`,
      [
        upserts.map((a) => a.examId),
        upserts.map((a) => a.userId),
        upserts.map((a) => a.key),
        deletes.map((a) => a.examId),
        deletes.map((a) => a.userId),
        deletes.map((a) => a.key),
        JSON.stringify(w.allowanceHistory.map(allowanceChangeRecord)),
        w.now,
        upserts.map((a) => a.row?.value ?? ''),
        upserts.map((a) => a.row?.fromMultiplier ?? false),
      ],
    );
  }
  private async upsertReviews(rows: StoredReview[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO attempts.review (${REVIEW_COLUMNS})
       SELECT ${REVIEW_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS x(${REVIEW_RECORDSET})
       ON CONFLICT (attempt_id) DO UPDATE SET attempt_code = EXCLUDED.attempt_code, user_id = EXCLUDED.user_id,
          review_id = EXCLUDED.review_id, provider = EXCLUDED.provider, review_status = EXCLUDED.review_status,
          provider_review_status = EXCLUDED.provider_review_status, reviewed_by = EXCLUDED.reviewed_by,
          comments = EXCLUDED.comments, raw_data = EXCLUDED.raw_data, video_url_encrypted = EXCLUDED.video_url_encrypted,
          archived = EXCLUDED.archived, command_id = EXCLUDED.command_id, created_at = EXCLUDED.created_at,
          updated_at = EXCLUDED.updated_at`,
      [JSON.stringify(rows.map((r) => reviewRecord(r, this.videoUrlCipher)))],
    );
  }

  private async insertReviewHistory(rows: ReplacedReview[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO attempts.review_history (${REVIEW_COLUMNS}, replaced_at, replaced_by)
       SELECT ${REVIEW_COLUMNS}, replaced_at, replaced_by
         FROM jsonb_to_recordset($1::jsonb) AS x(${REVIEW_RECORDSET}, replaced_at timestamptz, replaced_by text)`,
      [
        JSON.stringify(
          rows.map((h) => ({ ...reviewRecord(h.review, this.videoUrlCipher), replaced_at: h.replacedAt.toISOString(), replaced_by: h.replacedBy })),
        ),
      ],
    );
  }

  private async insertHistory(rows: AttemptArchive[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO attempts.attempt_history (attempt_id, attempt_code, exam_id, user_id, username, email, status,
          started_at, completed_at, taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins,
          version, created_at, archived_at, archive_reason, archived_by)
       SELECT id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at,
          taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, created_at,
          archived_at, archive_reason, archived_by
       FROM jsonb_to_recordset($1::jsonb) AS x(${ARCHIVE_RECORDSET})`,
      [JSON.stringify(rows.map(archiveRecord))],
    );
  }

  /**
   * Attempt updates, transition rows, outbox rows, the per-key sequences and the relay's NOTIFY in one
   * round trip: one data-modifying CTE per non-empty part (each touches its own table, so none needs to
   * see another's rows). The text depends only on which parts are present, so it stays a prepared
   * statement. Returns the ids given to the outbox rows.
   */
  private async writeChanges(w: BatchWrites): Promise<{ id: string; event_id: string; topic: string }[]> {
    const parts: string[] = [];
    const params: unknown[] = [];
    const arg = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (w.updates.length > 0) {
      parts.push(`w_attempts AS (
      UPDATE attempts.attempt a SET status = x.status, started_at = x.started_at, completed_at = x.completed_at,
          expires_at = x.expires_at, sweep_at = x.sweep_at, taking_as_proctored = x.taking_as_proctored,
          external_id = x.external_id, allowed_time_limit_mins = x.allowed_time_limit_mins,
          time_limit_changed_at = x.time_limit_changed_at, version = x.version, updated_at = ${arg(w.now)}
       FROM jsonb_to_recordset(${arg(JSON.stringify(w.updates.map(attemptRecord)))}::jsonb) AS x(${ATTEMPT_RECORDSET})
      WHERE a.id = x.id)`);
    }
    if (w.transitions.length > 0) {
      parts.push(`w_transitions AS (
      INSERT INTO attempts.attempt_transition (attempt_id, version, from_status, to_status, requested_status,
          cause_type, cause_id, cascade_from_attempt_id, reason, occurred_at)
      SELECT attempt_id, version, from_status, to_status, requested_status, cause_type, cause_id,
          cascade_from_attempt_id, reason, occurred_at
        FROM jsonb_to_recordset(${arg(JSON.stringify(w.transitions.map(transitionRecord)))}::jsonb) AS x(${TRANSITION_RECORDSET}))`);
    }
    if (w.outbox.length > 0) {
      // The values travel as one binary parameter, cut by offset: a bytea[] parameter would be sent as
      // text, every value hex-encoded at twice its size (by the client, and decoded by the server).
      const starts: number[] = [];
      const lengths: number[] = [];
      let at = 1;
      for (const r of w.outbox) {
        starts.push(at);
        lengths.push(r.value.length);
        at += r.value.length;
      }
      const values = Buffer.concat(w.outbox.map((r) => r.value), at - 1);
      parts.push(`w_outbox AS (
      INSERT INTO attempts.outbox_message (event_id, topic, key, value, headers)
      SELECT x.event_id, x.topic, x.key, substring(${arg(values)}::bytea FROM x.start FOR x.len), x.headers
        FROM unnest(${arg(w.outbox.map((r) => r.eventId))}::text[], ${arg(w.outbox.map((r) => r.topic))}::text[],
          ${arg(w.outbox.map((r) => r.key))}::text[], ${arg(starts)}::int[], ${arg(lengths)}::int[],
          ${arg(w.outbox.map((r) => JSON.stringify(r.headers)))}::jsonb[]) AS x(event_id, topic, key, start, len, headers)
      RETURNING id, event_id, topic)`);
      // what the relay has left to publish: a narrow row it deletes once published (the outbox row stays as written)
      parts.push(`w_pending AS (INSERT INTO attempts.outbox_pending (id) SELECT id FROM w_outbox)`);
    }
    if (w.sequences.size > 0) {
      const keys = [...w.sequences.keys()];
      parts.push(`w_keys AS (
      UPDATE attempts.event_key k SET last_sequence = x.seq
        FROM unnest(${arg(keys)}::text[], ${arg(keys.map((k) => String(w.sequences.get(k))))}::bigint[]) AS x(key, seq)
       WHERE k.key = x.key)`);
    }
    if (parts.length === 0) return [];
    if (w.outbox.length === 0) {
      await this.sql.query(`WITH ${parts.join(',\n')}\nSELECT 1`, params);
      return [];
    }
    // The relay wakes on commit (NOTIFY is delivered then); without outbox rows there is nothing to wake it for.
    parts.push(`w_notify AS MATERIALIZED (SELECT pg_notify('attempts_outbox', ''))`);
    return this.sql.query<{ id: string; event_id: string; topic: string }>(
      `WITH ${parts.join(',\n')}\nSELECT o.id, o.event_id, o.topic FROM w_outbox o, w_notify`,
      params,
    );
  }
}
