import { registerExamHandler } from './register-exam.handler';
import { command, exam, world } from '../../../../../test/support/attempt-handlers.fixture';

const data = (overrides: Record<string, unknown> = {}) => ({
  examId: 'e1',
  courseId: 'course-1',
  contentId: 'block-e1',
  examName: 'Exam e1',
  courseName: 'Course 1',
  timeLimitMins: 60,
  isProctored: true,
  isPracticeExam: false,
  isActive: true,
  ...overrides,
});

describe('RegisterExam handler', () => {
  it('targets the course, keyed and locked by courseId', () => {
    expect(registerExamHandler.target(data())).toEqual({ kind: 'course', courseId: 'course-1', examId: 'e1' });
  });

  it('stores a new exam', () => {
    const w = world({ keys: ['course-1'] });
    expect(registerExamHandler.handle(command('RegisterExam', data()), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().exams).toEqual([{ ...exam('e1'), courseName: 'Course 1' }]);
    expect(w.types()).toEqual([]);
  });

  it('is a no-op when nothing changes, and an update when something does', () => {
    const w = world({ exams: [exam('e1')] });
    expect(registerExamHandler.handle(command('RegisterExam', data()), w.ctx())).toEqual({ kind: 'noop' });
    expect(w.batch.writes().exams).toEqual([]);
    expect(registerExamHandler.handle(command('RegisterExam', data({ timeLimitMins: 90 })), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().exams).toMatchObject([{ examId: 'e1', timeLimitMins: 90 }]);
  });

  it('rejects an unknown provider', () => {
    const w = world({ keys: ['course-1'] });
    expect(registerExamHandler.handle(command('RegisterExam', data({ provider: 'nobody' })), w.ctx())).toMatchObject({
      kind: 'rejected',
      reason: 'UNKNOWN_PROVIDER',
    });
  });

  it('rejects (courseId, contentId) that belongs to another exam', () => {
    const w = world({ exams: [exam('e0', { contentId: 'block-e1' })] });
    expect(registerExamHandler.handle(command('RegisterExam', data()), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'EXAM_CONFLICT' });
    expect(w.batch.writes().exams).toEqual([]);
  });
});
