import type { CommandDataMap, CommandOfType, CommandType, RejectionReason } from '../../../../../libs/contracts/src';
import { matchAttempt, type AttemptReference, type Exam, type ProvidersConfig } from '../../../../../libs/domain/src';
import type { StoredAttempt } from '../../persistence/attempt.row';
import type { BatchUnit } from '../batch-unit';
import type { Channel } from '../command-authority';
import type { Cause, EventFactory } from '../event-factory';

/** What a handler needs: the batch it works on, the event builders, the settings, the cause, time and ids. */
export interface HandlerContext {
  batch: BatchUnit;
  events: EventFactory;
  providers: ProvidersConfig;
  cause: Cause;
  /** where the command arrived (absent: the commands topic, or not a command). */
  channel?: Channel;
  now: Date;
  newId: () => string;
}

export type Rejection = { kind: 'rejected'; reason: RejectionReason; message: string };

/** What a command came to; the use case turns it into the command's outcome event. */
export type CommandOutcome = { kind: 'applied' } | { kind: 'noop' } | Rejection;

export const reject = (reason: RejectionReason, message: string): Rejection => ({ kind: 'rejected', reason, message });

/**
 * Whose rows a command touches, so the batch locks them (the event_key row of its outcome's Kafka
 * key) and loads them before any command runs:
 * - `course`: a course's exams; the outcome is keyed by the course;
 * - `learner`: a learner named in the command;
 * - `attempt`: the learner of the attempt a reference names (found first, by id or code, when the
 *   reference does not name the learner).
 * `examId`, when given, is an exam whose course's exams are loaded too; with `allowances`, the
 * learner's allowances at that exam are loaded as well (`batch.allowances`).
 */
export type CommandTarget =
  | { kind: 'course'; courseId: string; examId?: string }
  | { kind: 'learner'; userId: string; examId?: string; allowances?: boolean }
  | { kind: 'attempt'; ref: AttemptReference; examId?: string };

/** One command type: what it touches, and how it is applied (pure, on the batch in memory). */
export interface CommandHandler<T extends CommandType> {
  target(data: CommandDataMap[T]): CommandTarget;
  handle(command: CommandOfType<T>, ctx: HandlerContext): CommandOutcome;
}

/**
 * The handler of a command that names an attempt: its target is that attempt's learner; an examId
 * given must be registered and the reference must name one attempt (libs/domain's matchAttempt),
 * else the command is rejected; then `apply` runs on the attempt found and its exam.
 */
export function attemptCommandHandler<T extends CommandType>(
  apply: (found: { attempt: StoredAttempt; exam: Exam }, command: CommandOfType<T>, ctx: HandlerContext) => CommandOutcome,
): CommandHandler<T> {
  return {
    target(d) {
      const ref: AttemptReference = d;
      return { kind: 'attempt', ref, examId: ref.examId };
    },
    handle(command, ctx) {
      const ref: AttemptReference = command.data;
      const { batch } = ctx;
      if (ref.examId !== undefined && !batch.exam(ref.examId)) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
      const attempt = matchAttempt(ref, batch.lookup);
      if (!attempt) return reject('ATTEMPT_NOT_FOUND', 'no attempt matches the given attempt reference');
      return apply({ attempt, exam: batch.examOf(attempt) }, command, ctx);
    },
  };
}
