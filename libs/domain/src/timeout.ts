import type { Attempt } from './attempt.model';
import { isIncomplete } from './statuses';
import { changeStatus, type StatusChange, type TransitionContext } from './transition';

const MS_PER_MINUTE = 60_000;

/** `startedAt + allowedTimeLimitMins`; null when the attempt has not started. */
export function expiresAt(a: Attempt): Date | null {
  if (a.startedAt === null || a.startedAt === undefined) return null;
  return new Date(a.startedAt.getTime() + a.allowedTimeLimitMins * MS_PER_MINUTE);
}

/** Incomplete, started, and `now` strictly after the expiry (exactly at the expiry is not expired). */
export function isExpired(a: Attempt, now: Date): boolean {
  const expiry = expiresAt(a);
  return expiry !== null && isIncomplete(a.status) && now.getTime() > expiry.getTime();
}

/**
 * The timeout of an expired attempt, through the rules (`timed_out`, aliased as the policy says), with a
 * resulting `submitted` completed at the expiry time. null when the attempt has not expired.
 * An expired attempt is incomplete, so the change is always legal and never a no-op.
 */
export function timeOutIfExpired(a: Attempt, ctx: Omit<TransitionContext, 'expiredAt'>): StatusChange | null {
  const expiredAt = expiresAt(a);
  if (expiredAt === null || !isExpired(a, ctx.now)) return null;
  const decision = changeStatus(a, 'timed_out', { ...ctx, expiredAt });
  return decision.ok && decision.value.kind === 'changed' ? decision.value : null;
}
