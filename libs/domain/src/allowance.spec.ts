import {
  ALLOWANCE_MINUTES,
  allowedTimeLimit,
  multipliedMinutes,
  parseAllowance,
  timeAllowancesOf,
  timeLimitEffect,
  timeRowOnGrant,
  timeRowOnRemoval,
} from './allowance';
import type { Attempt } from './attempt.model';
import { expiredAt, isExpired } from './timeout';
import { anAttempt } from '../../../test/support/domain.fixtures';

const rejected = (key: string, value: string, t = 60) => {
  const r = parseAllowance(key, value, t);
  if (r.ok) throw new Error(`expected ${key}=${value} rejected`);
  return r.error;
};

describe('parseAllowance (SPEC §8.2)', () => {
  it.each(['1', '30', '10080', '00030'])('takes additional_time_granted %s', (v) => {
    expect(parseAllowance('additional_time_granted', v, 60)).toEqual({ ok: true, value: { key: 'additional_time_granted', value: v, minutes: Number(v) } });
  });

  it.each(['0', '10081', '99999', '-5', '1.5', ' 30', '30 ', '', '1e3', '０３０', '123456'])('refuses additional_time_granted %j', (v) => {
    expect(rejected('additional_time_granted', v)).toMatchObject({ code: 'INVALID_ALLOWANCE' });
  });

  it.each([
    ['1.5', 60, 30],
    ['2', 60, 60],
    ['10', 60, 540],
    ['10.0000', 60, 540],
    ['1.0001', 5000, 1], // 0.5 minute rounds up
    ['1.25', 90, 23], // 22.5 → 23
    ['1.5', 5, 3], // 2.5 → 3 (upstream's round: 2)
    ['2.3', 5, 7], // exactly 6.5 → 7 (upstream's float: 6.499999999999999 → 6)
    ['4.1', 5, 16], // exactly 15.5 → 16 (upstream: 15)
    ['1.3333', 60, 20], // 19.998 → 20
  ])('converts time_multiplier %s on a %i-minute exam to %i minutes, half up in exact decimal', (m, t, minutes) => {
    expect(parseAllowance('time_multiplier', m, t)).toEqual({ ok: true, value: { key: 'time_multiplier', value: m, minutes } });
  });

  it.each(['1', '1.0', '1.0000', '0.5', '10.0001', '11', '10.5', '1.23456', '01.5', '1.', '.5', 'NaN', '1,5', '+1.5'])(
    'refuses time_multiplier %j',
    (m) => {
      expect(rejected('time_multiplier', m)).toMatchObject({ code: 'INVALID_ALLOWANCE' });
    },
  );

  it('refuses a multiplier whose minutes fall outside 1–10080', () => {
    expect(rejected('time_multiplier', '1.0001', 60).message).toMatch(/gives 0 minutes/);
    expect(rejected('time_multiplier', '10', 1200).message).toMatch(/gives 10800 minutes/);
    expect(parseAllowance('time_multiplier', '10', 1120)).toMatchObject({ ok: true, value: { minutes: ALLOWANCE_MINUTES.max } });
  });

  it('takes a review_policy_exception of up to 1,000 characters, counted as code points', () => {
    expect(parseAllowance('review_policy_exception', 'x'.repeat(1000), 60)).toMatchObject({ ok: true, value: { minutes: null } });
    expect(parseAllowance('review_policy_exception', '😀'.repeat(1000), 60).ok).toBe(true);
    expect(rejected('review_policy_exception', 'x'.repeat(1001)).message).toMatch(/at most 1000/);
    expect(parseAllowance('review_policy_exception', '', 60).ok).toBe(true);
  });

  it('refuses an unknown key without echoing the value', () => {
    const e = rejected('extra_time', 'secret-value');
    expect(e.message).not.toContain('secret-value');
  });

  it('agrees with exact decimal arithmetic for every multiplier of four decimals on common exam lengths', () => {
    for (const t of [1, 5, 30, 45, 60, 90, 120, 180])
      for (let scaled = 10_001; scaled <= 100_000; scaled += 7) {
        // exact: T × (scaled − 10000) / 10000, rounded half up, done on BigInt
        const num = BigInt(t) * BigInt(scaled - 10_000);
        const exact = Number((num * 2n + 10_000n) / 20_000n);
        expect(multipliedMinutes(t, scaled)).toBe(exact);
      }
  });
});

