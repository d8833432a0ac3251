import { removalEffects } from '../../../../../libs/domain/src';
import { archiveAttempt } from './attempt-writes';
import { findAttempt, type CommandHandler } from './command-handler';

/** RemoveAttempt: archive and delete the attempt named; its credit requirement goes when it had one. */
export const removeAttemptHandler: CommandHandler<'RemoveAttempt'> = {
  target: (d) => ({ kind: 'attempt', ref: d, examId: d.examId }),

  handle({ data: d }, ctx) {
    const { batch } = ctx;
    const found = findAttempt(batch, d);
    if ('kind' in found) return found;
    const { attempt } = found;
    const exam = batch.examOf(attempt);
    archiveAttempt(ctx, attempt, exam, 'removed');
    if (removalEffects(attempt).removesCredit) batch.emit(ctx.events.creditRemoved(attempt, exam), ctx.cause);
    return { kind: 'applied' };
  },
};
