import type { Attempt } from './attempt.model';
import type { Policy } from './policy';
import { err, ok, type Result } from './result';
import {
  creditStatusFor,
  isCompleted,
  isIncomplete,
  isStatus,
  type CreditStatus,
  type Status,
} from './statuses';
import { shouldSendStatusEmail } from './status-email';

export type TransitionRejection =
  | { code: 'INVALID_STATUS'; requested: string }
  | { code: 'ILLEGAL_TRANSITION'; from: Status; to: Status; requested: Status };

export type StatusDecision =
  | { kind: 'noop'; from: Status; to: Status; requested: Status }
  | {
      kind: 'changed';
      from: Status;
      to: Status;
      requested: Status;
      /** the attempt after the change, `version` + 1; the input attempt is never mutated. */
      attempt: Attempt;
      /** the credit requirement status to write, null when `to` does not update credit. */
      credit: CreditStatus | null;
      /** the caller must run the cascade (planCascade) for this change. */
      cascades: boolean;
      /** the learner gets the status email for this change (shouldSendStatusEmail). */
      sendsEmail: boolean;
    };

/** A stored change (the `changed` branch of StatusDecision). */
export type StatusChange = Extract<StatusDecision, { kind: 'changed' }>;

export interface TransitionContext {
  /** the policy of the attempt's exam's provider. */
  policy: Policy;
  /** the service's clock when the change is applied. */
  now: Date;
  /** default true; false for the declines a cascade makes (no further cascade, no clearing). */
  cascade?: boolean;
  /** set when the change is the timeout of an expired attempt: a resulting `submitted` completes then. */
  expiredAt?: Date;
}

/**
 * SPEC §2 rule 2. `timed_out` becomes `submitted` unless ALLOW_TIMED_OUT_STATE allows it; when the
 * setting is absent at every level it allows it only from `created` (the fork's default).
 */
export function applyTimeoutAlias(
  from: Status,
  requested: Status,
  allowTimedOutState: boolean | undefined,
): Status {
  if (requested !== 'timed_out') return requested;
  const allowed = allowTimedOutState ?? from === 'created';
  return allowed ? 'timed_out' : 'submitted';
}

/** SPEC §2 rule 3: completed → incomplete, and completed → error, are refused. */
export function isLegalTransition(from: Status, to: Status): boolean {
  return !(isCompleted(from) && (isIncomplete(to) || to === 'error'));
}

/** A fresh copy; a missing value (null, or undefined from a careless mapper) stays null. */
function copyDate(date: Date | null): Date | null {
  return date === null || date === undefined ? null : new Date(date.getTime());
}

function describeRequest(requested: unknown): string {
  return typeof requested === 'string' ? requested : `(${typeof requested})`;
}

/**
 * THE transition authority: every status change of an attempt is decided here, SPEC §2 rules 1-5 in
 * order. Pure: it returns the new attempt and what must follow, and the caller persists it. Expected
 * refusals are values; it never throws.
 */
export function changeStatus(
  attempt: Attempt,
  requested: string,
  ctx: TransitionContext,
): Result<StatusDecision, TransitionRejection> {
  // 1. Only the 14 statuses, exactly.
  if (!isStatus(requested)) return err({ code: 'INVALID_STATUS', requested: describeRequest(requested) });

  const from = attempt.status;
  // 2. Timeout alias.
  const to = applyTimeoutAlias(from, requested, ctx.policy.allowTimedOutState);

  // 3. Completed attempts never go back, and never to error.
  if (!isLegalTransition(from, to)) return err({ code: 'ILLEGAL_TRANSITION', from, to, requested });

  // 4. Same status: nothing happens.
  if (to === from) return ok({ kind: 'noop', from, to, requested });

  // 5. Store it, with everything that follows.
  const cascades = (ctx.cascade ?? true) && ctx.policy.cascadeStatuses.includes(to);
  const next: Attempt = {
    ...attempt,
    status: to,
    startedAt: copyDate(attempt.startedAt),
    completedAt: copyDate(attempt.completedAt),
    version: attempt.version + 1,
  };
  if (to === 'started' && next.startedAt === null) next.startedAt = copyDate(ctx.now);
  if (to === 'submitted') next.completedAt = copyDate(ctx.expiredAt ?? ctx.now);
  if (cascades && to === 'declined') {
    // Only inside the cascade block, as in the original: a cascade-driven decline keeps both fields.
    next.takingAsProctored = false;
    next.externalId = null;
  }

  return ok({
    kind: 'changed',
    from,
    to,
    requested,
    attempt: next,
    credit: creditStatusFor(to),
    cascades,
    sendsEmail: shouldSendStatusEmail({ takingAsProctored: next.takingAsProctored, isSampleAttempt: next.isSampleAttempt, toStatus: to }),
  });
}
