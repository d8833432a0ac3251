import type { Attempt } from './attempt.model';
import { err, ok, type Result } from './result';
import { isIncomplete } from './statuses';
import { expiredAt, expiresAt } from './timeout';

/*
 * Allowances (SPEC §8.2): per (exam, user, key), a string value as upstream stores it. Two keys give
 * time (`additional_time_granted` in minutes, or a bulk `time_multiplier` converted to minutes), one
 * is text passed to the proctoring provider (`review_policy_exception`). Pure: parsing and arithmetic.
 */

export const ALLOWANCE_KEYS = ['additional_time_granted', 'time_multiplier', 'review_policy_exception'] as const;
export type AllowanceKey = (typeof ALLOWANCE_KEYS)[number];

export const isAllowanceKey = (key: string): key is AllowanceKey => (ALLOWANCE_KEYS as readonly string[]).includes(key);

/** Bounds of granted time, in minutes (one week at most). */
export const ALLOWANCE_MINUTES = { min: 1, max: 10_080 } as const;
/** Longest `review_policy_exception`, in characters (code points). */
export const POLICY_EXCEPTION_MAX_CHARS = 1000;

const MINUTES = /^[0-9]{1,5}$/;
/** 1 < m ≤ 10 with at most four decimals; the bound 1 < m is checked after parsing. */
const MULTIPLIER = /^(10(\.0{1,4})?|[1-9](\.[0-9]{1,4})?)$/;
const MULTIPLIER_SCALE = 10_000;

export type AllowanceRejection = { code: 'INVALID_ALLOWANCE'; message: string };

/** A grant, parsed: what it stores, and the minutes it gives (time keys only). */
export type ParsedAllowance =
  | { key: 'additional_time_granted'; value: string; minutes: number }
  | { key: 'time_multiplier'; value: string; minutes: number }
  | { key: 'review_policy_exception'; value: string; minutes: null };

const reject = (message: string): Result<never, AllowanceRejection> => err({ code: 'INVALID_ALLOWANCE', message });

/**
 * Parses a grant of `key` = `value` for an exam of `timeLimitMins`. A multiplier m becomes
 * ⌊T × (m − 1) + ½⌋ minutes computed exactly in decimal (m has at most four decimals, so the whole
 * computation is in integers): half rounds up. Upstream's Python `round(T * (m - 1))` differs twice
 * over: it rounds half to even (T 5, m 1.5: round(2.5) = 2, here 3) and works in binary floats
 * (T 5, m 2.3: round(6.499999999999999) = 6, here 7).
 * Messages name the rule, never the value.
 */
export function parseAllowance(key: string, value: string, timeLimitMins: number): Result<ParsedAllowance, AllowanceRejection> {
  switch (key) {
    case 'additional_time_granted': {
      if (!MINUTES.test(value)) return reject('additional_time_granted must be a whole number of minutes');
      const minutes = Number(value);
      if (!inMinuteBounds(minutes)) return reject(`additional_time_granted must be ${ALLOWANCE_MINUTES.min}–${ALLOWANCE_MINUTES.max} minutes`);
      return ok({ key, value, minutes });
    }
    case 'time_multiplier': {
      if (!MULTIPLIER.test(value)) return reject('time_multiplier must be a decimal number up to 10 with at most four decimals');
      const scaled = multiplierScaled(value);
      if (scaled <= MULTIPLIER_SCALE) return reject('time_multiplier must be greater than 1');
      const minutes = multipliedMinutes(timeLimitMins, scaled);
      if (!inMinuteBounds(minutes)) return reject(`time_multiplier gives ${minutes} minutes; it must give ${ALLOWANCE_MINUTES.min}–${ALLOWANCE_MINUTES.max}`);
      return ok({ key, value, minutes });
    }
    case 'review_policy_exception': {
      if ([...value].length > POLICY_EXCEPTION_MAX_CHARS) return reject(`review_policy_exception must be at most ${POLICY_EXCEPTION_MAX_CHARS} characters`);
      return ok({ key, value, minutes: null });
    }
    default:
      return reject(`unknown allowance key (expected ${ALLOWANCE_KEYS.join(', ')})`);
  }
}

const inMinuteBounds = (m: number) => Number.isSafeInteger(m) && m >= ALLOWANCE_MINUTES.min && m <= ALLOWANCE_MINUTES.max;

