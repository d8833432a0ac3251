import type { Attempt } from './attempt.model';
import { createAttempt, removalEffects } from './attempt-lifecycle';
import type { Exam } from './exam.model';
import { STATUSES } from './statuses';

const EXAM: Exam = {
  examId: 'exam-1',
  courseId: 'test_course',
  contentId: 'test_content_id',
  examName: 'Test Exam',
  courseName: 'edx demo',
  timeLimitMins: 21,
  isProctored: true,
  isPracticeExam: false,
  isActive: true,
  provider: null,
  externalId: 'test_external_id',
};

const base = {
  exam: EXAM,
  userId: 'user-1',
  takingAsProctored: true,
  existing: null,
  id: 'id-1',
  attemptCode: 'ABC-123',
};

function created(input: Parameters<typeof createAttempt>[0]): Attempt {
  const r = createAttempt(input);
  if (!r.ok) throw new Error(r.error.code);
  return r.value.attempt;
}

describe('createAttempt', () => {
  it('creates a created attempt at version 1 with the exam time limit', () => {
    const r = createAttempt(base);
    expect(r).toEqual({
      ok: true,
      value: {
        attempt: {
          id: 'id-1',
          attemptCode: 'ABC-123',
          examId: 'exam-1',
          userId: 'user-1',
          status: 'created',
          startedAt: null,
          completedAt: null,
          takingAsProctored: true,
          isSampleAttempt: false,
          externalId: null,
          allowedTimeLimitMins: 21,
          version: 1,
        },
        replaced: null,
      },
    });
  });

  it('test_attempt_with_allowance: additional time 10 gives 21 + 10 = 31 minutes', () => {
    expect(created({ ...base, additionalTimeMins: 10 }).allowedTimeLimitMins).toBe(31);
  });

  it('keeps takingAsProctored as given and the externalId only when given', () => {
    expect(created({ ...base, takingAsProctored: false })).toMatchObject({
      takingAsProctored: false,
      externalId: null,
    });
    expect(created({ ...base, externalId: 'ss-1' }).externalId).toBe('ss-1');
    expect(created({ ...base, externalId: null }).externalId).toBeNull();
  });

  it('a practice exam gives a sample attempt; an inactive exam is allowed', () => {
    expect(created({ ...base, exam: { ...EXAM, isPracticeExam: true } }).isSampleAttempt).toBe(true);
    expect(created({ ...base, exam: { ...EXAM, isActive: false } }).status).toBe('created');
  });

  it('test_recreate_a_practice_exam_attempt: an existing sample attempt is replaced', () => {
    const practice = { ...EXAM, isPracticeExam: true };
    const first = created({ ...base, exam: practice });
    const old = { ...first, status: 'submitted' as const, version: 4 };
    const r = createAttempt({ ...base, exam: practice, existing: old, id: 'id-2', attemptCode: 'DEF-456' });
    expect(r.ok && r.value.replaced).toBe(old);
    expect(r.ok && r.value.attempt).toMatchObject({
      id: 'id-2',
      attemptCode: 'DEF-456',
      status: 'created',
      version: 1,
    });
  });

  it('test_recreate_an_exam_attempt: any other existing attempt is ATTEMPT_ALREADY_EXISTS', () => {
    const existing = created(base);
    expect(createAttempt({ ...base, existing, id: 'id-2' })).toEqual({
      ok: false,
      error: { code: 'ATTEMPT_ALREADY_EXISTS', examId: 'exam-1', userId: 'user-1' },
    });
  });
});

describe('removalEffects', () => {
  it.each([
    ['verified', true],
    ['submitted', true],
    ['declined', true],
    ['error', true],
    ['rejected', true],
    ['not_reviewed', true],
    ['second_review_required', false],
    ['timed_out', false],
    ['started', false],
    ['created', false],
  ] as const)('an attempt in %s removes its credit requirement: %p', (status, removesCredit) => {
    expect(removalEffects({ ...created(base), status })).toEqual({ removesCredit });
  });

  it('covers every status', () => {
    const removing = STATUSES.filter((status) => removalEffects({ ...created(base), status }).removesCredit);
    expect(removing).toEqual(['declined', 'submitted', 'verified', 'rejected', 'not_reviewed', 'error']);
  });
});
