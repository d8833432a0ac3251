import type { Pool } from 'pg';
import { isStatus, statusAlias } from '../../../../libs/domain/src';
import type { AttemptHistoryRow } from './attempt-history.row';
import type { AttemptTransitionRow } from './attempt-transition.row';
import type { AttemptRow } from './attempt.row';
import type { ExamRow } from './exam.row';
import { REVIEW_COLUMNS, type ReviewRow, type VideoUrlCipher } from './review.row';

/** A review of the attempt (SPEC §8.1), the video URL decrypted (null without it, or without the key). */
export interface ReviewView {
  reviewId: string;
  provider: string | null;
  reviewStatus: string;
  providerReviewStatus: string;
  reviewedBy: string | null;
  comments: unknown[] | null;
  rawData: Record<string, unknown> | null;
  videoUrl: string | null;
  archived: boolean;
  commandId: string;
  createdAt: string;
  updatedAt: string;
  /** review history only: when and by which command it was replaced. */
  replacedAt?: string;
  replacedBy?: string;
}

/** One stored status change of an attempt (`attempt_transition`), oldest first. */
export interface TransitionView {
  fromStatus: string | null;
  toStatus: string;
  requestedStatus: string;
  cause: { type: string; id: string };
  occurredAt: string;
  version: number;
  cascadeFromAttemptId: string | null;
  reason: string | null;
}

/** An attempt of the same exam and learner that was removed or replaced (`attempt_history`). */
export interface ArchivedAttemptView {
  attemptId: string;
  attemptCode: string;
  examId: string;
  userId: string;
  user: { username: string; email: string };
  status: string;
  takingAsProctored: boolean;
  isSampleAttempt: boolean;
  externalId: string | null;
  allowedTimeLimitMins: number;
  startedAt: string | null;
  completedAt: string | null;
  version: number;
  createdAt: string;
  archivedAt: string;
  archiveReason: string;
  archivedBy: string;
}

/** A learner's allowance at an exam (SPEC §8.2); the policy exception text included: this is not the bus. */
export interface AllowanceView {
  examId: string;
  userId: string;
  key: string;
  value: string;
  /** an `additional_time_granted` a `time_multiplier` produced. */
  fromMultiplier: boolean;
  updatedAt: string;
}

/** One grant or removal of an allowance, oldest first. */
export interface AllowanceChangeView {
  key: string;
  action: string;
  value: string | null;
  fromMultiplier: boolean;
  cause: { type: string; id: string };
  occurredAt: string;
}

/** An attempt as the read API and `attempts show` return it: the AttemptStatusChanged fields, its history. */
export interface AttemptView {
  attemptId: string;
  attemptCode: string;
  examId: string;
  courseId: string;
  contentId: string;
  examName: string;
  courseName: string | null;
  provider: string | null;
  userId: string;
  user: { username: string; email: string };
  status: string;
  statusAlias: string;
  takingAsProctored: boolean;
  isSampleAttempt: boolean;
  isPracticeExam: boolean;
  isProctored: boolean;
  externalId: string | null;
  allowedTimeLimitMins: number;
  startedAt: string | null;
  completedAt: string | null;
  expiresAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** The learner's allowances at the exam. */
  allowances: AllowanceView[];
  /** The `review_policy_exception` allowance, for the proctoring provider; null when none. */
  reviewPolicyException: string | null;
  transitions: TransitionView[];
  archived: ArchivedAttemptView[];
  /** the attempt's review, null when none; its replaced reviews oldest first. */
  review: ReviewView | null;
  reviewHistory: ReviewView[];
}

/** An attempt row with the exam columns the view shows. */
type AttemptJoinRow = AttemptRow & Pick<ExamRow, 'course_id' | 'content_id' | 'exam_name' | 'course_name' | 'provider' | 'is_practice_exam' | 'is_proctored'>;

const ATTEMPT_SELECT = `SELECT a.*, e.course_id, e.content_id, e.exam_name, e.course_name, e.provider,
    e.is_practice_exam, e.is_proctored
  FROM attempts.attempt a JOIN attempts.exam e ON e.exam_id = a.exam_id`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Reads attempts for the HTTP read API and the command line. Plain SELECTs: reading never changes
 * state (an expired attempt is shown as it is until the sweeper times it out).
 */
