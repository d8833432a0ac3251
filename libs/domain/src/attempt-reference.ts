import type { Attempt } from './attempt.model';

/**
 * How a command names an attempt (SPEC §3): by attemptId, by attemptCode, or by (examId, userId).
 * Any of them may be given together; then they must all name the same attempt.
 */
export interface AttemptReference {
  attemptId?: string;
  attemptCode?: string;
  examId?: string;
  userId?: string;
}

/** Where the live attempts are looked up (a batch in memory, a test's map, …). */
export interface AttemptLookup<A extends Attempt> {
  byId(attemptId: string): A | undefined;
  byCode(attemptCode: string): A | undefined;
  byExamAndUser(examId: string, userId: string): A | undefined;
}

/**
 * The attempt a reference names, or undefined (`ATTEMPT_NOT_FOUND`) when it names none or when its
 * fields name different attempts. Attempt ids are UUIDs, matched case-insensitively; a userId or an
 * examId given beside an id or a code only constrains the attempt that names.
 */
export function matchAttempt<A extends Attempt>(ref: AttemptReference, lookup: AttemptLookup<A>): A | undefined {
  const candidates: (A | undefined)[] = [];
  if (ref.attemptId !== undefined) candidates.push(lookup.byId(ref.attemptId.toLowerCase()));
  if (ref.attemptCode !== undefined) candidates.push(lookup.byCode(ref.attemptCode));
  if (ref.examId !== undefined && ref.userId !== undefined) candidates.push(lookup.byExamAndUser(ref.examId, ref.userId));
  const attempt = candidates[0];
  if (attempt === undefined || candidates.some((a) => a?.id !== attempt.id)) return undefined;
  if (ref.userId !== undefined && attempt.userId !== ref.userId) return undefined;
  if (ref.examId !== undefined && attempt.examId !== ref.examId) return undefined;
  return attempt;
}
