import type { Command, CommandType } from '../../../../../libs/contracts/src';
import type { CommandHandler, CommandOutcome, CommandTarget, HandlerContext } from './command-handler';
import { createAttemptHandler } from './create-attempt.handler';
import { grantAllowanceHandler } from './grant-allowance.handler';
import { removeAllowanceHandler } from './remove-allowance.handler';
import { recordReviewHandler } from './record-review.handler';
import { registerExamHandler } from './register-exam.handler';
import { removeAttemptHandler } from './remove-attempt.handler';
import { retireLearnerHandler } from './retire-learner.handler';
import { updateAttemptStatusHandler } from './update-attempt-status.handler';

/**
 * One handler per command type. The mapped type makes the map exhaustive: a command type added to
 * libs/contracts does not compile until its handler is listed here.
 */
export const COMMAND_HANDLERS: { readonly [T in CommandType]: CommandHandler<T> } = {
  RegisterExam: registerExamHandler,
  CreateAttempt: createAttemptHandler,
  UpdateAttemptStatus: updateAttemptStatusHandler,
  RemoveAttempt: removeAttemptHandler,
  RetireLearner: retireLearnerHandler,
  GrantAllowance: grantAllowanceHandler,
  RemoveAllowance: removeAllowanceHandler,
  RecordReview: recordReviewHandler,
};

function handlerOf<T extends CommandType>(type: T): CommandHandler<T> {
  return COMMAND_HANDLERS[type];
}

/** Whose rows the command touches (see CommandTarget). */
export function targetOf(command: Command): CommandTarget {
  return handlerOf(command.type).target(command.data);
}

/** Applies one command through its handler. */
export function handleCommand(command: Command, ctx: HandlerContext): CommandOutcome {
  return handlerOf(command.type).handle(command, ctx);
}
