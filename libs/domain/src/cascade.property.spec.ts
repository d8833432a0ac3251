import fc from 'fast-check';
import type { Attempt } from './attempt.model';
import { planCascade } from './cascade';
import type { Exam } from './exam.model';
import { STATUSES } from './statuses';
import { expiresAt } from './timeout';

function numRunsFromEnv(): number {
  const n = Number.parseInt(process.env.FC_NUM_RUNS ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 10_000;
}
const numRuns = numRunsFromEnv();

const T0 = new Date('2024-03-01T12:00:00.000Z').getTime();
const HOUR = 60 * 60_000;
const COMPLETED = [
  'declined',
  'timed_out',
  'submitted',
  'second_review_required',
  'verified',
  'rejected',
  'not_reviewed',
  'error',
];

const examShape = fc.record({
  courseId: fc.constantFrom('c1', 'c2'),
  contentId: fc.constantFrom('a', 'b', 'B', 'c', 'é', 'a1', ''),
  isProctored: fc.boolean(),
  isPracticeExam: fc.boolean(),
  isActive: fc.boolean(),
});

const world = fc
  .record({
    exams: fc.array(examShape, { minLength: 1, maxLength: 8 }),
    trigger: fc.nat(),
    attempts: fc.array(
      fc.record({
        exam: fc.nat(),
        status: fc.constantFrom(...STATUSES),
        startedOffset: fc.option(fc.integer({ min: -3 * HOUR, max: HOUR }), { nil: null }),
        minutes: fc.integer({ min: 0, max: 120 }),
      }),
      { maxLength: 8 },
    ),
    nowOffset: fc.integer({ min: -HOUR, max: HOUR }),
  })
  .map(({ exams, trigger, attempts, nowOffset }) => {
    const courseExams: Exam[] = exams.map((e, i) => ({
      ...e,
      examId: `exam-${i}`,
      examName: `Exam ${i}`,
      courseName: null,
      timeLimitMins: 21,
      provider: null,
      externalId: null,
    }));
    const seen = new Set<string>();
    const learnerAttempts: Attempt[] = [];
    for (const [i, a] of attempts.entries()) {
      const examId = courseExams[a.exam % courseExams.length].examId;
      if (seen.has(examId)) continue; // one live attempt per exam and learner
      seen.add(examId);
      learnerAttempts.push({
        id: `a-${i}`,
        attemptCode: `C${i}`,
        examId,
        userId: 'u',
        status: a.status,
        startedAt: a.startedOffset === null ? null : new Date(T0 + a.startedOffset),
        completedAt: null,
        takingAsProctored: true,
        isSampleAttempt: false,
        externalId: null,
        allowedTimeLimitMins: a.minutes,
        version: 1,
      });
    }
    return {
      triggerExam: courseExams[trigger % courseExams.length],
      courseExams,
      learnerAttempts,
      now: new Date(T0 + nowOffset),
    };
  });

describe('planCascade properties', () => {
  it('never produces a step for a completed (hence non-expired) attempt', () => {
    fc.assert(
      fc.property(world, (input) => {
        return planCascade(input).every(
          (step) => step.kind === 'create-and-decline' || !COMPLETED.includes(step.attempt.status),
        );
      }),
      { numRuns },
    );
  });

  it('steps cover exactly the eligible exams without a completed attempt, once each, in contentId order, of the right kind', () => {
    fc.assert(
      fc.property(world, ({ triggerExam, courseExams, learnerAttempts, now }) => {
        const steps = planCascade({ triggerExam, courseExams, learnerAttempts, now });
        const eligible = courseExams.filter(
          (e) =>
            e.courseId === triggerExam.courseId &&
            e.contentId !== triggerExam.contentId &&
            e.isActive &&
            e.isProctored &&
            !e.isPracticeExam,
        );
        const expected = eligible
          .map((exam) => ({ exam, attempt: learnerAttempts.find((a) => a.examId === exam.examId) }))
          .filter(({ attempt }) => attempt === undefined || !COMPLETED.includes(attempt.status));
        const stepIds = steps.map((s) => s.exam.examId).sort();
        const expectedIds = expected.map((x) => x.exam.examId).sort();
        if (stepIds.join('|') !== expectedIds.join('|')) return false;

        const contentIds = steps.map((s) => s.exam.contentId);
        if (contentIds.some((c, i) => i > 0 && contentIds[i - 1] > c)) return false;

        return steps.every((step) => {
          const attempt = learnerAttempts.find((a) => a.examId === step.exam.examId);
          const expiry = attempt?.startedAt
            ? attempt.startedAt.getTime() + attempt.allowedTimeLimitMins * 60_000
            : null;
          const expired = expiry !== null && now.getTime() > expiry;
          switch (step.kind) {
            case 'create-and-decline':
              return attempt === undefined;
            case 'decline':
              return step.attempt === attempt && !expired;
            case 'time-out':
              return (
                step.attempt === attempt &&
                expired &&
                step.expiredAt.getTime() === expiresAt(attempt)?.getTime()
              );
          }
        });
      }),
      { numRuns },
    );
  });
});
