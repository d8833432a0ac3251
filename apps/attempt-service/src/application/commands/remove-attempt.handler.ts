import { matchAttempt, removalEffects } from '../../../../../libs/domain/src';
import { archiveAttempt } from './attempt-writes';
import { reject, type CommandHandler } from './command-handler';

/** RemoveAttempt: archive and delete the attempt named; its credit requirement goes when it had one. */
export const removeAttemptHandler: CommandHandler<'RemoveAttempt'> = {
  target: (d) => ({ kind: 'attempt', ref: d, examId: d.examId }),

  handle({ data: d }, ctx) {
    const { batch } = ctx;
    if (d.examId !== undefined && !batch.exam(d.examId)) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const attempt = matchAttempt(d, batch.lookup);
    if (!attempt) return reject('ATTEMPT_NOT_FOUND', 'no attempt matches the given attempt reference');
    const exam = batch.examOf(attempt);
    archiveAttempt(ctx, attempt, exam, 'removed');
    if (removalEffects(attempt).removesCredit) batch.emit(ctx.events.creditRemoved(attempt, exam), ctx.cause);
    return { kind: 'applied' };
  },
};