export class AttemptReadRepository {
  constructor(
    private readonly pool: Pool,
    /** decrypts reviews' video URLs (REVIEW_VIDEO_URL_KEY); without it they are shown as null. */
    private readonly videoUrlCipher: VideoUrlCipher | null = null,
  ) {}

  /** The review of an attempt (live or archived) and its replaced reviews, oldest first. */
  async reviews(attemptId: string): Promise<{ review: ReviewView | null; reviewHistory: ReviewView[] }> {
    const [current, history] = await Promise.all([
      this.pool.query<ReviewRow>(`SELECT ${REVIEW_COLUMNS} FROM attempts.review WHERE attempt_id = $1`, [attemptId.toLowerCase()]),
      this.pool.query<ReviewRow & { replaced_at: Date; replaced_by: string }>(
        `SELECT ${REVIEW_COLUMNS}, replaced_at, replaced_by FROM attempts.review_history WHERE attempt_id = $1 ORDER BY id`,
        [attemptId.toLowerCase()],
      ),
    ]);
    return {
      review: current.rows.length > 0 ? this.reviewView(current.rows[0]) : null,
      reviewHistory: history.rows.map((r) => ({ ...this.reviewView(r), replacedAt: r.replaced_at.toISOString(), replacedBy: r.replaced_by })),
    };
  }