/** The multiplier × 10,000 as an integer ("1.5" → 15000, "10.0000" → 100000). */
function multiplierScaled(value: string): number {
  const [whole, fraction = ''] = value.split('.');
  return Number(whole) * MULTIPLIER_SCALE + Number(fraction.padEnd(4, '0'));
}

/** ⌊T × (m − 1) + ½⌋ with m = scaled / 10,000, in integers: ⌊(T × (scaled − 10,000) + 5,000) / 10,000⌋. */
export function multipliedMinutes(timeLimitMins: number, scaled: number): number {
  return Math.floor((timeLimitMins * (scaled - MULTIPLIER_SCALE) + MULTIPLIER_SCALE / 2) / MULTIPLIER_SCALE);
}

/** The stored allowances of one (exam, user) that matter for time. */
export interface TimeAllowances {
  /** `additional_time_granted`, when one is stored. */
  granted?: { minutes: number; fromMultiplier: boolean };
}

/**
 * What a grant or removal does to the stored time rows: the `additional_time_granted` row to write
 * (`upsert`), to delete (`delete`), or nothing (`keep`). A multiplier writes minutes marked as coming
 * from it; removing the multiplier removes the minutes only if it produced them.
 */
export type TimeRowEffect = { kind: 'upsert'; minutes: number; fromMultiplier: boolean } | { kind: 'delete' } | { kind: 'keep' };

export function timeRowOnGrant(p: ParsedAllowance): TimeRowEffect {
  if (p.key === 'review_policy_exception') return { kind: 'keep' };
  return { kind: 'upsert', minutes: p.minutes, fromMultiplier: p.key === 'time_multiplier' };
}

export function timeRowOnRemoval(key: AllowanceKey, current: TimeAllowances): TimeRowEffect {
  if (key === 'additional_time_granted') return current.granted ? { kind: 'delete' } : { kind: 'keep' };
  if (key === 'time_multiplier') return current.granted?.fromMultiplier ? { kind: 'delete' } : { kind: 'keep' };
  return { kind: 'keep' };
}

/** `allowedTimeLimitMins` of an attempt: the exam's limit plus granted minutes (none: the command's own extra time). */
export function allowedTimeLimit(timeLimitMins: number, grantedMinutes: number | null, commandExtraMins = 0): number {
  return timeLimitMins + (grantedMinutes ?? commandExtraMins);
}

/** The stored allowances of one (exam, user), by key. */
export type StoredAllowances = ReadonlyMap<AllowanceKey, { value: string; fromMultiplier: boolean }>;

/** The time rows of stored allowances (what timeRowOnRemoval and allowedTimeLimit read). */
export function timeAllowancesOf(stored: StoredAllowances): TimeAllowances {
  const row = stored.get('additional_time_granted');
  return row ? { granted: { minutes: Number(row.value), fromMultiplier: row.fromMultiplier } } : {};
}

/**
 * What an allowance's new granted minutes do to the learner's attempt at the exam (SPEC §8.2):
 * - `none`: no attempt, a completed one, or the same limit;
 * - `time-out-first`: the attempt had already expired under its current limit and was not swept yet:
 *   the caller times it out through the rules (planTimeout), and then leaves it alone;
 * - `change`: the attempt with its recomputed `allowedTimeLimitMins`, the next version, and the time
 *   of the change (a limit shortened past the expiry times it out at that time, not before).
 */
export type TimeLimitEffect =
  | { kind: 'none' }
  | { kind: 'time-out-first' }
  | { kind: 'change'; attempt: Attempt; fromMins: number; toMins: number; expiresAt: Date | null };

export function timeLimitEffect(attempt: Attempt | null, timeLimitMins: number, grantedMinutes: number | null, now: Date): TimeLimitEffect {
  if (attempt === null || !isIncomplete(attempt.status)) return { kind: 'none' };
  if (expiredAt(attempt, now) !== null) return { kind: 'time-out-first' };
  const toMins = allowedTimeLimit(timeLimitMins, grantedMinutes);
  if (toMins === attempt.allowedTimeLimitMins) return { kind: 'none' };
  const next: Attempt = { ...attempt, allowedTimeLimitMins: toMins, version: attempt.version + 1, timeLimitChangedAt: new Date(now.getTime()) };
  return { kind: 'change', attempt: next, fromMins: attempt.allowedTimeLimitMins, toMins, expiresAt: expiresAt(next) };
}
