import { planStatusChange, type TransitionRejection } from '../../../../../libs/domain/src';
import { planContext, storePlan } from './attempt-writes';
import { attemptCommandHandler, reject, type Rejection } from './command-handler';

/** UpdateAttemptStatus: the attempt named, through the transition rules, with its cascade (SPEC §2). */
export const updateAttemptStatusHandler = attemptCommandHandler<'UpdateAttemptStatus'>(({ attempt, exam }, { data: d }, ctx) => {
  const plan = planStatusChange(attempt, exam, d.toStatus, planContext(ctx.batch, ctx.providers, ctx.newId));
  if (!plan.ok) return rejectionOf(plan.error);
  if (plan.value.kind === 'noop') return { kind: 'noop' };
  // a retired learner's free text is not stored (SPEC §8.3)
  storePlan(ctx, plan.value, ctx.batch.isRetired(attempt.userId) ? null : (d.reason ?? null));
  return { kind: 'applied' };
});

export function rejectionOf(r: TransitionRejection): Rejection {
  switch (r.code) {
    case 'INVALID_STATUS':
      return reject('INVALID_STATUS', 'toStatus is not a valid attempt status');
    case 'ILLEGAL_TRANSITION':
      return reject('ILLEGAL_TRANSITION', `a status transition from ${r.from} to ${r.to} is not allowed`);
  }
}