  private reviewView(r: ReviewRow): ReviewView {
    return {
      reviewId: r.review_id,
      provider: r.provider,
      reviewStatus: r.review_status,
      providerReviewStatus: r.provider_review_status,
      reviewedBy: r.reviewed_by,
      comments: r.comments,
      rawData: r.raw_data,
      videoUrl: r.video_url_encrypted !== null && this.videoUrlCipher ? this.videoUrlCipher.decrypt(r.video_url_encrypted) : null,
      archived: r.archived,
      commandId: r.command_id,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  /** `attemptId` must be a UUID (the caller validates it). */
  async byId(attemptId: string): Promise<AttemptView | null> {
    const { rows } = await this.pool.query<AttemptJoinRow>(`${ATTEMPT_SELECT} WHERE a.id = $1`, [attemptId.toLowerCase()]);
    return rows.length === 0 ? null : this.view(rows[0]);
  }

  async byExamAndUser(examId: string, userId: string): Promise<AttemptView | null> {
    const { rows } = await this.pool.query<AttemptJoinRow>(`${ATTEMPT_SELECT} WHERE a.exam_id = $1 AND a.user_id = $2`, [examId, userId]);
    return rows.length === 0 ? null : this.view(rows[0]);
  }

  async examExists(examId: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM attempts.exam WHERE exam_id = $1`, [examId]);
    return rows.length > 0;
  }

  /** A learner's allowances at an exam (or at every exam, without examId), by exam and key. */
  async allowances(userId: string, examId?: string): Promise<AllowanceView[]> {
    const { rows } = await this.pool.query<{ exam_id: string; user_id: string; key: string; value: string; from_multiplier: boolean; updated_at: Date }>(
      `SELECT exam_id, user_id, key, value, from_multiplier, updated_at FROM attempts.allowance
        WHERE user_id = $1 AND ($2::text IS NULL OR exam_id = $2) ORDER BY exam_id, key`,
      [userId, examId ?? null],
    );
    return rows.map((r) => ({ examId: r.exam_id, userId: r.user_id, key: r.key, value: r.value, fromMultiplier: r.from_multiplier, updatedAt: r.updated_at.toISOString() }));
  }

  /** Every grant and removal of a learner's allowances at an exam, oldest first. */
  async allowanceHistory(examId: string, userId: string): Promise<AllowanceChangeView[]> {
    const { rows } = await this.pool.query<{ key: string; action: string; value: string | null; from_multiplier: boolean; cause_type: string; cause_id: string; occurred_at: Date }>(
      `SELECT key, action, value, from_multiplier, cause_type, cause_id, occurred_at FROM attempts.allowance_history
        WHERE exam_id = $1 AND user_id = $2 ORDER BY id`,
      [examId, userId],
    );
    return rows.map((r) => ({
      key: r.key,
      action: r.action,
      value: r.value,
      fromMultiplier: r.from_multiplier,
      cause: { type: r.cause_type, id: r.cause_id },
      occurredAt: r.occurred_at.toISOString(),
    }));
  }

  /** Removed and replaced attempts of an exam and learner, oldest first. */
  async archived(examId: string, userId: string): Promise<ArchivedAttemptView[]> {
    const { rows } = await this.pool.query<AttemptHistoryRow>(
      `SELECT * FROM attempts.attempt_history WHERE exam_id = $1 AND user_id = $2 ORDER BY archived_at, history_id`,
      [examId, userId],
    );
    return rows.map(archivedView);
  }

  /** Removed and replaced attempts with this id (an attempt removed by id). */
  async archivedById(attemptId: string): Promise<ArchivedAttemptView[]> {
    const { rows } = await this.pool.query<AttemptHistoryRow>(
      `SELECT * FROM attempts.attempt_history WHERE attempt_id = $1 ORDER BY archived_at, history_id`,
      [attemptId.toLowerCase()],
    );
    return rows.map(archivedView);
  }

  /** The transitions a command or sweep caused on a learner's attempts (a cascade included), in order. */
  async transitionsCausedBy(causeId: string, userId: string): Promise<(TransitionView & { attemptId: string })[]> {
    const { rows } = await this.pool.query<AttemptTransitionRow>(
      `SELECT t.* FROM attempts.attempt_transition t
        WHERE t.attempt_id IN (SELECT id FROM attempts.attempt WHERE user_id = $2) AND t.cause_id = $1
        ORDER BY t.id`,
      [causeId, userId],
    );
    return rows.map((r) => ({ attemptId: r.attempt_id, ...transitionView(r) }));
  }

  private async view(r: AttemptJoinRow): Promise<AttemptView> {
    const [transitions, archived, allowances, reviews] = await Promise.all([
      this.pool.query<AttemptTransitionRow>(`SELECT * FROM attempts.attempt_transition WHERE attempt_id = $1 ORDER BY id`, [r.id]),
      this.archived(r.exam_id, r.user_id),
      this.allowances(r.user_id, r.exam_id),
      this.reviews(r.id),
    ]);
    return {
      attemptId: r.id,
      attemptCode: r.attempt_code,
      examId: r.exam_id,
      courseId: r.course_id,
      contentId: r.content_id,
      examName: r.exam_name,
      courseName: r.course_name,
      provider: r.provider,
      userId: r.user_id,
      user: { username: r.username, email: r.email },
      status: r.status,
      statusAlias: isStatus(r.status) ? statusAlias(r.status) : '',
      takingAsProctored: r.taking_as_proctored,
      isSampleAttempt: r.is_sample_attempt,
      isPracticeExam: r.is_practice_exam,
      isProctored: r.is_proctored,
      externalId: r.external_id,
      allowedTimeLimitMins: r.allowed_time_limit_mins,
      startedAt: iso(r.started_at),
      completedAt: iso(r.completed_at),
      expiresAt: iso(r.expires_at),
      version: r.version,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
      allowances,
      reviewPolicyException: allowances.find((a) => a.key === 'review_policy_exception')?.value ?? null,
      transitions: transitions.rows.map(transitionView),
      archived,
      review: reviews.review,
      reviewHistory: reviews.reviewHistory,
    };
  }
}

function transitionView(r: AttemptTransitionRow): TransitionView {
  return {
    fromStatus: r.from_status,
    toStatus: r.to_status,
    requestedStatus: r.requested_status,
    cause: { type: r.cause_type, id: r.cause_id },
    occurredAt: r.occurred_at.toISOString(),
    version: r.version,
    cascadeFromAttemptId: r.cascade_from_attempt_id,
    reason: r.reason,
  };
}

function archivedView(r: AttemptHistoryRow): ArchivedAttemptView {
  return {
    attemptId: r.attempt_id,
    attemptCode: r.attempt_code,
    examId: r.exam_id,
    userId: r.user_id,
    user: { username: r.username, email: r.email },
    status: r.status,
    takingAsProctored: r.taking_as_proctored,
    isSampleAttempt: r.is_sample_attempt,
    externalId: r.external_id,
    allowedTimeLimitMins: r.allowed_time_limit_mins,
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
    version: r.version,
    createdAt: r.created_at.toISOString(),
    archivedAt: r.archived_at.toISOString(),
    archiveReason: r.archive_reason,
    archivedBy: r.archived_by,
  };
}
