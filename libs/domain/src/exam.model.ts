/**
 * An exam as registered by course authoring (`RegisterExam`). Ids are opaque strings chosen by
 * publishers; `provider` names an entry of the providers file (null: the defaults apply).
 */
export interface Exam {
  examId: string;
  courseId: string;
  contentId: string;
  examName: string;
  courseName: string | null;
  timeLimitMins: number;
  isProctored: boolean;
  isPracticeExam: boolean;
  isActive: boolean;
  provider: string | null;
  externalId: string | null;
}

/** Proctored and not a practice exam: the kind a cascade declines (timed = not proctored). */
export function isProctoredNonPractice(exam: Exam): boolean {
  return exam.isProctored && !exam.isPracticeExam;
}
