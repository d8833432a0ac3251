import type { Attempt } from './attempt.model';
import type { Policy } from './policy';
import { STATUSES, statusAlias, type CreditStatus, type Status } from './statuses';
import { changeStatus, type StatusDecision, type TransitionContext } from './transition';

/*
 * SPEC §2, restated literally and independently of the code under test. The expectations of the table
 * test below are computed from these lists only.
 */
const SPEC_STATUSES = [
  'eligible',
  'created',
  'download_software_clicked',
  'ready_to_start',
  'started',
  'ready_to_submit',
  'declined',
  'timed_out',
  'submitted',
  'second_review_required',
  'verified',
  'rejected',
  'not_reviewed',
  'error',
];
const SPEC_INCOMPLETE = [
  'eligible',
  'created',
  'download_software_clicked',
  'ready_to_start',
  'started',
  'ready_to_submit',
];
const SPEC_COMPLETED = [
  'declined',
  'timed_out',
  'submitted',
  'second_review_required',
  'verified',
  'rejected',
  'not_reviewed',
  'error',
];
const SPEC_CREDIT: Record<string, string> = {
  verified: 'satisfied',
  submitted: 'submitted',
  rejected: 'failed',
  declined: 'failed',
  not_reviewed: 'failed',
  error: 'failed',
};
const SPEC_DEFAULT_CASCADE = ['rejected', 'declined'];
const SPEC_EMAIL = ['rejected', 'submitted', 'verified'];
const SPEC_ALIAS: Record<string, string> = {
  submitted: 'pending',
  verified: 'satisfactory',
  rejected: 'unsatisfactory',
};
const INVALID_REQUESTS = ['bad', 'Verified', '', 'expired'];

const T_START = new Date('2024-03-01T10:00:00.000Z');
const T_DONE = new Date('2024-03-01T10:20:00.000Z');
const NOW = new Date('2024-03-01T11:00:00.000Z');
const EXPIRED_AT = new Date('2024-03-01T10:21:00.000Z');

type Expected =
  | { outcome: 'INVALID_STATUS' }
  | { outcome: 'ILLEGAL_TRANSITION'; to: string }
  | { outcome: 'noop'; to: string }
  | {
      outcome: 'changed';
      to: string;
      credit: string | null;
      cascades: boolean;
      sendsEmail: boolean;
      startedAt: Date | null;
      completedAt: Date | null;
      takingAsProctored: boolean;
      externalId: string | null;
    };

interface Variant {
  startedAt: Date | null;
  completedAt: Date | null;
  takingAsProctored: boolean;
  isSampleAttempt: boolean;
  externalId: string | null;
}

/** SPEC §2 rules 1-5, step by step. */
function specExpectation(
  from: string,
  requested: string,
  allowTimedOut: boolean | undefined,
  variant: Variant,
  cascadeFlag: boolean | undefined,
  expiredAt: Date | undefined,
): Expected {
  // 1
  if (!SPEC_STATUSES.includes(requested)) return { outcome: 'INVALID_STATUS' };
  // 2
  let to = requested;
  if (to === 'timed_out') {
    const allowed = allowTimedOut === undefined ? from === 'created' : allowTimedOut;
    if (!allowed) to = 'submitted';
  }
  // 3
  if (SPEC_COMPLETED.includes(from) && (SPEC_INCOMPLETE.includes(to) || to === 'error')) {
    return { outcome: 'ILLEGAL_TRANSITION', to };
  }
  // 4
  if (to === from) return { outcome: 'noop', to };
  // 5
  const cascades = cascadeFlag !== false && SPEC_DEFAULT_CASCADE.includes(to);
  const clears = cascades && to === 'declined';
  const takingAsProctored = clears ? false : variant.takingAsProctored;
  return {
    outcome: 'changed',
    to,
    credit: SPEC_CREDIT[to] ?? null,
    cascades,
    sendsEmail: takingAsProctored && !variant.isSampleAttempt && SPEC_EMAIL.includes(to),
    startedAt: to === 'started' && variant.startedAt === null ? NOW : variant.startedAt,
    completedAt: to === 'submitted' ? (expiredAt ?? NOW) : variant.completedAt,
    takingAsProctored,
    externalId: clears ? null : variant.externalId,
  };
}

