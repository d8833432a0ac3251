import fc from 'fast-check';
import type { Attempt } from './attempt.model';
import type { Policy } from './policy';
import { STATUSES, isCompleted, isIncomplete, type Status } from './statuses';
import { changeStatus, type TransitionContext } from './transition';

function numRunsFromEnv(): number {
  const n = Number.parseInt(process.env.FC_NUM_RUNS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 10_000;
}
const numRuns = numRunsFromEnv();

const EMAIL = {
  siteName: 'lms.example.com',
  platformName: 'Open edX',
  contactEmail: 'c@example.com',
  fromEmail: 'f@example.com',
  https: true,
  courseInfoPath: '/courses/{courseId}/info',
};

const status = fc.constantFrom(...STATUSES);
const validDate = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
});
const anyDate = fc.date(); // includes Invalid Date and the extremes

/** Strings one edit away from a status: wrong case, a stray character, a missing one. */
const nearMiss = fc
  .tuple(status, fc.nat(), fc.constantFrom('upper', 'capital', 'space', 'suffix', 'drop'))
  .map(([s, n, how]) => {
    const at = n % s.length;
    switch (how) {
      case 'upper':
        return s.toUpperCase();
      case 'capital':
        return s[0].toUpperCase() + s.slice(1);
      case 'space':
        return `${s} `;
      case 'suffix':
        return `${s}${String.fromCharCode(97 + (n % 26))}`;
      case 'drop':
        return s.slice(0, at) + s.slice(at + 1);
    }
  });

const request = fc.oneof(
  { arbitrary: status, weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'bad',
      'Verified',
      '',
      'expired',
      'TIMED_OUT',
      'timed_out ',
      '__proto__',
      'constructor',
    ),
    weight: 1,
  },
  { arbitrary: nearMiss, weight: 1 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 1 },
);

function attemptArb(
  statusArb: fc.Arbitrary<Status>,
  date: fc.Arbitrary<Date>,
  minutes: fc.Arbitrary<number>,
): fc.Arbitrary<Attempt> {
  return fc.record({
    id: fc.constantFrom('a-1', 'a-2'),
    attemptCode: fc.constantFrom('CODE-1', 'CODE-2'),
    examId: fc.constantFrom('exam-1', 'exam-2'),
    userId: fc.constantFrom('user-1', 'user-2'),
    status: statusArb,
    startedAt: fc.option(date, { nil: null }),
    completedAt: fc.option(date, { nil: null }),
    takingAsProctored: fc.boolean(),
    isSampleAttempt: fc.boolean(),
    externalId: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
    allowedTimeLimitMins: minutes,
    version: fc.integer({ min: 1, max: 1_000_000 }),
  });
}

const attempt = attemptArb(status, validDate, fc.integer({ min: 0, max: 100_000 }));
/** Anything a row could hold: unknown statuses, invalid dates, odd numbers. */
const hostileAttempt = attemptArb(
  fc.oneof(status, fc.string({ unit: 'binary' })).map((s) => s as Status),
  anyDate,
  fc.oneof(fc.integer(), fc.double()),
).chain((a) =>
  // a mapper that leaves a date column undefined instead of null
  fc.constantFrom(
    a,
    { ...a, startedAt: undefined as unknown as null },
    { ...a, completedAt: undefined as unknown as null },
  ),
);

const policy: fc.Arbitrary<Policy> = fc.record({
  allowTimedOutState: fc.constantFrom(true, false, undefined),
  cascadeStatuses: fc.subarray([...STATUSES]),
  email: fc.constant(EMAIL),
});

const context: fc.Arbitrary<TransitionContext> = fc.record(
  {
    policy,
    now: anyDate,
    cascade: fc.constantFrom(undefined, true, false),
    expiredAt: anyDate,
  },
  { requiredKeys: ['policy', 'now'] },
);

/** A comparable form of a Date (NaN for an Invalid Date is kept distinct from null). */
function time(d: Date | null | undefined): number | string | null {
  if (d === null || d === undefined) return null;
  const t = d.getTime();
  return Number.isNaN(t) ? 'invalid' : t;
}

