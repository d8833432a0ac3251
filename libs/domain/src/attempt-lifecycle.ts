import type { Attempt } from './attempt.model';
import type { Exam } from './exam.model';
import { err, ok, type Result } from './result';
import { updatesCredit } from './statuses';

export type CreateRejection = { code: 'ATTEMPT_ALREADY_EXISTS'; examId: string; userId: string };

export interface CreateAttemptInput {
  /** the exam must exist; it may be inactive, as in the original. */
  exam: Exam;
  userId: string;
  takingAsProctored: boolean;
  externalId?: string | null;
  additionalTimeMins?: number;
  /** the learner's live attempt at this exam, if any. */
  existing: Attempt | null;
  /** a new attempt id (UUID) chosen by the caller. */
  id: string;
  /** a new upper-case UUID chosen by the caller. */
  attemptCode: string;
}

export interface CreatedAttempt {
  /** status `created`, version 1. */
  attempt: Attempt;
  /** the sample attempt this one replaces (the caller archives it, no credit removal); else null. */
  replaced: Attempt | null;
}

/**
 * A new attempt (SPEC §2 "Creating an attempt"). An existing sample attempt is replaced; any other
 * existing attempt refuses the creation.
 */
export function createAttempt(input: CreateAttemptInput): Result<CreatedAttempt, CreateRejection> {
  const { exam, existing } = input;
  if (existing !== null && !existing.isSampleAttempt) {
    return err({ code: 'ATTEMPT_ALREADY_EXISTS', examId: exam.examId, userId: input.userId });
  }
  return ok({
    attempt: {
      id: input.id,
      attemptCode: input.attemptCode,
      examId: exam.examId,
      userId: input.userId,
      status: 'created',
      startedAt: null,
      completedAt: null,
      takingAsProctored: input.takingAsProctored,
      isSampleAttempt: exam.isPracticeExam,
      externalId: input.externalId ?? null,
      allowedTimeLimitMins: exam.timeLimitMins + (input.additionalTimeMins ?? 0),
      version: 1,
    },
    replaced: existing,
  });
}

/** What removing an attempt implies: its credit requirement goes when its status had written one. */
export function removalEffects(a: Attempt): { removesCredit: boolean } {
  return { removesCredit: updatesCredit(a.status) };
}