const VARIANTS: Variant[] = [
  {
    startedAt: null,
    completedAt: null,
    takingAsProctored: true,
    isSampleAttempt: false,
    externalId: 'ext-1',
  },
  {
    startedAt: T_START,
    completedAt: T_DONE,
    takingAsProctored: true,
    isSampleAttempt: false,
    externalId: 'ext-2',
  },
  {
    startedAt: T_START,
    completedAt: null,
    takingAsProctored: false,
    isSampleAttempt: false,
    externalId: null,
  },
  {
    startedAt: T_START,
    completedAt: null,
    takingAsProctored: true,
    isSampleAttempt: true,
    externalId: 'ext-3',
  },
];

function attemptOf(status: Status, v: Variant): Attempt {
  return {
    id: 'a-1',
    attemptCode: 'CODE-1',
    examId: 'exam-1',
    userId: 'user-1',
    status,
    startedAt: v.startedAt,
    completedAt: v.completedAt,
    takingAsProctored: v.takingAsProctored,
    isSampleAttempt: v.isSampleAttempt,
    externalId: v.externalId,
    allowedTimeLimitMins: 21,
    version: 7,
  };
}

function policyOf(
  allowTimedOutState: boolean | undefined,
  cascadeStatuses: readonly Status[] = ['rejected', 'declined'],
): Policy {
  return {
    allowTimedOutState,
    cascadeStatuses,
    email: {
      siteName: 'lms.example.com',
      platformName: 'Open edX',
      contactEmail: 'support@example.com',
      fromEmail: 'no-reply@example.com',
      https: true,
      courseInfoPath: '/courses/{courseId}/info',
    },
  };
}

function snapshot(a: Attempt): unknown {
  return {
    ...a,
    startedAt: a.startedAt?.toISOString() ?? null,
    completedAt: a.completedAt?.toISOString() ?? null,
  };
}

function checkAgainstSpec(from: Status, requested: string, allow: boolean | undefined): void {
  const got: unknown[] = [];
  const want: unknown[] = [];
  for (const variant of VARIANTS) {
    for (const cascade of [undefined, true, false]) {
      for (const expiredAt of [undefined, EXPIRED_AT]) {
        const attempt = attemptOf(from, variant);
        const before = snapshot(attempt);
        const ctx: TransitionContext = { policy: policyOf(allow), now: NOW };
        if (cascade !== undefined) ctx.cascade = cascade;
        if (expiredAt !== undefined) ctx.expiredAt = expiredAt;
        const label = { variant: VARIANTS.indexOf(variant), cascade, expiredAt: expiredAt !== undefined };
        const expected = specExpectation(from, requested, allow, variant, cascade, expiredAt);
        got.push({ label, result: changeStatus(attempt, requested, ctx), input: snapshot(attempt) });
        want.push({ label, result: expectedResult(attempt, from, requested, expected), input: before });
      }
    }
  }
  expect(got).toEqual(want);
}

function expectedResult(attempt: Attempt, from: Status, requested: string, expected: Expected): unknown {
  switch (expected.outcome) {
    case 'INVALID_STATUS':
      return { ok: false, error: { code: 'INVALID_STATUS', requested } };
    case 'ILLEGAL_TRANSITION':
      return { ok: false, error: { code: 'ILLEGAL_TRANSITION', from, to: expected.to, requested } };
    case 'noop':
      return { ok: true, value: { kind: 'noop', from, to: expected.to, requested } };
    case 'changed': {
      const value: StatusDecision = {
        kind: 'changed',
        from,
        to: expected.to as Status,
        requested: requested as Status,
        attempt: {
          ...attempt,
          status: expected.to as Status,
          version: 8,
          startedAt: expected.startedAt,
          completedAt: expected.completedAt,
          takingAsProctored: expected.takingAsProctored,
          externalId: expected.externalId,
        },
        credit: expected.credit as CreditStatus | null,
        cascades: expected.cascades,
        sendsEmail: expected.sendsEmail,
      };
      return { ok: true, value };
    }
  }
}

