import { anExam } from '../../../test/support/domain.fixtures';
import type { Attempt } from './attempt.model';
import { createAttempt } from './attempt-lifecycle';
import { cascadeTargets, planCascade } from './cascade';
import type { Exam } from './exam.model';
import { parseProvidersConfig, type ProvidersConfig } from './policy';
import { statusAlias, type Status } from './statuses';
import { planStatusChange } from './change-plan';

const NOW = new Date('2024-03-01T12:00:00.000Z');
const USER = 'user-1';

function exam(contentId: string, overrides: Partial<Exam> = {}): Exam {
  return anExam(`exam-${contentId}`, { courseId: 'test_course', contentId, examName: contentId, courseName: 'edx demo', timeLimitMins: 21, ...overrides });
}

/** The fixtures of test_cascading: the main exam plus a 2nd proctored, a practice, a timed and an inactive exam. */
const MAIN = exam('test_content_id');
const SECOND = exam('2nd exam');
const PRACTICE = exam('practice', { isPracticeExam: true });
const TIMED = exam('timed', { isProctored: false });
const INACTIVE = exam('inactive', { isActive: false });
const COURSE = [MAIN, SECOND, PRACTICE, TIMED, INACTIVE];

function config(json: unknown = {}): ProvidersConfig {
  const r = parseProvidersConfig(json);
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

/**
 * A tiny in-memory stand-in for the attempt service, built only from the domain's functions, to check
 * the cascade rows of the original suite end to end and the event order of SPEC §2 rule 6.
 */
class World {
  attempts: Attempt[] = [];
  events: string[] = [];
  private nextId = 1;

  constructor(
    readonly exams: Exam[],
    readonly providers: ProvidersConfig = config(),
  ) {}

  examOf(a: Attempt): Exam {
    return this.exams.find((e) => e.examId === a.examId)!;
  }

  attemptAt(e: Exam): Attempt | undefined {
    return this.attempts.find((a) => a.examId === e.examId && a.userId === USER);
  }

  create(e: Exam, takingAsProctored: boolean): Attempt {
    const n = this.nextId++;
    const r = createAttempt({
      exam: e,
      userId: USER,
      takingAsProctored,
      existing: this.attemptAt(e) ?? null,
      id: `a-${n}`,
      attemptCode: `CODE-${n}`,
    });
    if (!r.ok) throw new Error(r.error.code);
    this.attempts = [...this.attempts.filter((a) => a !== r.value.replaced), r.value.attempt];
    this.events.push(`created ${e.contentId}`);
    return r.value.attempt;
  }

  /** One requested change through planStatusChange, its steps stored and described in order. */
  update(a: Attempt, to: string, now = NOW): void {
    const e = this.examOf(a);
    const r = planStatusChange(a, e, to, {
      providers: this.providers,
      now,
      courseExams: (courseId) => this.exams.filter((x) => x.courseId === courseId),
      learnerAttempts: (userId) => this.attempts.filter((x) => x.userId === userId),
      newAttemptIds: () => {
        const n = this.nextId++;
        return { id: `a-${n}`, attemptCode: `CODE-${n}` };
      },
    });
    if (!r.ok) throw new Error(`${r.error.code} ${a.status} -> ${to}`);
    if (r.value.kind === 'noop') return;
    for (const step of r.value.steps) {
      if (step.kind === 'create') {
        this.attempts = [...this.attempts, step.attempt];
        this.events.push(`created ${step.exam.contentId}`);
        continue;
      }
      const d = step.change;
      this.attempts = this.attempts.map((x) => (x.id === d.attempt.id ? d.attempt : x));
      this.events.push(`changed ${step.exam.contentId} ${d.from}->${d.to}${step.cascadeFromAttemptId ? ' (cascade)' : ''}`);
      if (d.credit !== null) this.events.push(`credit ${step.exam.contentId} ${d.credit}`);
      if (d.sendsEmail) this.events.push(`email ${step.exam.contentId} ${statusAlias(d.to)}`);
    }
  }

  statusAt(e: Exam): Status | null {
    return this.attemptAt(e)?.status ?? null;
  }
}

function startedAttempt(w: World, e: Exam, startedAt = NOW): Attempt {
  const a = w.create(e, true);
  w.update(a, 'started', startedAt);
  return w.attemptAt(e)!;
}

describe('C. test_cascading (seed era: rejected and declined cascade)', () => {
  it.each([
    ['declined', null, 'declined'],
    ['rejected', null, 'declined'],
    ['rejected', 'created', 'declined'],
    ['rejected', 'verified', 'verified'],
    ['declined', 'submitted', 'submitted'],
  ] as const)(
    'main -> %s with a 2nd attempt in %p leaves the 2nd exam %s',
    (toStatus, secondStatus, expected) => {
      const w = new World([...COURSE]);
      if (secondStatus !== null) {
        const second = w.create(SECOND, false);
        if (secondStatus !== 'created') w.update(second, secondStatus);
      }
      const main = startedAttempt(w, MAIN);
      w.update(main, toStatus);

      expect(w.statusAt(MAIN)).toBe(toStatus);
      expect(w.statusAt(SECOND)).toBe(expected);
      expect([w.statusAt(PRACTICE), w.statusAt(TIMED), w.statusAt(INACTIVE)]).toEqual([null, null, null]);
    },
  );

  it('event order: the trigger, its credit, then per cascaded exam: created, declined, failed credit (no email)', () => {
    const third = exam('3rd exam');
    const w = new World([...COURSE, third]);
    w.create(third, true);
    const main = startedAttempt(w, MAIN);
    w.events = [];
    w.update(main, 'rejected');
    expect(w.events).toEqual([
      'changed test_content_id started->rejected',
      'credit test_content_id failed',
      'email test_content_id unsatisfactory',
      'created 2nd exam',
      'changed 2nd exam created->declined (cascade)',
      'credit 2nd exam failed',
      'changed 3rd exam created->declined (cascade)',
      'credit 3rd exam failed',
    ]);
  });

  it('an expired attempt on the other exam is timed out first (submitted, completed at its expiry) and left alone', () => {
    const w = new World([...COURSE]);
    const earlier = new Date(NOW.getTime() - 60 * 60_000);
    startedAttempt(w, SECOND, earlier);
    const main = startedAttempt(w, MAIN);
    w.events = [];
    w.update(main, 'declined');
    expect(w.statusAt(SECOND)).toBe('submitted');
    expect(w.attemptAt(SECOND)!.completedAt).toEqual(new Date(earlier.getTime() + 21 * 60_000));
    expect(w.events).toEqual([
      'changed test_content_id started->declined',
      'credit test_content_id failed',
      'changed 2nd exam started->submitted',
      'credit 2nd exam submitted',
      'email 2nd exam pending',
    ]);
  });

  it('the cascaded decline keeps takingAsProctored and externalId; the trigger loses them', () => {
    const w = new World([...COURSE]);
    const second = w.create(SECOND, true);
    w.attempts = w.attempts.map((a) => (a.id === second.id ? { ...a, externalId: 'ss-2' } : a));
    const main = startedAttempt(w, MAIN);
    w.attempts = w.attempts.map((a) => (a.id === main.id ? { ...a, externalId: 'ss-1' } : a));
    w.update(w.attemptAt(MAIN)!, 'declined');
    expect(w.attemptAt(MAIN)).toMatchObject({
      status: 'declined',
      takingAsProctored: false,
      externalId: null,
    });
    expect(w.attemptAt(SECOND)).toMatchObject({
      status: 'declined',
      takingAsProctored: true,
      externalId: 'ss-2',
    });
  });

  it('a newly created cascade attempt is not taken as proctored', () => {
    const w = new World([...COURSE]);
    w.update(startedAttempt(w, MAIN), 'declined');
    expect(w.attemptAt(SECOND)).toMatchObject({
      status: 'declined',
      takingAsProctored: false,
      isSampleAttempt: false,
      version: 2,
    });
  });

  it('any kind of exam can trigger: a practice or timed exam declining cascades too', () => {
    for (const trigger of [PRACTICE, TIMED]) {
      const w = new World([...COURSE]);
      w.update(startedAttempt(w, trigger), 'declined');
      expect(w.statusAt(SECOND)).toBe('declined');
      expect(w.statusAt(MAIN)).toBe('declined');
      expect(w.statusAt(INACTIVE)).toBeNull();
    }
  });

  it("the triggering exam's provider decides: CASCADE_STATUSES ['declined'] (0.12.2) makes rejected not cascade", () => {
    const w = new World(
      [{ ...MAIN, provider: 'p' }, SECOND],
      config({ providers: { p: { CASCADE_STATUSES: ['declined'] } } }),
    );
    w.update(startedAttempt(w, w.exams[0]), 'rejected');
    expect(w.statusAt(SECOND)).toBeNull();
  });

  it('verified -> rejected cascades (the effective status is what counts)', () => {
    const w = new World([...COURSE]);
    const main = startedAttempt(w, MAIN);
    w.update(main, 'verified');
    expect(w.statusAt(SECOND)).toBeNull();
    w.update(w.attemptAt(MAIN)!, 'rejected');
    expect(w.statusAt(SECOND)).toBe('declined');
  });

  it('a decline that changes nothing (declined -> declined) does not cascade again', () => {
    const w = new World([...COURSE]);
    w.update(startedAttempt(w, MAIN), 'declined');
    w.events = [];
    w.update(w.attemptAt(MAIN)!, 'declined');
    expect(w.events).toEqual([]);
  });
});

describe('planCascade', () => {
  function attemptFor(e: Exam, overrides: Partial<Attempt> = {}): Attempt {
    return {
      id: `a-${e.contentId}`,
      attemptCode: 'C',
      examId: e.examId,
      userId: USER,
      status: 'created',
      startedAt: null,
      completedAt: null,
      takingAsProctored: false,
      isSampleAttempt: false,
      externalId: null,
      allowedTimeLimitMins: 21,
      version: 1,
      ...overrides,
    };
  }

  it('touches only other active proctored non-practice exams of the same course, in contentId order', () => {
    const exams = [
      exam('c'),
      exam('a'),
      exam('B'),
      exam('b', { courseId: 'other_course' }),
      MAIN,
      PRACTICE,
      TIMED,
      INACTIVE,
    ];
    const steps = planCascade({ triggerExam: MAIN, courseExams: exams, learnerAttempts: [], now: NOW });
    expect(steps.map((s) => [s.kind, s.exam.contentId])).toEqual([
      ['create-and-decline', 'B'],
      ['create-and-decline', 'a'],
      ['create-and-decline', 'c'],
    ]);
  });

  it('compares contentId (the same content under another exam id is the trigger itself) and never lists an exam twice', () => {
    const twin = { ...MAIN, examId: 'exam-other' };
    const steps = planCascade({
      triggerExam: MAIN,
      courseExams: [MAIN, twin, SECOND, SECOND],
      learnerAttempts: [],
      now: NOW,
    });
    expect(steps.map((s) => s.exam.examId)).toEqual([SECOND.examId]);
  });

  it('skips completed attempts, declines incomplete ones, times out expired ones', () => {
    const [e1, e2, e3, e4] = [exam('e1'), exam('e2'), exam('e3'), exam('e4')];
    const startedAt = new Date(NOW.getTime() - 21 * 60_000 - 1);
    const attempts = [
      attemptFor(e1, { status: 'verified' }),
      attemptFor(e2, { status: 'ready_to_start' }),
      attemptFor(e3, { status: 'started', startedAt }),
      attemptFor(e4, { status: 'started', startedAt: new Date(NOW.getTime() - 21 * 60_000) }),
    ];
    const steps = planCascade({
      triggerExam: MAIN,
      courseExams: [MAIN, e1, e2, e3, e4],
      learnerAttempts: attempts,
      now: NOW,
    });
    expect(steps).toEqual([
      { kind: 'decline', exam: e2, attempt: attempts[1] },
      { kind: 'time-out', exam: e3, attempt: attempts[2], expiredAt: new Date(NOW.getTime() - 1) },
      { kind: 'decline', exam: e4, attempt: attempts[3] },
    ]);
  });

  it('does not reorder the caller’s list', () => {
    const exams = [exam('z'), exam('a')];
    cascadeTargets(MAIN, exams);
    expect(exams.map((e) => e.contentId)).toEqual(['z', 'a']);
  });
});
