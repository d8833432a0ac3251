import type { Attempt } from './attempt.model';
import { isProctoredNonPractice, type Exam } from './exam.model';
import { isCompleted } from './statuses';
import { expiredAt } from './timeout';

/**
 * One step of a cascade, for one other exam of the course. The caller applies each through the rules:
 * - `create-and-decline`: createAttempt (not taken as proctored), then changeStatus to `declined`
 *   with `cascade: false`;
 * - `decline`: changeStatus to `declined` with `cascade: false`;
 * - `time-out`: changeStatus to `timed_out` with `expiredAt` and the exam's own policy; the attempt is
 *   completed afterwards and left alone.
 */
export type CascadeStep =
  | { kind: 'create-and-decline'; exam: Exam }
  | { kind: 'decline'; exam: Exam; attempt: Attempt }
  | { kind: 'time-out'; exam: Exam; attempt: Attempt; expiredAt: Date };

export interface CascadeInput {
  /** the exam whose attempt moved to a cascading status. */
  triggerExam: Exam;
  /** the exams of the trigger's course (others are ignored). */
  courseExams: readonly Exam[];
  /** the learner's live attempts (matched to exams by examId). */
  learnerAttempts: readonly Attempt[];
  now: Date;
}

/** Code-unit order, the same on every machine (no locale). */
function byContentId(a: Exam, b: Exam): number {
  if (a.contentId < b.contentId) return -1;
  if (a.contentId > b.contentId) return 1;
  return a.examId < b.examId ? -1 : a.examId > b.examId ? 1 : 0;
}

/** The exams a cascade from `triggerExam` touches: same course, other content, active, proctored, not practice. */
export function cascadeTargets(triggerExam: Exam, courseExams: readonly Exam[]): Exam[] {
  const seen = new Set<string>();
  return courseExams
    .filter(
      (exam) =>
        exam.courseId === triggerExam.courseId &&
        exam.contentId !== triggerExam.contentId &&
        exam.examId !== triggerExam.examId &&
        exam.isActive &&
        isProctoredNonPractice(exam),
    )
    .sort(byContentId)
    .filter((exam) => {
      if (seen.has(exam.examId)) return false;
      seen.add(exam.examId);
      return true;
    });
}

/**
 * SPEC §2 rule 5, the cascade: for every other active, proctored, non-practice exam of the trigger's
 * course, in contentId order, what happens to the learner's attempt there. Completed attempts are left
 * alone; an expired one is timed out (and then left alone); a missing one is created and declined.
 */
export function planCascade(input: CascadeInput): CascadeStep[] {
  const steps: CascadeStep[] = [];
  for (const exam of cascadeTargets(input.triggerExam, input.courseExams)) {
    const attempt = input.learnerAttempts.find((a) => a.examId === exam.examId);
    if (attempt === undefined) {
      steps.push({ kind: 'create-and-decline', exam });
      continue;
    }
    const expiry = expiredAt(attempt, input.now);
    if (expiry !== null) {
      steps.push({ kind: 'time-out', exam, attempt, expiredAt: expiry });
    } else if (!isCompleted(attempt.status)) {
      steps.push({ kind: 'decline', exam, attempt });
    }
  }
  return steps;
}
