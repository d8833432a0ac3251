import type { Status } from './statuses';

/*
 * Reviews from proctoring providers' pipelines and staff second reviews (SPEC §8.1), after the
 * original's review workflow. Pure decisions; the caller stores the review and applies the status
 * through `changeStatus` like any other request.
 */

/** The standard review statuses. */
export const REVIEW_STATUSES = ['passed', 'violation', 'suspicious', 'not_reviewed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** SoftwareSecure's names, mapped to the standard ones in that order. */
export const SOFTWARE_SECURE_REVIEW_STATUSES: Readonly<Record<string, ReviewStatus>> = Object.freeze({
  Clean: 'passed',
  'Rules Violation': 'violation',
  Suspicious: 'suspicious',
  'Not Reviewed': 'not_reviewed',
});

/** The standard status of a review status as received (either vocabulary, exact), or null: INVALID_REVIEW_STATUS. */
export function standardReviewStatus(received: string): ReviewStatus | null {
  if ((REVIEW_STATUSES as readonly string[]).includes(received)) return received as ReviewStatus;
  return Object.prototype.hasOwnProperty.call(SOFTWARE_SECURE_REVIEW_STATUSES, received) ? SOFTWARE_SECURE_REVIEW_STATUSES[received] : null;
}

/** The review settings of the exam's provider, resolved (SPEC §8.1, providers file). */
export interface ReviewPolicy {
  /** `ALLOW_REVIEW_UPDATES`, default true: a second review of an attempt replaces the first. */
  allowReviewUpdates: boolean;
  /** `REQUIRE_FAILURE_SECOND_REVIEWS`, default true: a suspicious review waits for a person. */
  requireFailureSecondReviews: boolean;
}

export const REVIEW_POLICY_DEFAULTS: ReviewPolicy = Object.freeze({ allowReviewUpdates: true, requireFailureSecondReviews: true });

/**
 * The attempt status a review asks for (rule 4): passed and violation → verified; not_reviewed →
 * not_reviewed (upstream says `error`, having lost `not_reviewed`; ours keeps it, and completed → error
 * is illegal here); suspicious → rejected when a person reviewed it (`reviewedBy`) or the provider
 * does not require second reviews, else second_review_required.
 */
export function reviewedStatus(review: ReviewStatus, o: { reviewedBy: boolean; policy: ReviewPolicy }): Status {
  switch (review) {
    case 'passed':
    case 'violation':
      return 'verified';
    case 'not_reviewed':
      return 'not_reviewed';
    case 'suspicious':
      return o.reviewedBy || !o.policy.requireFailureSecondReviews ? 'rejected' : 'second_review_required';
  }
}

/** Where the reviewed attempt is: live, archived (removed or replaced), or nowhere. */
export type ReviewTarget =
  | { kind: 'live'; provider: string | null; takingAsProctored: boolean; isProctored: boolean; hasReview: boolean }
  | { kind: 'archived'; provider: string | null; hasReview: boolean }
  | { kind: 'missing' };

export type ReviewRejection =
  | { code: 'ATTEMPT_NOT_FOUND' }
  | { code: 'PROVIDER_MISMATCH' }
  | { code: 'REVIEW_ALREADY_EXISTS' };

/**
 * What to do with a review (rules 1–4), given where its attempt is and who sent it: `provider` is the
 * review topic's provider, null for a staff review from the commands topic (which skips rule 2).
 * `store`: keep the review (moving an existing one to history when `isUpdate`); `status`: the status to
 * request through the transition rules, or null for no status change (an archived attempt, or one
 * not taken as proctored).
 */
export type ReviewDecision =
  | { ok: true; isUpdate: boolean; status: Status | null; archived: boolean }
  | { ok: false; rejection: ReviewRejection };

export function decideReview(
  target: ReviewTarget,
  review: { status: ReviewStatus; reviewedBy: boolean; provider: string | null },
  policy: ReviewPolicy,
): ReviewDecision {
  if (target.kind === 'missing') return { ok: false, rejection: { code: 'ATTEMPT_NOT_FOUND' } };
  if (review.provider !== null && target.provider !== review.provider) return { ok: false, rejection: { code: 'PROVIDER_MISMATCH' } };
  if (target.hasReview && !policy.allowReviewUpdates) return { ok: false, rejection: { code: 'REVIEW_ALREADY_EXISTS' } };
  const isUpdate = target.hasReview;
  if (target.kind === 'archived') return { ok: true, isUpdate, status: null, archived: true };
  if (!target.takingAsProctored || !target.isProctored) return { ok: true, isUpdate, status: null, archived: false };
  return { ok: true, isUpdate, status: reviewedStatus(review.status, { reviewedBy: review.reviewedBy, policy }), archived: false };
}