describe('changeStatus: every (from, to) pair against a literal statement of SPEC §2', () => {
  it('the test table covers the 14 statuses in SPEC order', () => {
    expect([...STATUSES]).toEqual(SPEC_STATUSES);
  });

  const requests = [...SPEC_STATUSES, ...INVALID_REQUESTS];
  for (const allow of [true, false, undefined]) {
    describe(`ALLOW_TIMED_OUT_STATE ${String(allow)}`, () => {
      const rows = STATUSES.flatMap((from) => requests.map((to) => [from, to] as const));
      it.each(rows)('%s -> %p', (from, to) => checkAgainstSpec(from, to, allow));
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Named cases from the original suite (edx-proctoring-tests.md) and the fork's rules (behaviour.md §3.1)

const ALLOW = policyOf(true);
const ABSENT = policyOf(undefined);
const DENY = policyOf(false);

function started(overrides: Partial<Attempt> = {}): Attempt {
  return { ...attemptOf('started', VARIANTS[1]), completedAt: null, ...overrides };
}

function apply(
  a: Attempt,
  to: string,
  policy: Policy = ALLOW,
  extra: Partial<TransitionContext> = {},
): Attempt {
  const r = changeStatus(a, to, { policy, now: NOW, ...extra });
  if (!r.ok) throw new Error(`expected ${a.status} -> ${to} to be accepted, got ${r.error.code}`);
  return r.value.kind === 'changed' ? r.value.attempt : a;
}

function changed(a: Attempt, to: string, policy: Policy = ALLOW, extra: Partial<TransitionContext> = {}) {
  const r = changeStatus(a, to, { policy, now: NOW, ...extra });
  if (!r.ok || r.value.kind !== 'changed')
    throw new Error(`expected ${a.status} -> ${to} to change: ${JSON.stringify(r)}`);
  return r.value;
}

describe('A. legality (test_illegal_status_transition, with ALLOW_TIMED_OUT_STATE true)', () => {
  it.each([
    ['declined', 'eligible'],
    ['timed_out', 'created'],
    ['submitted', 'ready_to_start'],
    ['verified', 'started'],
    ['rejected', 'started'],
    ['not_reviewed', 'started'],
    ['error', 'started'],
    ['submitted', 'error'],
    ['timed_out', 'download_software_clicked'],
  ])('started -> %s succeeds, then %s -> %s is ILLEGAL_TRANSITION and changes nothing', (from, to) => {
    const at = apply(started(), from);
    expect(at.status).toBe(from);
    const r = changeStatus(at, to, { policy: ALLOW, now: NOW });
    expect(r).toEqual({ ok: false, error: { code: 'ILLEGAL_TRANSITION', from, to, requested: to } });
  });

  it.each(['declined', 'timed_out', 'submitted', 'verified', 'rejected', 'not_reviewed', 'error'])(
    'started -> %s is accepted',
    (to) => {
      expect(changed(started(), to).attempt.status).toBe(to);
    },
  );

  it('error -> error is rejected (the completed -> error ban comes before the same-status no-op)', () => {
    const r = changeStatus(apply(started(), 'error'), 'error', { policy: ALLOW, now: NOW });
    expect(r).toEqual({
      ok: false,
      error: { code: 'ILLEGAL_TRANSITION', from: 'error', to: 'error', requested: 'error' },
    });
  });

  it('test_alias_timed_out: with the setting absent, started -> timed_out is stored as submitted', () => {
    const d = changed(started(), 'timed_out', ABSENT);
    expect(d).toMatchObject({
      from: 'started',
      requested: 'timed_out',
      to: 'submitted',
      credit: 'submitted',
    });
    expect(d.attempt.completedAt).toEqual(NOW);
  });

  it('with ALLOW_TIMED_OUT_STATE false, even created -> timed_out is stored as submitted', () => {
    expect(changed(started({ status: 'created' }), 'timed_out', DENY).to).toBe('submitted');
  });

  it('fork rule: with the setting absent, created -> timed_out stays timed_out (no credit, no email, no completedAt)', () => {
    const d = changed(started({ status: 'created', startedAt: null }), 'timed_out', ABSENT);
    expect(d).toMatchObject({
      to: 'timed_out',
      credit: null,
      sendsEmail: false,
      cascades: false,
    });
    expect(d.attempt.completedAt).toBeNull();
  });

  it('test_attempt_status_summary: started -> X is accepted for every incomplete X (backwards too) and the completed ones', () => {
    for (const to of [
      'eligible',
      'declined',
      'submitted',
      'verified',
      'rejected',
      'error',
      'created',
      'ready_to_start',
      'ready_to_submit',
    ]) {
      expect(changed(started(), to).attempt.status).toBe(to);
    }
  });

  it('started -> started is a no-op (fork), not a second start', () => {
    expect(changeStatus(started(), 'started', { policy: ALLOW, now: NOW })).toEqual({
      ok: true,
      value: { kind: 'noop', from: 'started', to: 'started', requested: 'started' },
    });
  });

  it('submitted -> timed_out, aliased to submitted, is a no-op (the comparison uses the aliased status)', () => {
    const r = changeStatus(apply(started(), 'submitted'), 'timed_out', { policy: DENY, now: NOW });
    expect(r).toEqual({
      ok: true,
      value: { kind: 'noop', from: 'submitted', to: 'submitted', requested: 'timed_out' },
    });
  });

  it('test_run_comand: started -> rejected, then rejected -> verified (completed -> completed is legal)', () => {
    const rejected = apply(started(), 'rejected');
    expect(changed(rejected, 'verified')).toMatchObject({
      from: 'rejected',
      to: 'verified',
      credit: 'satisfied',
    });
  });

  it("test_bad_status: 'bad' is INVALID_STATUS; so are wrong case and statuses from other versions", () => {
    for (const bad of ['bad', 'Verified', 'VERIFIED', ' verified', 'expired', 'onboarding_reset', '']) {
      expect(changeStatus(started(), bad, { policy: ALLOW, now: NOW })).toEqual({
        ok: false,
        error: { code: 'INVALID_STATUS', requested: bad },
      });
    }
  });

  it('a stored status that is not one of the 14 (a legacy row) does not block a change', () => {
    const legacy = started({ status: 'expired' as Status });
    expect(changed(legacy, 'submitted').from).toBe('expired');
  });

  it('version grows by one per stored change and not on a no-op', () => {
    const a = started({ version: 3 });
    const b = apply(a, 'ready_to_submit');
    expect(b.version).toBe(4);
    expect(apply(b, 'ready_to_submit').version).toBe(4);
    expect(apply(b, 'submitted').version).toBe(5);
  });
});

describe('B. credit requirement', () => {
  it.each([
    ['submitted', 'submitted'],
    ['error', 'failed'],
    ['verified', 'satisfied'],
    ['rejected', 'failed'],
    ['not_reviewed', 'failed'],
    ['declined', 'failed'],
    ['second_review_required', null],
    ['timed_out', null],
    ['ready_to_submit', null],
  ])('started -> %s writes credit %p', (to, credit) => {
    expect(changed(started(), to).credit).toBe(credit);
  });

  it('test_review_callback: created -> verified (Clean) is satisfied, created -> rejected (Suspicious) is failed', () => {
    const created = started({ status: 'created', startedAt: null });
    expect(changed(created, 'verified').credit).toBe('satisfied');
    expect(changed(created, 'rejected').credit).toBe('failed');
  });

  it('credit is written whatever the attempt: not taken as proctored, or a sample attempt', () => {
    expect(changed(started({ takingAsProctored: false }), 'verified').credit).toBe('satisfied');
    expect(changed(started({ isSampleAttempt: true }), 'error').credit).toBe('failed');
  });
});

describe('timestamps', () => {
  it('started sets startedAt only when it is not set', () => {
    expect(changed(started({ status: 'created', startedAt: null }), 'started').attempt.startedAt).toEqual(
      NOW,
    );
    expect(changed(started({ status: 'ready_to_start' }), 'started').attempt.startedAt).toEqual(T_START);
  });

  it('submitted always overwrites completedAt, with expiredAt when given', () => {
    const previous = started({ status: 'ready_to_submit', completedAt: T_DONE });
    expect(changed(previous, 'submitted').attempt.completedAt).toEqual(NOW);
    expect(changed(previous, 'submitted', ALLOW, { expiredAt: EXPIRED_AT }).attempt.completedAt).toEqual(
      EXPIRED_AT,
    );
  });

  it('no other status touches the timestamps', () => {
    for (const to of ['verified', 'rejected', 'error', 'declined', 'timed_out']) {
      const a = changed(started({ completedAt: T_DONE }), to).attempt;
      expect([a.startedAt, a.completedAt]).toEqual([T_START, T_DONE]);
    }
  });

  it('the new attempt does not share Date objects with the input or the context', () => {
    const now = new Date(NOW.getTime());
    const input = started({ status: 'created', startedAt: null });
    const a = changed(input, 'started', ALLOW, { now }).attempt;
    now.setTime(0);
    expect(a.startedAt).toEqual(NOW);
  });
});

describe('cascade flag and the clearing of a declined attempt', () => {
  it('declined with the cascade on clears takingAsProctored and externalId and cascades', () => {
    const d = changed(started({ externalId: 'ss-123' }), 'declined');
    expect(d).toMatchObject({ cascades: true, credit: 'failed', sendsEmail: false });
    expect(d.attempt).toMatchObject({ takingAsProctored: false, externalId: null });
  });

  it('declined with cascade: false (a cascade-driven decline) keeps both fields and does not cascade', () => {
    const d = changed(started({ externalId: 'ss-123' }), 'declined', ALLOW, { cascade: false });
    expect(d).toMatchObject({ cascades: false, credit: 'failed' });
    expect(d.attempt).toMatchObject({ takingAsProctored: true, externalId: 'ss-123' });
  });

  it('declined when the provider does not cascade declined keeps both fields (clearing is inside the cascade block)', () => {
    const d = changed(started({ externalId: 'ss-123' }), 'declined', policyOf(true, ['rejected']));
    expect(d.cascades).toBe(false);
    expect(d.attempt).toMatchObject({ takingAsProctored: true, externalId: 'ss-123' });
  });

  it('rejected cascades by default (seed-era set), and verified -> rejected cascades too', () => {
    expect(changed(started(), 'rejected').cascades).toBe(true);
    expect(changed(apply(started(), 'verified'), 'rejected').cascades).toBe(true);
    expect(changed(started(), 'rejected', policyOf(true, ['declined'])).cascades).toBe(false);
  });

  it('rejected cascading does not clear the fields of the rejected attempt', () => {
    expect(changed(started({ externalId: 'ss-1' }), 'rejected').attempt).toMatchObject({
      takingAsProctored: true,
      externalId: 'ss-1',
    });
  });

  it('a provider may cascade any status it lists', () => {
    expect(changed(started(), 'submitted', policyOf(true, ['submitted'])).cascades).toBe(true);
  });
});

describe('D. email decision', () => {
  it.each(['submitted', 'verified', 'rejected'])(
    'test_send_email: started -> %s sends, with its alias',
    (to) => {
      const d = changed(started(), to);
      expect(d.sendsEmail).toBe(true);
      expect(statusAlias(d.to)).toBe(SPEC_ALIAS[to]);
    },
  );

  it.each([
    'eligible',
    'created',
    'download_software_clicked',
    'ready_to_start',
    'ready_to_submit',
    'declined',
    'timed_out',
    'not_reviewed',
    'error',
    'second_review_required',
  ])('test_not_send_email / test_email_not_sent: started -> %s sends nothing', (to) => {
    expect(changed(started(), to).sendsEmail).toBe(false);
  });

  it('started -> started sends nothing (a no-op)', () => {
    expect(changeStatus(started(), 'started', { policy: ALLOW, now: NOW })).toMatchObject({
      ok: true,
      value: { kind: 'noop' },
    });
  });

  it.each(['submitted', 'verified', 'rejected'])(
    'test_not_send_email_sample_exam: a sample attempt -> %s sends nothing',
    (to) => {
      expect(changed(started({ isSampleAttempt: true }), to).sendsEmail).toBe(false);
    },
  );

  it.each(['submitted', 'verified', 'rejected'])(
    'test_not_send_email_timed_exam: not taken as proctored -> %s sends nothing',
    (to) => {
      expect(changed(started({ takingAsProctored: false }), to).sendsEmail).toBe(false);
    },
  );

  it('a timeout aliased to submitted sends the pending email', () => {
    expect(changed(started(), 'timed_out', DENY)).toMatchObject({
      to: 'submitted',
      sendsEmail: true,
    });
    expect(changed(started(), 'timed_out', ABSENT)).toMatchObject({ to: 'submitted', sendsEmail: true });
  });
});
