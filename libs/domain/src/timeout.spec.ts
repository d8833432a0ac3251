import { anExam } from '../../../test/support/domain.fixtures';
import type { Attempt } from './attempt.model';
import { planTimeout } from './change-plan';
import type { ProvidersConfig } from './policy';
import { INCOMPLETE_STATUSES, COMPLETED_STATUSES, type Status } from './statuses';
import { expiredAt, expiresAt, isExpired } from './timeout';
import type { StatusChange } from './transition';

const STARTED_AT = new Date('2024-03-01T10:00:00.000Z');
const EXPIRY = new Date('2024-03-01T10:21:00.000Z'); // 21 minutes later

function attempt(overrides: Partial<Attempt> = {}): Attempt {
  return {
    id: 'a-1',
    attemptCode: 'CODE',
    examId: 'exam-1',
    userId: 'u-1',
    status: 'started',
    startedAt: STARTED_AT,
    completedAt: null,
    takingAsProctored: true,
    isSampleAttempt: false,
    externalId: null,
    allowedTimeLimitMins: 21,
    version: 2,
    ...overrides,
  };
}

const EXAM = anExam('exam-1', { timeLimitMins: 21 });

/** planTimeout's change of the attempt itself, under ALLOW_TIMED_OUT_STATE as given (undefined: absent). */
function timeOut(a: Attempt, allowTimedOutState: boolean | undefined, now: Date): StatusChange | null {
  const providers: ProvidersConfig = {
    defaults: allowTimedOutState === undefined ? {} : { ALLOW_TIMED_OUT_STATE: allowTimedOutState },
    providers: {},
  };
  const plan = planTimeout(a, EXAM, {
    providers,
    now,
    courseExams: () => [EXAM],
    learnerAttempts: () => [a],
    newAttemptIds: () => ({ id: 'unused', attemptCode: 'UNUSED' }),
  });
  return plan?.trigger.change ?? null;
}

const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);

describe('expiresAt', () => {
  it('is startedAt plus the allowed minutes', () => {
    expect(expiresAt(attempt())).toEqual(EXPIRY);
    expect(expiresAt(attempt({ allowedTimeLimitMins: 31 }))).toEqual(new Date('2024-03-01T10:31:00.000Z'));
  });
  it('is null when the attempt has not started', () => {
    expect(expiresAt(attempt({ startedAt: null, status: 'created' }))).toBeNull();
  });
});

describe('isExpired', () => {
  it('exactly at the expiry is not expired; 1 ms after is', () => {
    expect(isExpired(attempt(), EXPIRY)).toBe(false);
    expect(isExpired(attempt(), ms(EXPIRY, -1))).toBe(false);
    expect(isExpired(attempt(), ms(EXPIRY, 1))).toBe(true);
  });

  it('any incomplete status with startedAt set can expire (test_attempt_callback_timeout)', () => {
    for (const status of INCOMPLETE_STATUSES)
      expect([status, isExpired(attempt({ status }), ms(EXPIRY, 1))]).toEqual([status, true]);
  });

  it('a completed attempt never expires', () => {
    for (const status of COMPLETED_STATUSES) {
      expect([status, isExpired(attempt({ status }), new Date('2030-01-01T00:00:00Z'))]).toEqual([
        status,
        false,
      ]);
    }
  });

  it('an attempt that never started never expires', () => {
    expect(isExpired(attempt({ startedAt: null }), new Date('2030-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('expiredAt', () => {
  it('is the expiry once it has passed, null before, at, and for completed or unstarted attempts', () => {
    expect(expiredAt(attempt(), ms(EXPIRY, 1))).toEqual(EXPIRY);
    expect(expiredAt(attempt(), EXPIRY)).toBeNull();
    expect(expiredAt(attempt({ status: 'submitted' }), ms(EXPIRY, 1))).toBeNull();
    expect(expiredAt(attempt({ startedAt: null }), ms(EXPIRY, 1))).toBeNull();
  });
});

describe('planTimeout', () => {
  const after = ms(EXPIRY, 60_000);

  it('is null when the attempt has not expired (reading never changes state)', () => {
    expect(timeOut(attempt(), false, EXPIRY)).toBeNull();
    expect(
      timeOut(attempt({ status: 'submitted' }), false, after),
    ).toBeNull();
  });

  it.each(['created', 'ready_to_start', 'started', 'ready_to_submit'] as Status[])(
    'an expired %s attempt is submitted (aliased), completed at the expiry, with the pending email',
    (status) => {
      const change = timeOut(attempt({ status }), false, after);
      expect(change).toMatchObject({
        from: status,
        requested: 'timed_out',
        to: 'submitted',
        credit: 'submitted',
        sendsEmail: true,
      });
      expect(change?.attempt.completedAt).toEqual(EXPIRY);
    },
  );

  it('with the setting absent, an expired started attempt is submitted, an expired created one stays timed_out', () => {
    expect(timeOut(attempt(), undefined, after)?.to).toBe('submitted');
    const created = timeOut(attempt({ status: 'created' }), undefined, after);
    expect(created).toMatchObject({ to: 'timed_out', credit: null, sendsEmail: false });
    expect(created?.attempt.completedAt).toBeNull();
  });

  it('with ALLOW_TIMED_OUT_STATE true the attempt is stored timed_out (test_get_studentview_timedout)', () => {
    expect(timeOut(attempt(), true, after)?.to).toBe('timed_out');
  });
});
