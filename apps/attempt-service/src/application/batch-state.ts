import { isIncomplete, type Attempt, type Exam } from '../../../../libs/domain/src';
import type { SqlRunner } from '../../../../libs/platform/src/database/sql-runner';

/** An attempt as stored: the domain fields plus the learner's identity and row timestamps. */
export interface StoredAttempt extends Attempt {
  username: string;
  email: string;
  createdAt: Date;
}

export interface TransitionRow {
  attemptId: string;
  version: number;
  fromStatus: string | null;
  toStatus: string;
  requestedStatus: string;
  causeType: string;
  causeId: string;
  cascadeFromAttemptId: string | null;
  /** free text from the command (UpdateAttemptStatus.reason), when given */
  reason: string | null;
  occurredAt: Date;
}

export interface HistoryRow {
  attempt: StoredAttempt;
  archivedAt: Date;
  reason: 'removed' | 'replaced';
  archivedBy: string;
}

export interface OutboxRow {
  eventId: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

interface AttemptEntry {
  attempt: StoredAttempt;
  inDb: boolean;
  dirty: boolean;
  deleted: boolean;
}

const pairKey = (examId: string, userId: string) => `${examId}\u0000${userId}`;

/**
 * The rows one batch of commands reads and writes, held in memory while the commands are applied in
 * order, then written back with a few set-based statements. Every row a command may touch is locked
 * (through its learner's event_key row) before it is loaded.
 */
export class BatchState {
  private readonly exams = new Map<string, { exam: Exam; dirty: boolean }>();
  private readonly attempts = new Map<string, AttemptEntry>();
  private readonly byPair = new Map<string, string>();
  private readonly byCode = new Map<string, string>();
  /** attempt ids per learner, so a learner's attempts are found without scanning the batch */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly sequences = new Map<string, bigint>();
  private readonly touchedScopes = new Set<string>();
  readonly transitions: TransitionRow[] = [];
  readonly history: HistoryRow[] = [];
  readonly outbox: OutboxRow[] = [];

  // ---- loading -------------------------------------------------------------------------------

  /**
   * Takes the locks of the per-key rows, creating the missing ones. `locked` are the rows the caller
   * already locked (the use case locks them in the statement that claims the command ids, sorted, so
   * concurrent batches lock in one order); keys seen for the first time are inserted (an insert holds
   * its row until commit), and a key another transaction created meanwhile is locked by a `SELECT …
   * FOR UPDATE` (a new statement sees it).
   */
  async lockScopes(sql: SqlRunner, scopes: string[], locked: { key: string; last_sequence: string }[]): Promise<void> {
    for (const r of locked) this.sequences.set(r.key, BigInt(r.last_sequence));
    const missing = [...new Set(scopes)].filter((k) => !this.sequences.has(k)).sort();
    if (missing.length === 0) return;
    const created = await sql.query<{ key: string }>(
      `INSERT INTO attempts.event_key (key) SELECT k FROM unnest($1::text[]) AS k ORDER BY k ON CONFLICT DO NOTHING RETURNING key`,
      [missing],
    );
    for (const r of created) this.sequences.set(r.key, 0n);
    const raced = missing.filter((k) => !this.sequences.has(k));
    if (raced.length === 0) return;
    const rows = await sql.query<{ key: string; last_sequence: string }>(
      `SELECT key, last_sequence FROM attempts.event_key WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`,
      [raced],
    );
    for (const r of rows) this.sequences.set(r.key, BigInt(r.last_sequence));
  }

