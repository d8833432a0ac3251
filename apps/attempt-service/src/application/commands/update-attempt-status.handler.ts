import { matchAttempt, planStatusChange, type TransitionRejection } from '../../../../../libs/domain/src';
import { planContext, storePlan } from './attempt-writes';
import { reject, type CommandHandler, type Rejection } from './command-handler';

/** UpdateAttemptStatus: the attempt named, through the transition rules, with its cascade (SPEC §2). */
export const updateAttemptStatusHandler: CommandHandler<'UpdateAttemptStatus'> = {
  target: (d) => ({ kind: 'attempt', ref: d, examId: d.examId }),

  handle({ data: d }, ctx) {
    const { batch } = ctx;
    if (d.examId !== undefined && !batch.exam(d.examId)) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const attempt = matchAttempt(d, batch.lookup);
    if (!attempt) return reject('ATTEMPT_NOT_FOUND', 'no attempt matches the given attempt reference');
    const exam = batch.examOf(attempt);
    const plan = planStatusChange(attempt, exam, d.toStatus, planContext(batch, attempt, exam, ctx.providers, ctx.newId));
    if (!plan.ok) return rejectionOf(plan.error);
    if (plan.value.kind === 'noop') return { kind: 'noop' };
    storePlan(ctx, plan.value, d.reason ?? null);
    return { kind: 'applied' };
  },
};

function rejectionOf(r: TransitionRejection): Rejection {
  switch (r.code) {
    case 'INVALID_STATUS':
      return reject('INVALID_STATUS', 'toStatus is not a valid attempt status');
    case 'ILLEGAL_TRANSITION':
      return reject('ILLEGAL_TRANSITION', `a status transition from ${r.from} to ${r.to} is not allowed`);
  }
}
