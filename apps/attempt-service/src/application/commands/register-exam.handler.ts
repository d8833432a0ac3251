import type { RegisterExamData } from '../../../../../libs/contracts/src';
import { hasProvider, type Exam } from '../../../../../libs/domain/src';
import { reject, type CommandHandler } from './command-handler';

/** RegisterExam: upsert by examId; every field may change (SPEC §3). */
export const registerExamHandler: CommandHandler<'RegisterExam'> = {
  target: (d) => ({ kind: 'course', courseId: d.courseId, examId: d.examId }),

  handle({ data: d }, { batch, providers }) {
    if (d.provider !== undefined && !hasProvider(providers, d.provider)) {
      return reject('UNKNOWN_PROVIDER', 'the provider is not configured');
    }
    const holder = batch.examByContent(d.courseId, d.contentId);
    if (holder && holder.examId !== d.examId) {
      return reject('EXAM_CONFLICT', 'courseId and contentId already belong to another exam');
    }
    const exam = examOf(d);
    const current = batch.exam(d.examId);
    if (current && sameExam(current, exam)) return { kind: 'noop' };
    batch.putExam(exam);
    return { kind: 'applied' };
  },
};

/** The exam a RegisterExam command describes (absent optional fields are null). */
export function examOf(d: RegisterExamData): Exam {
  return {
    examId: d.examId,
    courseId: d.courseId,
    contentId: d.contentId,
    examName: d.examName,
    courseName: d.courseName ?? null,
    timeLimitMins: d.timeLimitMins,
    isProctored: d.isProctored,
    isPracticeExam: d.isPracticeExam,
    isActive: d.isActive,
    provider: d.provider ?? null,
    externalId: d.externalId ?? null,
  };
}

function sameExam(a: Exam, b: Exam): boolean {
  return (
    a.courseId === b.courseId &&
    a.contentId === b.contentId &&
    a.examName === b.examName &&
    a.courseName === b.courseName &&
    a.timeLimitMins === b.timeLimitMins &&
    a.isProctored === b.isProctored &&
    a.isPracticeExam === b.isPracticeExam &&
    a.isActive === b.isActive &&
    a.provider === b.provider &&
    a.externalId === b.externalId
  );
}