  /**
   * Loads the learners' attempts, and in the same statement the exams named, the exams of those
   * attempts, and every exam of their courses and of the given courses (a cascade or a rule may need a
   * sibling). Must run after the learners' rows are locked: a statement's snapshot is taken when it
   * starts, so this one sees every change committed under those locks.
   */
  async loadAttemptsAndExams(sql: SqlRunner, userIds: string[], examIds: string[], courseIds: string[]): Promise<void> {
    if (userIds.length === 0 && examIds.length === 0 && courseIds.length === 0) return;
    const [row] = await sql.query<{ attempts: AttemptJsonRecord[]; exams: ExamRecord[] }>(
      `WITH a AS (SELECT ${ATTEMPT_COLUMNS} FROM attempts.attempt WHERE user_id = ANY($1::text[]))
       SELECT (SELECT coalesce(json_agg(a), '[]'::json) FROM a) AS attempts,
              (SELECT coalesce(json_agg(e), '[]'::json) FROM (
                 SELECT ${EXAM_COLUMNS} FROM attempts.exam
                  WHERE course_id = ANY($3::text[])
                     OR course_id IN (SELECT course_id FROM attempts.exam
                                       WHERE exam_id = ANY($2::text[]) OR exam_id IN (SELECT exam_id FROM a))) e) AS exams`,
      [[...new Set(userIds)], [...new Set(examIds)], [...new Set(courseIds)]],
    );
    for (const r of row.attempts) {
      if (this.attempts.has(r.id)) continue;
      this.track({ attempt: attemptFromJson(r), inDb: true, dirty: false, deleted: false });
    }
    for (const r of row.exams) if (!this.exams.has(r.exam_id)) this.exams.set(r.exam_id, { exam: examFromRecord(r), dirty: false });
  }

  // ---- reading -------------------------------------------------------------------------------

  exam(examId: string): Exam | undefined {
    return this.exams.get(examId)?.exam;
  }

  examByContent(courseId: string, contentId: string): Exam | undefined {
    for (const { exam } of this.exams.values()) if (exam.courseId === courseId && exam.contentId === contentId) return exam;
    return undefined;
  }

  courseExams(courseId: string): Exam[] {
    return [...this.exams.values()].map((e) => e.exam).filter((e) => e.courseId === courseId);
  }

  attemptById(id: string): StoredAttempt | undefined {
    const e = this.attempts.get(id);
    return e && !e.deleted ? e.attempt : undefined;
  }

  attemptByCode(code: string): StoredAttempt | undefined {
    const id = this.byCode.get(code);
    return id ? this.attemptById(id) : undefined;
  }

  attemptFor(examId: string, userId: string): StoredAttempt | undefined {
    const id = this.byPair.get(pairKey(examId, userId));
    return id ? this.attemptById(id) : undefined;
  }

  attemptsOfUser(userId: string): StoredAttempt[] {
    const out: StoredAttempt[] = [];
    for (const id of this.byUser.get(userId) ?? []) {
      const e = this.attempts.get(id);
      if (e && !e.deleted) out.push(e.attempt);
    }
    return out;
  }

  // ---- writing -------------------------------------------------------------------------------

  putExam(exam: Exam): void {
    this.exams.set(exam.examId, { exam, dirty: true });
  }

  insertAttempt(attempt: StoredAttempt): void {
    this.track({ attempt, inDb: false, dirty: true, deleted: false });
  }

  updateAttempt(attempt: StoredAttempt): void {
    const e = this.attempts.get(attempt.id);
    if (!e || e.deleted) throw new Error(`attempt ${attempt.id} is not loaded`);
    e.attempt = attempt;
    e.dirty = true;
  }

  deleteAttempt(id: string): void {
    const e = this.attempts.get(id);
    if (!e) return;
    e.deleted = true;
    this.byPair.delete(pairKey(e.attempt.examId, e.attempt.userId));
    this.byCode.delete(e.attempt.attemptCode);
  }

  /** The next `sequence` of an event keyed by `scope` (strictly increasing per key in commit order). */
  nextSequence(scope: string): bigint {
    const current = this.sequences.get(scope);
    if (current === undefined) throw new Error(`scope ${scope} was not locked`);
    const next = current + 1n;
    this.sequences.set(scope, next);
    this.touchedScopes.add(scope);
    return next;
  }

  hasScope(scope: string): boolean {
    return this.sequences.has(scope);
  }

  private track(e: AttemptEntry): void {
    this.attempts.set(e.attempt.id, e);
    this.byPair.set(pairKey(e.attempt.examId, e.attempt.userId), e.attempt.id);
    this.byCode.set(e.attempt.attemptCode, e.attempt.id);
    let ids = this.byUser.get(e.attempt.userId);
    if (!ids) this.byUser.set(e.attempt.userId, (ids = new Set()));
    ids.add(e.attempt.id);
  }

  // ---- flushing ------------------------------------------------------------------------------

