import type { Attempt } from './attempt.model';
import { isIncomplete } from './statuses';

const MS_PER_MINUTE = 60_000;

/** `startedAt + allowedTimeLimitMins`; null when the attempt has not started. */
export function expiresAt(a: Attempt): Date | null {
  if (a.startedAt === null || a.startedAt === undefined) return null;
  return new Date(a.startedAt.getTime() + a.allowedTimeLimitMins * MS_PER_MINUTE);
}

/** Incomplete, started, and `now` strictly after the expiry (exactly at the expiry is not expired). */
export function isExpired(a: Attempt, now: Date): boolean {
  return expiredAt(a, now) !== null;
}

/**
 * The time a timeout completes an attempt that has expired by `now`; null when it has not expired.
 * That is the expiry, or — when an allowance removed after it moved the expiry into the past — the
 * time of that change (SPEC §8.2: max(new expiry, time of the removal)). The one timeout rule: the
 * sweeper, a cascade and the read side all use it.
 */
export function expiredAt(a: Attempt, now: Date): Date | null {
  const expiry = expiresAt(a);
  if (expiry === null || !isIncomplete(a.status) || now.getTime() <= expiry.getTime()) return null;
  const changed = a.timeLimitChangedAt;
  return changed && changed.getTime() > expiry.getTime() ? new Date(changed.getTime()) : expiry;
}
