import { planTimeout } from '../../../../../libs/domain/src';
import { planContext, storePlan } from './attempt-writes';
import type { HandlerContext } from './command-handler';

/** A sweeper's request to time out an attempt it found expired (SPEC §2 "Timeouts"). */
export interface AttemptTimeout {
  attemptId: string;
  sweepId: string;
}

export type TimeoutOutcome = { kind: 'timed-out' } | { kind: 'not-expired' };

/**
 * Times the attempt out if it is still expired now that it is locked (another instance may have got
 * there first, or a command changed it): `timed_out` through the rules, with its cascade.
 */
export function handleAttemptTimeout(input: AttemptTimeout, ctx: HandlerContext): TimeoutOutcome {
  const { batch } = ctx;
  const attempt = batch.attemptById(input.attemptId);
  if (!attempt) return { kind: 'not-expired' };
  const exam = batch.examOf(attempt);
  const plan = planTimeout(attempt, exam, planContext(batch, ctx.providers, ctx.newId));
  if (!plan) return { kind: 'not-expired' };
  storePlan(ctx, plan, null);
  return { kind: 'timed-out' };
}
