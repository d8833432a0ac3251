import fc from 'fast-check';
import type { Attempt } from './attempt.model';
import type { Policy } from './policy';
import {
  decideReview,
  REVIEW_POLICY_DEFAULTS,
  REVIEW_STATUSES,
  reviewedStatus,
  standardReviewStatus,
  type ReviewPolicy,
  type ReviewStatus,
  type ReviewTarget,
} from './review';
import { isCompleted, isIncomplete, STATUSES } from './statuses';
import { changeStatus } from './transition';

const live = (o: Partial<Extract<ReviewTarget, { kind: 'live' }>> = {}): ReviewTarget => ({
  kind: 'live',
  provider: 'software_secure',
  takingAsProctored: true,
  isProctored: true,
  hasReview: false,
  ...o,
});
const fromProvider = (status: ReviewStatus) => ({ status, reviewedBy: false, provider: 'software_secure' });
const noSecondReviews: ReviewPolicy = { allowReviewUpdates: true, requireFailureSecondReviews: false };

describe('standardReviewStatus: both vocabularies, exactly', () => {
  it.each([
    ['passed', 'passed'],
    ['violation', 'violation'],
    ['suspicious', 'suspicious'],
    ['not_reviewed', 'not_reviewed'],
    ['Clean', 'passed'],
    ['Rules Violation', 'violation'],
    ['Suspicious', 'suspicious'],
    ['Not Reviewed', 'not_reviewed'],
  ])('%s → %s', (received, standard) => {
    expect(standardReviewStatus(received)).toBe(standard);
  });

  it.each(['', 'PASSED', 'clean', 'Rules violation', 'toString', '__proto__', 'constructor', 'verified'])('%j is not a review status', (received) => {
    expect(standardReviewStatus(received)).toBeNull();
  });
});

describe('reviewedStatus: the mapping table × both settings (rule 4)', () => {
  it.each([
    ['passed', false, true, 'verified'],
    ['passed', true, true, 'verified'],
    ['violation', false, true, 'verified'],
    ['not_reviewed', false, true, 'not_reviewed'],
    ['not_reviewed', true, false, 'not_reviewed'],
    ['suspicious', false, true, 'second_review_required'],
    ['suspicious', false, false, 'rejected'],
    ['suspicious', true, true, 'rejected'],
    ['suspicious', true, false, 'rejected'],
  ] as const)('%s (reviewedBy %s, REQUIRE_FAILURE_SECOND_REVIEWS %s) → %s', (review, reviewedBy, require, status) => {
    expect(reviewedStatus(review, { reviewedBy, policy: { allowReviewUpdates: true, requireFailureSecondReviews: require } })).toBe(status);
  });
});

describe('decideReview (rules 1–3)', () => {
  it('no attempt, live or archived: ATTEMPT_NOT_FOUND', () => {
    expect(decideReview({ kind: 'missing' }, fromProvider('passed'), REVIEW_POLICY_DEFAULTS)).toEqual({ ok: false, rejection: { code: 'ATTEMPT_NOT_FOUND' } });
  });

  it("another provider's exam: PROVIDER_MISMATCH, live or archived; a staff review skips the check", () => {
    const other = { ...fromProvider('passed'), provider: 'proctortrack' };
    expect(decideReview(live(), other, REVIEW_POLICY_DEFAULTS)).toEqual({ ok: false, rejection: { code: 'PROVIDER_MISMATCH' } });
    expect(decideReview({ kind: 'archived', provider: 'software_secure', hasReview: false }, other, REVIEW_POLICY_DEFAULTS)).toMatchObject({ ok: false });
    expect(decideReview(live({ provider: null }), fromProvider('passed'), REVIEW_POLICY_DEFAULTS)).toMatchObject({ ok: false, rejection: { code: 'PROVIDER_MISMATCH' } });
    expect(decideReview(live(), { status: 'suspicious', reviewedBy: true, provider: null }, REVIEW_POLICY_DEFAULTS)).toEqual({
      ok: true,
      isUpdate: false,
      status: 'rejected',
      archived: false,
    });
  });

  it('a second review: an update by default, REVIEW_ALREADY_EXISTS when updates are not allowed (live and archived)', () => {
    expect(decideReview(live({ hasReview: true }), fromProvider('passed'), REVIEW_POLICY_DEFAULTS)).toEqual({ ok: true, isUpdate: true, status: 'verified', archived: false });
    const closed = { allowReviewUpdates: false, requireFailureSecondReviews: true };
    expect(decideReview(live({ hasReview: true }), fromProvider('passed'), closed)).toEqual({ ok: false, rejection: { code: 'REVIEW_ALREADY_EXISTS' } });
    expect(decideReview({ kind: 'archived', provider: 'software_secure', hasReview: true }, fromProvider('passed'), closed)).toMatchObject({ ok: false });
    expect(decideReview(live(), fromProvider('passed'), closed)).toMatchObject({ ok: true, isUpdate: false });
  });

  it('an archived attempt: stored, no status change', () => {
    expect(decideReview({ kind: 'archived', provider: 'software_secure', hasReview: false }, fromProvider('suspicious'), noSecondReviews)).toEqual({
      ok: true,
      isUpdate: false,
      status: null,
      archived: true,
    });
  });

  it('an attempt not taken as proctored, or of an exam that is not proctored: stored, no status change', () => {
    expect(decideReview(live({ takingAsProctored: false }), fromProvider('passed'), REVIEW_POLICY_DEFAULTS)).toMatchObject({ ok: true, status: null });
    expect(decideReview(live({ isProctored: false }), fromProvider('passed'), REVIEW_POLICY_DEFAULTS)).toMatchObject({ ok: true, status: null });
  });
});

describe('property: a review never moves a completed attempt to an incomplete status', () => {
  const POLICY: Policy = {
    allowTimedOutState: undefined,
    cascadeStatuses: ['rejected', 'declined'],
    email: { siteName: 'l', platformName: 'p', contactEmail: 'c@x.org', fromEmail: 'f@x.org', https: true, courseInfoPath: '/c' },
  };
  const attempt = (status: (typeof STATUSES)[number]): Attempt => ({
    id: 'a',
    attemptCode: 'C',
    examId: 'e',
    userId: 'u',
    status,
    startedAt: null,
    completedAt: null,
    takingAsProctored: true,
    isSampleAttempt: false,
    externalId: null,
    allowedTimeLimitMins: 60,
    version: 1,
  });

  it('holds for every status, review, reviewer and setting', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATUSES),
        fc.constantFrom(...REVIEW_STATUSES),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (from, review, reviewedBy, allowReviewUpdates, requireFailureSecondReviews) => {
          const decision = decideReview(live(), { status: review, reviewedBy, provider: reviewedBy ? null : 'software_secure' }, { allowReviewUpdates, requireFailureSecondReviews });
          if (!decision.ok || decision.status === null) return;
          expect(isCompleted(decision.status)).toBe(true);
          const change = changeStatus(attempt(from), decision.status, { policy: POLICY, now: new Date('2026-01-01T00:00:00Z') });
          if (change.ok && change.value.kind === 'changed' && isCompleted(from)) expect(isIncomplete(change.value.attempt.status)).toBe(false);
        },
      ),
    );
  });
});