describe('changeStatus properties', () => {
  it('never throws, for any request and any attempt (even a corrupt row), and always answers a Result', () => {
    fc.assert(
      fc.property(hostileAttempt, request, context, (a, r, ctx) => {
        const result = changeStatus(a, r, ctx);
        return typeof result.ok === 'boolean';
      }),
      { numRuns },
    );
  });

  it('rejects INVALID_STATUS exactly when the request is not one of the 14 statuses', () => {
    fc.assert(
      fc.property(attempt, request, context, (a, r, ctx) => {
        const result = changeStatus(a, r, ctx);
        const invalid = !result.ok && result.error.code === 'INVALID_STATUS';
        return invalid === !(STATUSES as readonly string[]).includes(r);
      }),
      { numRuns },
    );
  });

  it('never moves a completed attempt to an incomplete status (nor to error)', () => {
    fc.assert(
      fc.property(attempt, request, context, (a, r, ctx) => {
        const result = changeStatus(a, r, ctx);
        if (!isCompleted(a.status) || !result.ok || result.value.kind !== 'changed') return true;
        const to = result.value.to;
        return !isIncomplete(to) && to !== 'error' && isCompleted(result.value.attempt.status);
      }),
      { numRuns },
    );
  });

  it('changes only what the rules say, never mutates its input, and counts versions', () => {
    const KEPT = [
      'id',
      'attemptCode',
      'examId',
      'userId',
      'isSampleAttempt',
      'allowedTimeLimitMins',
    ] as const;
    fc.assert(
      fc.property(attempt, request, context, (a, r, ctx) => {
        const before = { ...a, startedAt: time(a.startedAt), completedAt: time(a.completedAt) };
        const result = changeStatus(a, r, ctx);
        const untouched = (Object.keys(before) as (keyof Attempt)[]).every((k) =>
          k === 'startedAt' || k === 'completedAt' ? time(a[k]) === before[k] : a[k] === before[k],
        );
        if (!untouched) return false;
        if (!result.ok || result.value.kind === 'noop') return true;
        const d = result.value;
        const cleared = d.cascades && d.to === 'declined';
        return (
          (d.to === d.requested || (d.requested === 'timed_out' && d.to === 'submitted')) &&
          d.attempt.status === d.to &&
          d.attempt.version === a.version + 1 &&
          d.attempt.takingAsProctored === (cleared ? false : a.takingAsProctored) &&
          d.attempt.externalId === (cleared ? null : a.externalId) &&
          time(d.attempt.startedAt) ===
            (d.to === 'started' && a.startedAt === null ? time(ctx.now) : time(a.startedAt)) &&
          time(d.attempt.completedAt) ===
            (d.to === 'submitted' ? time(ctx.expiredAt ?? ctx.now) : time(a.completedAt)) &&
          KEPT.every((k) => d.attempt[k] === a[k])
        );
      }),
      { numRuns },
    );
  });

  /*
   * Idempotence, stated with SPEC §2's caveats. After a successful change to X, re-requesting the
   * stored status X with the same policy changes nothing - except that `error` is refused the second
   * time (completed -> error is illegal), and with ALLOW_TIMED_OUT_STATE absent a stored `timed_out`
   * (reached from `created`) is aliased to `submitted` on the second request.
   */
  it('re-requesting the stored status is a no-op, except error (refused) and timed_out with the setting absent', () => {
    fc.assert(
      fc.property(attempt, request, context, fc.option(validDate, { nil: undefined }), (a, r, ctx, later) => {
        const first = changeStatus(a, r, ctx);
        if (!first.ok || first.value.kind !== 'changed') return true;
        const stored = first.value.attempt;
        const x = stored.status;
        const again = changeStatus(stored, x, { ...ctx, now: later ?? ctx.now });
        if (x === 'error') {
          return !again.ok && again.error.code === 'ILLEGAL_TRANSITION' && again.error.from === 'error';
        }
        if (x === 'timed_out' && ctx.policy.allowTimedOutState === undefined) {
          return again.ok && again.value.kind === 'changed' && again.value.to === 'submitted';
        }
        return again.ok && again.value.kind === 'noop' && again.value.from === x && again.value.to === x;
      }),
      { numRuns },
    );
  });

  it('the same request applied again never changes state, except the one timed_out caveat, and a third time never does', () => {
    fc.assert(
      fc.property(attempt, request, context, (a, r, ctx) => {
        const first = changeStatus(a, r, ctx);
        if (!first.ok) return true;
        const s1 = first.value.kind === 'changed' ? first.value.attempt : a;
        const second = changeStatus(s1, r, ctx);
        let s2 = s1;
        if (second.ok && second.value.kind === 'changed') {
          // the only repeat that changes: timed_out stored from created with the setting absent.
          const caveat =
            r === 'timed_out' &&
            s1.status === 'timed_out' &&
            ctx.policy.allowTimedOutState === undefined &&
            second.value.to === 'submitted';
          if (!caveat) return false;
          s2 = second.value.attempt;
        } else if (
          !second.ok &&
          !(second.error.code === 'ILLEGAL_TRANSITION' && second.error.to === 'error')
        ) {
          return false;
        }
        const third = changeStatus(s2, r, ctx);
        return !(third.ok && third.value.kind === 'changed');
      }),
      { numRuns },
    );
  });
});
