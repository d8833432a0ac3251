import type { Attempt } from './attempt.model';
import { anAttempt } from '../../../test/support/domain.fixtures';
import { matchAttempt, type AttemptLookup } from './attempt-reference';

const attempt = (id: string, examId: string, userId: string, attemptCode: string) => anAttempt({ id, examId, userId, attemptCode });

const A = attempt('aaaaaaaa-0000-4000-8000-000000000001', 'exam-1', 'u1', 'CODE-A');
const B = attempt('aaaaaaaa-0000-4000-8000-000000000002', 'exam-2', 'u1', 'CODE-B');
const lookup: AttemptLookup<Attempt> = {
  byId: (id) => [A, B].find((a) => a.id === id),
  byCode: (code) => [A, B].find((a) => a.attemptCode === code),
  byExamAndUser: (examId, userId) => [A, B].find((a) => a.examId === examId && a.userId === userId),
};

describe('matchAttempt', () => {
  it('finds an attempt by id (any case), by code, or by exam and learner', () => {
    expect(matchAttempt({ attemptId: A.id.toUpperCase() }, lookup)).toBe(A);
    expect(matchAttempt({ attemptCode: 'CODE-B' }, lookup)).toBe(B);
    expect(matchAttempt({ examId: 'exam-2', userId: 'u1' }, lookup)).toBe(B);
  });

  it('several fields must name the same attempt', () => {
    expect(matchAttempt({ attemptId: A.id, attemptCode: 'CODE-A', examId: 'exam-1', userId: 'u1' }, lookup)).toBe(A);
    expect(matchAttempt({ attemptId: A.id, attemptCode: 'CODE-B' }, lookup)).toBeUndefined();
    expect(matchAttempt({ attemptId: A.id, examId: 'exam-2', userId: 'u1' }, lookup)).toBeUndefined();
  });

  it('a userId or examId beside an id or a code constrains that attempt', () => {
    expect(matchAttempt({ attemptId: A.id, userId: 'u1' }, lookup)).toBe(A);
    expect(matchAttempt({ attemptId: A.id, userId: 'u2' }, lookup)).toBeUndefined();
    expect(matchAttempt({ attemptCode: 'CODE-A', examId: 'exam-1' }, lookup)).toBe(A);
    expect(matchAttempt({ attemptCode: 'CODE-A', examId: 'exam-2' }, lookup)).toBeUndefined();
  });

  it('names nothing when no field finds an attempt, or only a userId or examId is given', () => {
    expect(matchAttempt({ attemptId: 'aaaaaaaa-0000-4000-8000-00000000000f' }, lookup)).toBeUndefined();
    expect(matchAttempt({ userId: 'u1' }, lookup)).toBeUndefined();
    expect(matchAttempt({ examId: 'exam-1' }, lookup)).toBeUndefined();
    expect(matchAttempt({}, lookup)).toBeUndefined();
  });
});