  /** Writes the batch's changes; returns its outbox rows with the ids the database gave them. */
  async flush(sql: SqlRunner, now: Date): Promise<(OutboxRow & { id: string })[]> {
    for (const { exam, dirty } of this.exams.values()) if (dirty) await upsertExam(sql, exam, now);

    const entries = [...this.attempts.values()];
    const toDelete = entries.filter((e) => e.deleted && e.inDb).map((e) => e.attempt.id);
    if (this.history.length > 0) await insertHistory(sql, this.history);
    if (toDelete.length > 0) await sql.query(`DELETE FROM attempts.attempt WHERE id = ANY($1::uuid[])`, [toDelete]);
    const toInsert = entries.filter((e) => !e.inDb && !e.deleted).map((e) => e.attempt);
    if (toInsert.length > 0) await insertAttempts(sql, toInsert, now);
    // The rest (the usual whole of a status-change batch) is one statement of writable CTEs.
    const toUpdate = entries.filter((e) => e.inDb && e.dirty && !e.deleted).map((e) => e.attempt);
    const scopes = [...this.touchedScopes];
    const ids = await writeChanges(sql, {
      updates: toUpdate,
      transitions: this.transitions,
      outbox: this.outbox,
      sequences: scopes.map((key) => ({ key, seq: String(this.sequences.get(key)) })),
      now,
    });
    const idOf = new Map(ids.map((r) => [r.event_id, r.id]));
    return this.outbox.map((r) => {
      const id = idOf.get(r.eventId);
      if (id === undefined) throw new Error(`outbox row ${r.eventId} was not written`);
      return { ...r, id };
    });
  }
}

// ---- row mapping -----------------------------------------------------------------------------

export interface ExamRecord {
  exam_id: string;
  course_id: string;
  content_id: string;
  exam_name: string;
  course_name: string | null;
  time_limit_mins: number;
  is_proctored: boolean;
  is_practice_exam: boolean;
  is_active: boolean;
  provider: string | null;
  external_id: string | null;
}

export interface AttemptRecord {
  id: string;
  attempt_code: string;
  exam_id: string;
  user_id: string;
  username: string;
  email: string;
  status: string;
  started_at: Date | null;
  completed_at: Date | null;
  taking_as_proctored: boolean;
  is_sample_attempt: boolean;
  external_id: string | null;
  allowed_time_limit_mins: number;
  version: number;
  created_at: Date;
}

const EXAM_COLUMNS = `exam_id, course_id, content_id, exam_name, course_name, time_limit_mins, is_proctored,
  is_practice_exam, is_active, provider, external_id`;

const ATTEMPT_COLUMNS = `id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at,
  taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, created_at`;

export function examFromRecord(r: ExamRecord): Exam {
  return {
    examId: r.exam_id,
    courseId: r.course_id,
    contentId: r.content_id,
    examName: r.exam_name,
    courseName: r.course_name,
    timeLimitMins: r.time_limit_mins,
    isProctored: r.is_proctored,
    isPracticeExam: r.is_practice_exam,
    isActive: r.is_active,
    provider: r.provider,
    externalId: r.external_id,
  };
}

/** An attempt row as `json_agg` renders it: timestamps as ISO 8601 text. */
type AttemptJsonRecord = Omit<AttemptRecord, 'started_at' | 'completed_at' | 'created_at'> & {
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
};

const dateOf = (s: string | null) => (s === null ? null : new Date(s));

function attemptFromJson(r: AttemptJsonRecord): StoredAttempt {
  return attemptFromRecord({
    ...r,
    started_at: dateOf(r.started_at),
    completed_at: dateOf(r.completed_at),
    created_at: new Date(r.created_at),
  });
}

export function attemptFromRecord(r: AttemptRecord): StoredAttempt {
  return {
    id: r.id,
    attemptCode: r.attempt_code,
    examId: r.exam_id,
    userId: r.user_id,
    username: r.username,
    email: r.email,
    // Only the transition authority writes status, and it only writes known statuses.
    status: r.status as StoredAttempt['status'],
    startedAt: r.started_at,
    completedAt: r.completed_at,
    takingAsProctored: r.taking_as_proctored,
    isSampleAttempt: r.is_sample_attempt,
    externalId: r.external_id,
    allowedTimeLimitMins: r.allowed_time_limit_mins,
    version: r.version,
    createdAt: r.created_at,
  };
}

async function upsertExam(sql: SqlRunner, e: Exam, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO attempts.exam (exam_id, course_id, content_id, exam_name, course_name, time_limit_mins,
        is_proctored, is_practice_exam, is_active, provider, external_id, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12)
     ON CONFLICT (exam_id) DO UPDATE SET course_id = EXCLUDED.course_id, content_id = EXCLUDED.content_id,
        exam_name = EXCLUDED.exam_name, course_name = EXCLUDED.course_name, time_limit_mins = EXCLUDED.time_limit_mins,
        is_proctored = EXCLUDED.is_proctored, is_practice_exam = EXCLUDED.is_practice_exam,
        is_active = EXCLUDED.is_active, provider = EXCLUDED.provider, external_id = EXCLUDED.external_id,
        updated_at = EXCLUDED.updated_at`,
    [
      e.examId,
      e.courseId,
      e.contentId,
      e.examName,
      e.courseName,
      e.timeLimitMins,
      e.isProctored,
      e.isPracticeExam,
      e.isActive,
      e.provider,
      e.externalId,
      now,
    ],
  );
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function expiry(a: StoredAttempt): string | null {
  return a.startedAt ? new Date(a.startedAt.getTime() + a.allowedTimeLimitMins * 60_000).toISOString() : null;
}

function attemptJson(a: StoredAttempt) {
  return {
    id: a.id,
    attempt_code: a.attemptCode,
    exam_id: a.examId,
    user_id: a.userId,
    username: a.username,
    email: a.email,
    status: a.status,
    started_at: iso(a.startedAt),
    completed_at: iso(a.completedAt),
    expires_at: expiry(a),
    sweep_at: isIncomplete(a.status) ? expiry(a) : null,
    taking_as_proctored: a.takingAsProctored,
    is_sample_attempt: a.isSampleAttempt,
    external_id: a.externalId,
    allowed_time_limit_mins: a.allowedTimeLimitMins,
    version: a.version,
    created_at: a.createdAt.toISOString(),
  };
}

const ATTEMPT_RECORDSET = `id uuid, attempt_code text, exam_id text, user_id text, username text, email text,
  status text, started_at timestamptz, completed_at timestamptz, expires_at timestamptz, sweep_at timestamptz, taking_as_proctored boolean,
  is_sample_attempt boolean, external_id text, allowed_time_limit_mins integer, version integer, created_at timestamptz`;

async function insertAttempts(sql: SqlRunner, rows: StoredAttempt[], now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO attempts.attempt (id, attempt_code, exam_id, user_id, username, email, status, started_at,
        completed_at, expires_at, sweep_at, taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins,
        version, created_at, updated_at)
     SELECT id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at, expires_at, sweep_at,
        taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, created_at, $2
     FROM jsonb_to_recordset($1::jsonb) AS x(${ATTEMPT_RECORDSET})`,
    [JSON.stringify(rows.map(attemptJson)), now],
  );
}

