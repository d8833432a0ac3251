import type { Attempt, Exam } from '../../libs/domain/src';

/** Unit-test builders of domain values: a proctored, active, non-practice exam; a created attempt. */

export function anExam(examId: string, overrides: Partial<Exam> = {}): Exam {
  return {
    examId,
    courseId: 'course-1',
    contentId: `block-${examId}`,
    examName: `Exam ${examId}`,
    courseName: 'Course 1',
    timeLimitMins: 60,
    isProctored: true,
    isPracticeExam: false,
    isActive: true,
    provider: null,
    externalId: null,
    ...overrides,
  };
}

export function anAttempt(overrides: Partial<Attempt> & Pick<Attempt, 'id' | 'examId' | 'userId'>): Attempt {
  return {
    attemptCode: `CODE-${overrides.id}`,
    status: 'created',
    startedAt: null,
    completedAt: null,
    takingAsProctored: true,
    isSampleAttempt: false,
    externalId: null,
    allowedTimeLimitMins: 60,
    version: 1,
    ...overrides,
  };
}
