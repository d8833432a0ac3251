import { anAttempt, anExam } from '../../../test/support/domain.fixtures';
import type { Attempt } from './attempt.model';
import { planStatusChange, planTimeout, type PlanContext } from './change-plan';
import type { Exam } from './exam.model';
import type { ProvidersConfig } from './policy';

const NOW = new Date('2025-11-25T10:00:00.000Z');
const PROVIDERS: ProvidersConfig = {
  defaults: { CASCADE_STATUSES: ['rejected', 'declined'] },
  providers: { software_secure: { ALLOW_TIMED_OUT_STATE: false } },
};

const E1 = anExam('e1');
const E2 = anExam('e2');
const E3 = anExam('e3');
const PRACTICE = anExam('practice', { isPracticeExam: true });
const OTHER_COURSE = anExam('x1', { courseId: 'course-2' });
const EXAMS = [E1, E2, E3, PRACTICE, OTHER_COURSE];

function context(attempts: Attempt[], asked: string[] = []): PlanContext {
  let n = 0;
  return {
    providers: PROVIDERS,
    now: NOW,
    courseExams: (courseId) => {
      asked.push(`exams ${courseId}`);
      return EXAMS.filter((e) => e.courseId === courseId);
    },
    learnerAttempts: (userId) => {
      asked.push(`attempts ${userId}`);
      return attempts.filter((a) => a.userId === userId);
    },
    newAttemptIds: () => {
      n++;
      return { id: `new-${n}`, attemptCode: `NEW-${n}` };
    },
  };
}

const started = (exam: Exam, overrides: Partial<Attempt> = {}) =>
  anAttempt({ id: `a-${exam.examId}`, examId: exam.examId, userId: 'u1', status: 'started', startedAt: new Date(NOW.getTime() - 10 * 60_000), version: 2, ...overrides });

describe('planStatusChange', () => {
  it('returns the refusal of the requested change, or a no-op, without asking for anything', () => {
    const asked: string[] = [];
    const a = started(E1);
    expect(planStatusChange(a, E1, 'bogus', context([a], asked))).toMatchObject({ ok: false, error: { code: 'INVALID_STATUS' } });
    expect(planStatusChange(a, E1, 'started', context([a], asked))).toEqual({ ok: true, value: { kind: 'noop' } });
    expect(asked).toEqual([]);
  });

  it('a change that does not cascade is one step, and reads no sibling', () => {
    const asked: string[] = [];
    const a = started(E1);
    const plan = planStatusChange(a, E1, 'submitted', context([a], asked));
    if (!plan.ok || plan.value.kind !== 'changed') throw new Error('expected a change');
    expect(plan.value.steps).toEqual([plan.value.trigger]);
    expect(plan.value.trigger).toMatchObject({ exam: E1, before: a, cascadeFromAttemptId: null, change: { to: 'submitted', credit: 'submitted', sendsEmail: true } });
    expect(asked).toEqual([]);
  });

  it('a decline plans its cascade in contentId order: the other attempt declined, a missing one created then declined', () => {
    const a = started(E1);
    const b = started(E2, { status: 'created', startedAt: null, version: 1 });
    const plan = planStatusChange(a, E1, 'declined', context([a, b]));
    if (!plan.ok || plan.value.kind !== 'changed') throw new Error('expected a change');
    const steps = plan.value.steps.map((s) => (s.kind === 'create' ? `create ${s.exam.examId} from ${s.cascadeFromAttemptId}` : `${s.exam.examId} ${s.change.from}>${s.change.to} ${s.cascadeFromAttemptId ?? '-'}`));
    expect(steps).toEqual(['e1 started>declined -', 'e2 created>declined a-e1', 'create e3 from a-e1', 'e3 created>declined a-e1']);
    const created = plan.value.steps[2];
    expect(created).toMatchObject({ kind: 'create', attempt: { id: 'new-1', attemptCode: 'NEW-1', userId: 'u1', takingAsProctored: false } });
    expect(plan.value.trigger.change.attempt).toMatchObject({ takingAsProctored: false, externalId: null });
  });

  it('an expired attempt at a cascade target is timed out (aliased to submitted, completed at its expiry), not declined; a completed one is left alone', () => {
    const a = started(E1);
    const startedAt = new Date(NOW.getTime() - 120 * 60_000);
    const expired = started(E2, { startedAt });
    const e3 = started(E3, { status: 'verified' });
    const plan = planStatusChange(a, E1, 'rejected', context([a, expired, e3]));
    if (!plan.ok || plan.value.kind !== 'changed') throw new Error('expected a change');
    expect(plan.value.steps.map((s) => (s.kind === 'change' ? `${s.exam.examId} ${s.change.to}` : 'create'))).toEqual(['e1 rejected', 'e2 submitted']);
    const timedOut = plan.value.steps[1];
    expect(timedOut).toMatchObject({ kind: 'change', cascadeFromAttemptId: null, change: { requested: 'timed_out', attempt: { completedAt: new Date(startedAt.getTime() + 60 * 60_000) } } });
  });
});

describe('planTimeout', () => {
  it('plans the timeout of an expired attempt only', () => {
    const expired = started(E1, { startedAt: new Date(NOW.getTime() - 61 * 60_000) });
    expect(planTimeout(expired, E1, context([expired]))?.trigger.change).toMatchObject({ from: 'started', to: 'submitted' });
    const fresh = started(E1);
    expect(planTimeout(fresh, E1, context([fresh]))).toBeNull();
  });
});