async function insertHistory(sql: SqlRunner, rows: HistoryRow[]): Promise<void> {
  await sql.query(
    `INSERT INTO attempts.attempt_history (attempt_id, attempt_code, exam_id, user_id, username, email, status,
        started_at, completed_at, taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins,
        version, created_at, archived_at, archive_reason, archived_by)
     SELECT id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at,
        taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, created_at,
        archived_at, archive_reason, archived_by
     FROM jsonb_to_recordset($1::jsonb) AS x(${ATTEMPT_RECORDSET}, archived_at timestamptz, archive_reason text,
        archived_by text)`,
    [
      JSON.stringify(
        rows.map((h) => ({
          ...attemptJson(h.attempt),
          archived_at: h.archivedAt.toISOString(),
          archive_reason: h.reason,
          archived_by: h.archivedBy,
        })),
      ),
    ],
  );
}

/**
 * Attempt updates, transition rows, outbox rows, the per-key sequences and the relay's NOTIFY in one
 * round trip: one data-modifying CTE per non-empty part (each touches its own table, so none needs to
 * see another's rows). The text depends only on which parts are present, so it stays a prepared
 * statement. Returns the ids given to the outbox rows.
 */
async function writeChanges(
  sql: SqlRunner,
  c: { updates: StoredAttempt[]; transitions: TransitionRow[]; outbox: OutboxRow[]; sequences: { key: string; seq: string }[]; now: Date },
): Promise<{ id: string; event_id: string }[]> {
  const parts: string[] = [];
  const params: unknown[] = [];
  const arg = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (c.updates.length > 0) {
    parts.push(`w_attempts AS (
      UPDATE attempts.attempt a SET status = x.status, started_at = x.started_at, completed_at = x.completed_at,
          expires_at = x.expires_at, sweep_at = x.sweep_at, taking_as_proctored = x.taking_as_proctored,
          external_id = x.external_id, version = x.version, updated_at = ${arg(c.now)}
       FROM jsonb_to_recordset(${arg(JSON.stringify(c.updates.map(attemptJson)))}::jsonb) AS x(${ATTEMPT_RECORDSET})
      WHERE a.id = x.id)`);
  }
  if (c.transitions.length > 0) {
    parts.push(`w_transitions AS (
      INSERT INTO attempts.attempt_transition (attempt_id, version, from_status, to_status, requested_status,
          cause_type, cause_id, cascade_from_attempt_id, reason, occurred_at)
      SELECT attempt_id, version, from_status, to_status, requested_status, cause_type, cause_id,
          cascade_from_attempt_id, reason, occurred_at
        FROM jsonb_to_recordset(${arg(JSON.stringify(c.transitions.map(transitionJson)))}::jsonb) AS x(attempt_id uuid,
          version integer, from_status text, to_status text, requested_status text, cause_type text, cause_id text,
          cascade_from_attempt_id uuid, reason text, occurred_at timestamptz))`);
  }
  if (c.outbox.length > 0) {
    // The values travel as one binary parameter, cut by offset: a bytea[] parameter would be sent as
    // text, every value hex-encoded at twice its size (by the client, and decoded by the server).
    const starts: number[] = [];
    const lengths: number[] = [];
    let at = 1;
    for (const r of c.outbox) {
      starts.push(at);
      lengths.push(r.value.length);
      at += r.value.length;
    }
    const values = Buffer.concat(c.outbox.map((r) => r.value), at - 1);
    parts.push(`w_outbox AS (
      INSERT INTO attempts.outbox_message (event_id, topic, key, value, headers)
      SELECT x.event_id, x.topic, x.key, substring(${arg(values)}::bytea FROM x.start FOR x.len), x.headers
        FROM unnest(${arg(c.outbox.map((r) => r.eventId))}::text[], ${arg(c.outbox.map((r) => r.topic))}::text[],
          ${arg(c.outbox.map((r) => r.key))}::text[], ${arg(starts)}::int[], ${arg(lengths)}::int[],
          ${arg(c.outbox.map((r) => JSON.stringify(r.headers)))}::jsonb[]) AS x(event_id, topic, key, start, len, headers)
      RETURNING id, event_id)`);
  }
  if (c.sequences.length > 0) {
    parts.push(`w_keys AS (
      UPDATE attempts.event_key k SET last_sequence = x.seq
        FROM unnest(${arg(c.sequences.map((s) => s.key))}::text[], ${arg(c.sequences.map((s) => s.seq))}::bigint[]) AS x(key, seq)
       WHERE k.key = x.key)`);
  }
  if (parts.length === 0) return [];
  if (c.outbox.length === 0) {
    await sql.query(`WITH ${parts.join(',\n')}\nSELECT 1`, params);
    return [];
  }
  // The relay wakes on commit (NOTIFY is delivered then); without outbox rows there is nothing to wake it for.
  parts.push(`w_notify AS MATERIALIZED (SELECT pg_notify('attempts_outbox', ''))`);
  return sql.query<{ id: string; event_id: string }>(
    `WITH ${parts.join(',\n')}\nSELECT o.id, o.event_id FROM w_outbox o, w_notify`,
    params,
  );
}

function transitionJson(t: TransitionRow) {
  return {
    attempt_id: t.attemptId,
    version: t.version,
    from_status: t.fromStatus,
    to_status: t.toStatus,
    requested_status: t.requestedStatus,
    cause_type: t.causeType,
    cause_id: t.causeId,
    cascade_from_attempt_id: t.cascadeFromAttemptId,
    reason: t.reason,
    occurred_at: t.occurredAt.toISOString(),
  };
}
