import { removalEffects } from '../../../../../libs/domain/src';
import { archiveAttempt } from './attempt-writes';
import { attemptCommandHandler } from './command-handler';

/** RemoveAttempt: archive and delete the attempt named; its credit requirement goes when it had one. */
export const removeAttemptHandler = attemptCommandHandler<'RemoveAttempt'>(({ attempt, exam }, _command, ctx) => {
  archiveAttempt(ctx, attempt, exam, 'removed');
  if (removalEffects(attempt).removesCredit) ctx.batch.emit(ctx.events.creditRemoved(attempt, exam), ctx.cause);
  return { kind: 'applied' };
});
