import { parseAllowance, timeRowOnGrant } from '../../../../../libs/domain/src';
import { storeTimeLimit } from './attempt-writes';
import { reject, type CommandHandler } from './command-handler';

/**
 * GrantAllowance (SPEC §8.2): the exam must exist and be active, the value must parse for its key;
 * the allowance is upserted with its history (a multiplier also upserts the minutes it gives, marked
 * as its own); AllowanceGranted, then the attempt's new allowed time when it changes.
 */
export const grantAllowanceHandler: CommandHandler<'GrantAllowance'> = {
  target: (d) => ({ kind: 'learner', userId: d.userId, examId: d.examId, allowances: true }),

  handle({ data: d }, ctx) {
    const { batch } = ctx;
    const exam = batch.exam(d.examId);
    if (!exam) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const parsed = parseAllowance(d.key, d.value, exam.timeLimitMins);
    if (!parsed.ok) return reject('INVALID_ALLOWANCE', parsed.error.message);
    if (!exam.isActive) return reject('EXAM_NOT_ACTIVE', 'allowances can only be granted on an active exam');
    const grant = parsed.value;
    const stored = batch.allowances(d.examId, d.userId);
    const timeRow = timeRowOnGrant(grant);
    const granted = stored.get('additional_time_granted');
    const sameTime =
      timeRow.kind !== 'upsert' || (granted?.value === String(timeRow.minutes) && granted.fromMultiplier === timeRow.fromMultiplier);
    if (stored.get(grant.key)?.value === grant.value && sameTime) return { kind: 'noop' };

    if (grant.key !== 'additional_time_granted') batch.putAllowance(d.examId, d.userId, grant.key, { value: grant.value, fromMultiplier: false }, ctx.cause);
    if (timeRow.kind === 'upsert') {
      batch.putAllowance(d.examId, d.userId, 'additional_time_granted', { value: String(timeRow.minutes), fromMultiplier: timeRow.fromMultiplier }, ctx.cause);
    }
    // minutes as stored ("030" is 30); a multiplier as given
    const shown = grant.key === 'additional_time_granted' ? String(grant.minutes) : grant.value;
    batch.emit(ctx.events.allowanceChanged('AllowanceGranted', exam, d.userId, grant.key, shown), ctx.cause);
    if (timeRow.kind === 'upsert') storeTimeLimit(ctx, exam, d.userId, timeRow.minutes);
    return { kind: 'applied' };
  },
};
