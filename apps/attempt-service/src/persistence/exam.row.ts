import type { Exam } from '../../../../libs/domain/src';

/** A row of `attempts.exam` (its own timestamps left out: nothing reads them). */
export interface ExamRow {
  exam_id: string;
  course_id: string;
  content_id: string;
  exam_name: string;
  course_name: string | null;
  time_limit_mins: number;
  is_proctored: boolean;
  is_practice_exam: boolean;
  is_active: boolean;
  provider: string | null;
  external_id: string | null;
}

export const EXAM_COLUMNS = `exam_id, course_id, content_id, exam_name, course_name, time_limit_mins, is_proctored,
  is_practice_exam, is_active, provider, external_id`;

export function examFromRow(r: ExamRow): Exam {
  return {
    examId: r.exam_id,
    courseId: r.course_id,
    contentId: r.content_id,
    examName: r.exam_name,
    courseName: r.course_name,
    timeLimitMins: r.time_limit_mins,
    isProctored: r.is_proctored,
    isPracticeExam: r.is_practice_exam,
    isActive: r.is_active,
    provider: r.provider,
    externalId: r.external_id,
  };
}

/** The row's values in column order ($1 … $11), for the upsert. */
export function examValues(e: Exam): unknown[] {
  return [
    e.examId,
    e.courseId,
    e.contentId,
    e.examName,
    e.courseName,
    e.timeLimitMins,
    e.isProctored,
    e.isPracticeExam,
    e.isActive,
    e.provider,
    e.externalId,
  ];
}
