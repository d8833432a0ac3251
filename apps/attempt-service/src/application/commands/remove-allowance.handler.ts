import { isAllowanceKey, timeAllowancesOf, timeRowOnRemoval } from '../../../../../libs/domain/src';
import { storeTimeLimit } from './attempt-writes';
import { reject, type CommandHandler } from './command-handler';

/**
 * RemoveAllowance (SPEC §8.2): the exam must exist (it may be inactive); a missing allowance is a
 * noop. Removing a multiplier removes the minutes only if it produced them. AllowanceRemoved, then the
 * attempt's new allowed time when it changes (it may expire at the next sweep).
 */
export const removeAllowanceHandler: CommandHandler<'RemoveAllowance'> = {
  target: (d) => ({ kind: 'learner', userId: d.userId, examId: d.examId, allowances: true }),

  handle({ data: d }, ctx) {
    const { batch } = ctx;
    const exam = batch.exam(d.examId);
    if (!exam) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const key = d.key;
    if (!isAllowanceKey(key)) return reject('INVALID_ALLOWANCE', 'unknown allowance key');
    const stored = batch.allowances(d.examId, d.userId);
    const row = stored.get(key);
    if (!row) return { kind: 'noop' };
    const timeRow = timeRowOnRemoval(key, timeAllowancesOf(stored));

    batch.putAllowance(d.examId, d.userId, key, null, ctx.cause);
    if (timeRow.kind === 'delete' && key !== 'additional_time_granted') batch.putAllowance(d.examId, d.userId, 'additional_time_granted', null, ctx.cause);
    batch.emit(ctx.events.allowanceChanged('AllowanceRemoved', exam, d.userId, key, row.value), ctx.cause);
    if (timeRow.kind === 'delete') storeTimeLimit(ctx, exam, d.userId, null);
    return { kind: 'applied' };
  },
};
