import type { ProvidersConfig } from '../../../../../libs/domain/src';
import { attempt, command, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';
import type { StoredReview } from '../../persistence/review.row';
import { COMMANDS_CHANNEL, reviewChannel, type Channel } from '../command-authority';
import { recordReviewHandler } from './record-review.handler';

/** Two providers: `ssi` with the defaults (updates allowed, second reviews required), `strict` with both off. */
const PROVIDERS: ProvidersConfig = {
  defaults: { CASCADE_STATUSES: ['rejected', 'declined'] },
  providers: { ssi: {}, strict: { ALLOW_REVIEW_UPDATES: false, REQUIRE_FAILURE_SECOND_REVIEWS: false } },
};

const cause = { type: 'command' as const, id: 'cmd-1', correlationId: 'cmd-1' };

function setup(provider: 'ssi' | 'strict', o: { status?: string; archived?: boolean; takingAsProctored?: boolean; isProctored?: boolean; reviewed?: boolean } = {}) {
  const e = exam('e1', { provider, isProctored: o.isProctored ?? true });
  const a = attempt('e1', 'u1', { status: (o.status ?? 'submitted') as never, completedAt: NOW, takingAsProctored: o.takingAsProctored ?? true, version: 5 });
  const w = world({ exams: [e], attempts: o.archived ? [] : [a], keys: ['u1'] });
  const stored: StoredReview[] = o.reviewed
    ? [
        {
          attemptId: a.id,
          attemptCode: a.attemptCode,
          userId: 'u1',
          reviewId: 'old',
          provider,
          reviewStatus: 'passed',
          providerReviewStatus: 'passed',
          reviewedBy: null,
          comments: null,
          rawData: null,
          videoUrlEncrypted: 'v1.x.y.z',
          videoUrl: null,
          archived: !!o.archived,
          commandId: 'cmd-0',
          createdAt: new Date('2025-11-25T09:30:00.000Z'),
          updatedAt: new Date('2025-11-25T09:30:00.000Z'),
        },
      ]
    : [];
  w.batch.loadedReviews({ archived: o.archived ? [{ id: a.id, attemptCode: a.attemptCode, examId: 'e1', userId: 'u1' }] : [], reviews: stored });
  const run = (data: { reviewStatus: string; reviewId?: string; reviewedBy?: string; videoUrl?: string; comments?: { category: string; comment: string }[]; rawData?: Record<string, unknown> }, channel: Channel = reviewChannel(provider)) =>
    recordReviewHandler.handle(
      command('RecordReview', { attemptCode: a.attemptCode, reviewId: data.reviewId ?? 'rev-1', ...data }),
      { ...w.ctx(cause, PROVIDERS), channel },
    );
  return { a, w, run };
}

// SPEC §8.1 rule 4: review status (either vocabulary) → status, by REQUIRE_FAILURE_SECOND_REVIEWS (ssi: true, strict: false)
const TABLE: [string, string, string, string][] = [
  ['passed', 'passed', 'verified', 'verified'],
  ['Clean', 'passed', 'verified', 'verified'],
  ['violation', 'violation', 'verified', 'verified'],
  ['Rules Violation', 'violation', 'verified', 'verified'],
  ['suspicious', 'suspicious', 'second_review_required', 'rejected'],
  ['Suspicious', 'suspicious', 'second_review_required', 'rejected'],
  ['not_reviewed', 'not_reviewed', 'not_reviewed', 'not_reviewed'],
  ['Not Reviewed', 'not_reviewed', 'not_reviewed', 'not_reviewed'],
];

describe('RecordReview handler (SPEC §8.1)', () => {
  it('targets the learner of the attempt its code names', () => {
    expect(recordReviewHandler.target({ attemptCode: 'C1', reviewId: 'r', reviewStatus: 'passed' })).toEqual({ kind: 'attempt', ref: { attemptCode: 'C1' } });
  });

  describe.each(TABLE)('%s', (received, standard, withSecondReviews, withoutSecondReviews) => {
    it.each([
      ['ssi', withSecondReviews],
      ['strict', withoutSecondReviews],
    ] as const)('on a live attempt of %s → %s, AttemptReviewed first, the status through the rules (credit, version)', (provider, status) => {
      const { a, w, run } = setup(provider);
      expect(run({ reviewStatus: received })).toEqual({ kind: 'applied' });
      const events = w.emitted();
      expect(events[0]).toMatchObject({
        type: 'AttemptReviewed',
        data: { attemptId: a.id, attemptCode: a.attemptCode, examId: 'e1', courseId: 'course-1', userId: 'u1', provider, reviewId: 'rev-1', reviewStatus: standard, providerReviewStatus: received, resultingStatus: status, isUpdate: false, archived: false },
      });
      expect(events[1]).toMatchObject({ type: 'AttemptStatusChanged', data: { fromStatus: 'submitted', toStatus: status, version: 6 } });
      expect(w.batch.attemptById(a.id)).toMatchObject({ status, version: 6 });
      expect(w.batch.writes().reviews).toMatchObject([{ attemptId: a.id, reviewStatus: standard, providerReviewStatus: received, provider, archived: false }]);
    });

    it.each(['ssi', 'strict'] as const)('on an archived attempt of %s: stored against the archive, no status change', (provider) => {
      const { a, w, run } = setup(provider, { archived: true });
      expect(run({ reviewStatus: received })).toEqual({ kind: 'applied' });
      expect(w.types()).toEqual(['AttemptReviewed']);
      expect(w.emitted()[0].data).toMatchObject({ attemptId: a.id, resultingStatus: null, archived: true, reviewStatus: standard });
      expect(w.batch.writes()).toMatchObject({ updates: [], transitions: [], reviews: [{ attemptId: a.id, archived: true }] });
    });
  });

  it('rejects any other review status INVALID_REVIEW_STATUS (exact names only), storing nothing', () => {
    for (const s of ['clean', 'PASSED', 'Passed', 'error', 'verified', ' passed'])
      expect(setup('ssi').run({ reviewStatus: s })).toMatchObject({ kind: 'rejected', reason: 'INVALID_REVIEW_STATUS' });
    const { w, run } = setup('ssi');
    run({ reviewStatus: 'bogus' });
    expect(w.batch.writes().reviews).toEqual([]);
  });

  it("rejects a review from another provider's topic PROVIDER_MISMATCH (live and archived), storing nothing", () => {
    for (const archived of [false, true]) {
      const { w, run } = setup('ssi', { archived });
      expect(run({ reviewStatus: 'passed' }, reviewChannel('strict'))).toMatchObject({ kind: 'rejected', reason: 'PROVIDER_MISMATCH' });
      expect(w.batch.writes().reviews).toEqual([]);
      expect(w.types()).toEqual([]);
    }
  });

  it('rejects a code no attempt, live or archived, has ATTEMPT_NOT_FOUND', () => {
    const { w } = setup('ssi');
    const out = recordReviewHandler.handle(command('RecordReview', { attemptCode: 'NOPE', reviewId: 'r', reviewStatus: 'passed' }), { ...w.ctx(cause, PROVIDERS), channel: reviewChannel('ssi') });
    expect(out).toMatchObject({ kind: 'rejected', reason: 'ATTEMPT_NOT_FOUND' });
  });

  it('a second review: an update (the old one to history) when allowed; REVIEW_ALREADY_EXISTS when not', () => {
    const ssi = setup('ssi', { reviewed: true, status: 'verified' });
    expect(ssi.run({ reviewStatus: 'passed', reviewId: 'old' })).toEqual({ kind: 'applied' });
    expect(ssi.w.emitted()[0]).toMatchObject({ type: 'AttemptReviewed', data: { isUpdate: true, reviewId: 'old', resultingStatus: 'verified' } });
    // the status was already verified: a no-op, so nothing but the review
    expect(ssi.w.types()).toEqual(['AttemptReviewed']);
    expect(ssi.w.batch.writes().replacedReviews).toMatchObject([{ review: { reviewId: 'old', videoUrlEncrypted: 'v1.x.y.z' }, replacedBy: 'cmd-1', replacedAt: NOW }]);
    expect(ssi.w.batch.writes().reviews).toMatchObject([{ reviewId: 'old', createdAt: new Date('2025-11-25T09:30:00.000Z'), updatedAt: NOW }]);

    for (const archived of [false, true]) {
      const strict = setup('strict', { reviewed: true, archived });
      expect(strict.run({ reviewStatus: 'passed' })).toMatchObject({ kind: 'rejected', reason: 'REVIEW_ALREADY_EXISTS' });
      expect(strict.w.batch.writes()).toMatchObject({ reviews: [], replacedReviews: [] });
    }
  });

  it('a staff second review (commands topic, reviewedBy) settles second_review_required and skips the provider check', () => {
    const { a, w, run } = setup('ssi', { status: 'second_review_required', reviewed: true });
    expect(run({ reviewStatus: 'suspicious', reviewedBy: 'staff-7' }, COMMANDS_CHANNEL)).toEqual({ kind: 'applied' });
    expect(w.emitted()[0]).toMatchObject({ type: 'AttemptReviewed', data: { reviewedBy: 'staff-7', resultingStatus: 'rejected', isUpdate: true } });
    expect(w.batch.attemptById(a.id)).toMatchObject({ status: 'rejected' });
    const passed = setup('ssi', { status: 'second_review_required', reviewed: true });
    expect(passed.run({ reviewStatus: 'passed', reviewedBy: 'staff-7' }, COMMANDS_CHANNEL)).toEqual({ kind: 'applied' });
    expect(passed.w.batch.attemptById(passed.a.id)).toMatchObject({ status: 'verified' });
  });

  it('a review of an attempt not taken as proctored, or of a non-proctored exam: stored, no status change', () => {
    for (const o of [{ takingAsProctored: false }, { isProctored: false }]) {
      const { a, w, run } = setup('ssi', o);
      expect(run({ reviewStatus: 'Suspicious' })).toEqual({ kind: 'applied' });
      expect(w.types()).toEqual(['AttemptReviewed']);
      expect(w.emitted()[0].data).toMatchObject({ resultingStatus: null, archived: false });
      expect(w.batch.attemptById(a.id)).toMatchObject({ status: 'submitted', version: 5 });
      expect(w.batch.writes().reviews).toHaveLength(1);
    }
  });

  it('keeps comments, rawData and the video URL in the database, never in the event', () => {
    const { w, run } = setup('ssi');
    run({ reviewStatus: 'Clean', videoUrl: 'https://v.example/1', comments: [{ category: 'c', comment: 'looked fine' }], rawData: { k: 'v' } });
    expect(w.batch.writes().reviews).toMatchObject([{ videoUrl: 'https://v.example/1', comments: [{ category: 'c', comment: 'looked fine' }], rawData: { k: 'v' } }]);
    const wire = JSON.stringify(w.emitted().filter((e) => e.type === 'AttemptReviewed'));
    for (const secret of ['v.example', 'looked fine', '"k"', 'u1@example.test', 'name-u1']) expect(wire).not.toContain(secret);
  });

  it('a rejecting review cascades to the learner’s other attempts of the course and triggers the status email', () => {
    const e1 = exam('e1', { provider: 'strict' });
    const e2 = exam('e2', { provider: 'strict' });
    const a = attempt('e1', 'u1', { status: 'submitted', completedAt: NOW, version: 5 });
    const w = world({ exams: [e1, e2], attempts: [a], keys: ['u1'] });
    w.batch.loadedReviews({ archived: [], reviews: [] });
    const out = recordReviewHandler.handle(command('RecordReview', { attemptCode: a.attemptCode, reviewId: 'r', reviewStatus: 'Suspicious' }), {
      ...w.ctx(cause, PROVIDERS),
      channel: reviewChannel('strict'),
    });
    expect(out).toEqual({ kind: 'applied' });
    expect(w.types()[0]).toBe('AttemptReviewed');
    expect(w.types()).toContain('AttemptCreated');
    expect(w.emitted().find((e) => e.type === 'AttemptStatusChanged' && e.data.toStatus === 'rejected')).toBeDefined();
  });

  it('finds an attempt archived earlier in the same batch as archived', () => {
    const { a, w, run } = setup('ssi');
    w.batch.archiveAttempt(a, 'removed', cause);
    expect(run({ reviewStatus: 'passed' })).toEqual({ kind: 'applied' });
    expect(w.emitted()[0].data).toMatchObject({ archived: true, resultingStatus: null });
  });
});