describe('time rows', () => {
  it('a grant of minutes or a multiplier upserts additional_time_granted, marked by where it came from', () => {
    const minutes = parseAllowance('additional_time_granted', '30', 60);
    const multiplier = parseAllowance('time_multiplier', '1.5', 60);
    const policy = parseAllowance('review_policy_exception', 'extra breaks', 60);
    if (!minutes.ok || !multiplier.ok || !policy.ok) throw new Error('parse failed');
    expect(timeRowOnGrant(minutes.value)).toEqual({ kind: 'upsert', minutes: 30, fromMultiplier: false });
    expect(timeRowOnGrant(multiplier.value)).toEqual({ kind: 'upsert', minutes: 30, fromMultiplier: true });
    expect(timeRowOnGrant(policy.value)).toEqual({ kind: 'keep' });
  });

  it('removing the multiplier removes the minutes only if the multiplier produced them', () => {
    expect(timeRowOnRemoval('time_multiplier', { granted: { minutes: 30, fromMultiplier: true } })).toEqual({ kind: 'delete' });
    expect(timeRowOnRemoval('time_multiplier', { granted: { minutes: 30, fromMultiplier: false } })).toEqual({ kind: 'keep' });
    expect(timeRowOnRemoval('time_multiplier', {})).toEqual({ kind: 'keep' });
    expect(timeRowOnRemoval('additional_time_granted', { granted: { minutes: 30, fromMultiplier: true } })).toEqual({ kind: 'delete' });
    expect(timeRowOnRemoval('additional_time_granted', {})).toEqual({ kind: 'keep' });
    expect(timeRowOnRemoval('review_policy_exception', { granted: { minutes: 30, fromMultiplier: false } })).toEqual({ kind: 'keep' });
  });

  it('the allowed time is the exam limit plus granted minutes; the command extra applies only without an allowance', () => {
    expect(allowedTimeLimit(60, 30, 15)).toBe(90);
    expect(allowedTimeLimit(60, null, 15)).toBe(75);
    expect(allowedTimeLimit(60, null)).toBe(60);
  });
});

describe('timeLimitEffect (SPEC §8.2: granted time on an existing attempt)', () => {
  const NOW = new Date('2025-11-25T10:00:00.000Z');
  const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
  const started = (overrides: Partial<Attempt> = {}): Attempt =>
    anAttempt({ id: 'a1', examId: 'e1', userId: 'u1', status: 'started', startedAt: minutesAgo(10), version: 2, ...overrides });

  it('recomputes an incomplete attempt: the exam limit plus the granted minutes, the next version, the change time', () => {
    const effect = timeLimitEffect(started(), 60, 30, NOW);
    expect(effect).toEqual({
      kind: 'change',
      fromMins: 60,
      toMins: 90,
      expiresAt: new Date(minutesAgo(10).getTime() + 90 * 60_000),
      attempt: expect.objectContaining({ allowedTimeLimitMins: 90, version: 3, timeLimitChangedAt: NOW, status: 'started' }) as unknown,
    });
  });

  it('recomputes an attempt not started yet (no expiry)', () => {
    expect(timeLimitEffect(started({ status: 'created', startedAt: null, version: 1 }), 60, 15, NOW)).toMatchObject({ kind: 'change', toMins: 75, expiresAt: null });
  });

  it('removal: back to the exam limit', () => {
    expect(timeLimitEffect(started({ allowedTimeLimitMins: 90 }), 60, null, NOW)).toMatchObject({ kind: 'change', fromMins: 90, toMins: 60 });
  });

  it('leaves a completed attempt alone, and an attempt whose limit does not change', () => {
    expect(timeLimitEffect(started({ status: 'submitted' }), 60, 30, NOW)).toEqual({ kind: 'none' });
    expect(timeLimitEffect(started({ allowedTimeLimitMins: 90 }), 60, 30, NOW)).toEqual({ kind: 'none' });
    expect(timeLimitEffect(null, 60, 30, NOW)).toEqual({ kind: 'none' });
  });

  it('an attempt already expired (not yet swept) is timed out first, not extended', () => {
    expect(timeLimitEffect(started({ startedAt: minutesAgo(61) }), 60, 30, NOW)).toEqual({ kind: 'time-out-first' });
    // exactly at the expiry is not expired: it is extended
    expect(timeLimitEffect(started({ startedAt: minutesAgo(60) }), 60, 30, NOW)).toMatchObject({ kind: 'change', toMins: 90 });
  });

  it('a limit shortened past the expiry: expired from then on, completed at the time of the change', () => {
    const effect = timeLimitEffect(started({ startedAt: minutesAgo(70), allowedTimeLimitMins: 90 }), 60, null, NOW);
    if (effect.kind !== 'change') throw new Error('expected a change');
    expect(isExpired(effect.attempt, NOW)).toBe(true); // the next sweep times it out
    const later = new Date(NOW.getTime() + 5000);
    expect(expiredAt(effect.attempt, later)).toEqual(NOW); // max(new expiry 10 min ago, the removal), not the sweep time
    // a limit shortened but still ahead: completed at the new expiry
    const ahead = timeLimitEffect(started({ startedAt: minutesAgo(30), allowedTimeLimitMins: 90 }), 60, null, NOW);
    if (ahead.kind !== 'change') throw new Error('expected a change');
    expect(expiredAt(ahead.attempt, new Date(NOW.getTime() + 31 * 60_000))).toEqual(new Date(NOW.getTime() + 30 * 60_000));
  });
});

describe('timeAllowancesOf', () => {
  it('reads the additional_time_granted row, marked when a multiplier produced it', () => {
    expect(timeAllowancesOf(new Map())).toEqual({});
    expect(timeAllowancesOf(new Map([['additional_time_granted', { value: '45', fromMultiplier: true }]]))).toEqual({ granted: { minutes: 45, fromMultiplier: true } });
    expect(timeAllowancesOf(new Map([['review_policy_exception', { value: 'x', fromMultiplier: false }]]))).toEqual({});
  });
});
