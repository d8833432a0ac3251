import type { CommandHandler } from './command-handler';

/**
 * RetireLearner (SPEC §8.3): the learner's rows are scrubbed in this command's transaction (the
 * repository runs LEARNER_SCRUBS for each learner the batch retires) and `LearnerRetired` is emitted.
 * A learner already retired is a noop (no second event); a learner never seen is retired all the
 * same (others may hold their data), so later user data of theirs is stored as the placeholders.
 */
export const retireLearnerHandler: CommandHandler<'RetireLearner'> = {
  target: (d) => ({ kind: 'learner', userId: d.userId }),

  handle({ data: d }, { batch, events, cause }) {
    if (batch.isRetired(d.userId)) return { kind: 'noop' };
    batch.retireLearner(d.userId);
    batch.emit(events.learnerRetired(d.userId), cause);
    return { kind: 'applied' };
  },
};
