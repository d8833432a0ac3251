import {
  decideReview,
  planStatusChange,
  reviewPolicyFor,
  standardReviewStatus,
  type ReviewRejection,
  type ReviewTarget,
} from '../../../../../libs/domain/src';
import { reviewProviderOf } from '../command-authority';
import { planContext, storePlan } from './attempt-writes';
import { reject, type CommandHandler, type Rejection } from './command-handler';
import { rejectionOf } from './update-attempt-status.handler';

/**
 * RecordReview (SPEC §8.1): the attempt named by attemptCode — live, else archived — and its exam;
 * libs/domain decides (rules 1–4); the review is stored (an earlier one to review history), then
 * `AttemptReviewed`, then the status it asks for through the transition rules exactly as an
 * UpdateAttemptStatus (aliases, no-op, credit, cascade, email). Storing the review does not touch the
 * attempt, so its version changes only with the status. A provider's review comes from its review
 * topic (the channel names the provider, rule 2); a staff second review from the commands topic.
 */
export const recordReviewHandler: CommandHandler<'RecordReview'> = {
  target(d) {
    return { kind: 'attempt', ref: { attemptCode: d.attemptCode } };
  },
  handle(command, ctx) {
    const d = command.data;
    const { batch } = ctx;
    const standard = standardReviewStatus(d.reviewStatus);
    if (standard === null) return reject('INVALID_REVIEW_STATUS', 'reviewStatus is not a known review status');
    const live = batch.attemptByCode(d.attemptCode);
    const found = live ?? batch.archivedAttempt(d.attemptCode);
    const exam = found ? batch.exam(found.examId) : undefined;
    if (found && !exam) return reject('EXAM_NOT_FOUND', 'the exam of the attempt is not registered');
    const hasReview = found ? batch.review(found.id) !== undefined : false;
    const provider = exam?.provider ?? null;
    const target: ReviewTarget = !found
      ? { kind: 'missing' }
      : live
        ? { kind: 'live', provider, takingAsProctored: live.takingAsProctored, isProctored: exam?.isProctored ?? false, hasReview }
        : { kind: 'archived', provider, hasReview };
    const policy = reviewPolicyFor(ctx.providers, provider);
    const decision = decideReview(target, { status: standard, reviewedBy: d.reviewedBy !== undefined, provider: reviewProviderOf(ctx.channel) }, policy);
    if (!decision.ok) return reviewRejection(decision.rejection);
    if (!found || !exam) throw new Error('a review was accepted without its attempt');

    // The status first, so a change the rules refuse stores nothing (the review included).
    const plan = live && decision.status !== null ? planStatusChange(live, exam, decision.status, planContext(batch, ctx.providers, ctx.newId)) : null;
    if (plan && !plan.ok) return rejectionOf(plan.error);

    const previous = batch.review(found.id);
    batch.putReview(
      {
        attemptId: found.id,
        attemptCode: found.attemptCode,
        userId: found.userId,
        reviewId: d.reviewId,
        provider,
        reviewStatus: standard,
        providerReviewStatus: d.reviewStatus,
        reviewedBy: d.reviewedBy ?? null,
        comments: d.comments ?? null,
        rawData: d.rawData ?? null,
        videoUrlEncrypted: null,
        videoUrl: d.videoUrl ?? null,
        archived: !live,
        commandId: command.id,
        createdAt: previous?.createdAt ?? ctx.now,
        updatedAt: ctx.now,
      },
      ctx.cause,
    );
    const resultingStatus = plan?.ok && plan.value.kind === 'changed' ? plan.value.trigger.change.to : decision.status;
    batch.emit(
      ctx.events.attemptReviewed(found, exam, {
        reviewId: d.reviewId,
        reviewStatus: standard,
        providerReviewStatus: d.reviewStatus,
        reviewedBy: d.reviewedBy,
        resultingStatus,
        isUpdate: decision.isUpdate,
        archived: decision.archived,
      }),
      ctx.cause,
    );
    if (plan?.ok && plan.value.kind === 'changed') storePlan(ctx, plan.value, `review ${d.reviewId}`);
    return { kind: 'applied' };
  },
};

function reviewRejection(r: ReviewRejection): Rejection {
  switch (r.code) {
    case 'ATTEMPT_NOT_FOUND':
      return reject('ATTEMPT_NOT_FOUND', 'no attempt, live or archived, has this attempt code');
    case 'PROVIDER_MISMATCH':
      return reject('PROVIDER_MISMATCH', "the exam's provider is not the provider of this review topic");
    case 'REVIEW_ALREADY_EXISTS':
      return reject('REVIEW_ALREADY_EXISTS', 'the attempt already has a review and its provider does not allow review updates');
  }
}
