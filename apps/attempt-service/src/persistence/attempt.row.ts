import { expiresAt, isIncomplete, type Attempt } from '../../../../libs/domain/src';

/** An attempt as stored: the domain fields plus the learner's identity and when it was created. */
export interface StoredAttempt extends Attempt {
  username: string;
  email: string;
  createdAt: Date;
}

/** A row of `attempts.attempt`. */
export interface AttemptRow {
  id: string;
  attempt_code: string;
  exam_id: string;
  user_id: string;
  username: string;
  email: string;
  status: string;
  started_at: Date | null;
  completed_at: Date | null;
  /** startedAt + allowed minutes (null until started). */
  expires_at: Date | null;
  /** expires_at while the status is incomplete: what the sweeper's index holds. */
  sweep_at: Date | null;
  taking_as_proctored: boolean;
  is_sample_attempt: boolean;
  external_id: string | null;
  allowed_time_limit_mins: number;
  version: number;
  /** when an allowance last changed allowed_time_limit_mins (null: never). */
  time_limit_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns a StoredAttempt is read from. */
export const ATTEMPT_COLUMNS = `id, attempt_code, exam_id, user_id, username, email, status, started_at, completed_at,
  taking_as_proctored, is_sample_attempt, external_id, allowed_time_limit_mins, version, time_limit_changed_at, created_at`;

type AttemptColumns = Omit<AttemptRow, 'expires_at' | 'sweep_at' | 'updated_at'>;

/** The ATTEMPT_COLUMNS of a row as `json_agg` renders them: timestamps as ISO 8601 text. */
export type AttemptJsonRow = Omit<AttemptColumns, 'started_at' | 'completed_at' | 'created_at' | 'time_limit_changed_at'> & {
  started_at: string | null;
  completed_at: string | null;
  time_limit_changed_at: string | null;
  created_at: string;
};

export function attemptFromRow(r: AttemptColumns): StoredAttempt {
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
    timeLimitChangedAt: r.time_limit_changed_at,
    createdAt: r.created_at,
  };
}

const dateOf = (s: string | null) => (s === null ? null : new Date(s));

export function attemptFromJsonRow(r: AttemptJsonRow): StoredAttempt {
  return attemptFromRow({
    ...r,
    started_at: dateOf(r.started_at),
    completed_at: dateOf(r.completed_at),
    time_limit_changed_at: dateOf(r.time_limit_changed_at),
    created_at: new Date(r.created_at),
  });
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The column list of ATTEMPT_RECORD (a `jsonb_to_recordset` record of attemptRecord). */
export const ATTEMPT_RECORDSET = `id uuid, attempt_code text, exam_id text, user_id text, username text, email text,
  status text, started_at timestamptz, completed_at timestamptz, expires_at timestamptz, sweep_at timestamptz, taking_as_proctored boolean,
  is_sample_attempt boolean, external_id text, allowed_time_limit_mins integer, version integer, time_limit_changed_at timestamptz, created_at timestamptz`;

/** The attempt as one record of ATTEMPT_RECORDSET (the derived expires_at and sweep_at included). */
export function attemptRecord(a: StoredAttempt) {
  const expiry = iso(expiresAt(a));
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
    expires_at: expiry,
    sweep_at: isIncomplete(a.status) ? expiry : null,
    taking_as_proctored: a.takingAsProctored,
    is_sample_attempt: a.isSampleAttempt,
    external_id: a.externalId,
    allowed_time_limit_mins: a.allowedTimeLimitMins,
    version: a.version,
    time_limit_changed_at: iso(a.timeLimitChangedAt ?? null),
    created_at: a.createdAt.toISOString(),
  };
}
