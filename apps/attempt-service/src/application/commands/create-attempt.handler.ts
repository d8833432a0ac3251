import type { CreateAttemptData } from '../../../../../libs/contracts/src';
import { createAttempt, storedIdentity, timeAllowancesOf, type CreateAttemptInput } from '../../../../../libs/domain/src';
import { archiveAttempt, storeNewAttempt } from './attempt-writes';
import { reject, type CommandHandler } from './command-handler';

/**
 * CreateAttempt: a new attempt; an existing sample attempt is archived and replaced (SPEC §2). Its
 * allowed time is the exam's plus the learner's granted minutes, else the command's own extra time
 * (SPEC §8.2). A retired learner's username and email are stored as the placeholders (SPEC §8.3).
 */
export const createAttemptHandler: CommandHandler<'CreateAttempt'> = {
  target: (d) => ({ kind: 'learner', userId: d.userId, examId: d.examId, allowances: true }),

  handle({ data: d }, ctx) {
    const { batch, now } = ctx;
    const exam = batch.exam(d.examId);
    if (!exam) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const existing = batch.attemptFor(d.examId, d.userId) ?? null;
    const granted = timeAllowancesOf(batch.allowances(d.examId, d.userId)).granted?.minutes;
    const request = { ...requestOf(d), ...(granted !== undefined ? { additionalTimeMins: granted } : {}) };
    const created = createAttempt({ ...request, exam, existing, id: ctx.newId(), attemptCode: ctx.newId().toUpperCase() });
    if (!created.ok) return reject('ATTEMPT_ALREADY_EXISTS', 'an attempt already exists for this exam and learner');
    if (created.value.replaced && existing) archiveAttempt(ctx, existing, exam, 'replaced');
    // a retired learner's user data is stored as the placeholders (SPEC §8.3)
    const { username, email } = storedIdentity(d.user, batch.isRetired(d.userId));
    storeNewAttempt(ctx, { ...created.value.attempt, username, email, createdAt: now }, exam);
    return { kind: 'applied' };
  },
};

/** What a CreateAttempt command asks of createAttempt (the exam, the existing attempt and the ids aside). */
export function requestOf(d: CreateAttemptData): Pick<CreateAttemptInput, 'userId' | 'takingAsProctored' | 'externalId' | 'additionalTimeMins'> {
  return { userId: d.userId, takingAsProctored: d.takingAsProctored, externalId: d.externalId ?? null, additionalTimeMins: d.additionalTimeMins };
}
