import { grantAllowanceHandler } from './grant-allowance.handler';
import { removeAllowanceHandler } from './remove-allowance.handler';
import { attempt, command, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';
import type { StoredAllowance } from '../../persistence/allowance.row';

const grant = (key: string, value: string, examId = 'e1', userId = 'u1') => command('GrantAllowance', { examId, userId, key, value });
const remove = (key: string, examId = 'e1', userId = 'u1') => command('RemoveAllowance', { examId, userId, key });
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const stored = (key: StoredAllowance['key'], value: string, fromMultiplier = false): StoredAllowance => ({ examId: 'e1', userId: 'u1', key, value, fromMultiplier });

describe('RemoveAllowance handler (SPEC §8.2)', () => {
  it('removing a missing allowance is a noop', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'] });
    expect(removeAllowanceHandler.handle(remove('additional_time_granted'), w.ctx())).toEqual({ kind: 'noop' });
    expect(w.types()).toEqual([]);
  });

  it('rejects an unknown key INVALID_ALLOWANCE and an unregistered exam EXAM_NOT_FOUND; an inactive exam is fine', () => {
    const w = world({ exams: [exam('e1', { isActive: false })], keys: ['u1'], allowances: [stored('additional_time_granted', '30')] });
    expect(removeAllowanceHandler.handle(remove('bogus'), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'INVALID_ALLOWANCE' });
    expect(removeAllowanceHandler.handle(remove('additional_time_granted', 'nope'), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'EXAM_NOT_FOUND' });
    expect(removeAllowanceHandler.handle(remove('additional_time_granted'), w.ctx())).toEqual({ kind: 'applied' });
  });

  it('removing a multiplier removes the minutes it produced', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'], allowances: [stored('time_multiplier', '1.5'), stored('additional_time_granted', '30', true)] });
    expect(removeAllowanceHandler.handle(remove('time_multiplier'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().allowances.map((a) => [a.key, a.row])).toEqual([
      ['time_multiplier', null],
      ['additional_time_granted', null],
    ]);
    expect(w.batch.writes().allowanceHistory).toMatchObject([
      { key: 'time_multiplier', action: 'removed', value: '1.5' },
      { key: 'additional_time_granted', action: 'removed', value: '30', fromMultiplier: true },
    ]);
    expect(w.emitted()).toMatchObject([{ type: 'AllowanceRemoved', data: { key: 'time_multiplier', value: '1.5' } }]);
  });

  it('removing a multiplier keeps minutes granted directly', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'], allowances: [stored('time_multiplier', '1.5'), stored('additional_time_granted', '30', false)] });
    expect(removeAllowanceHandler.handle(remove('time_multiplier'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().allowances.map((a) => a.key)).toEqual(['time_multiplier']);
    expect(w.batch.allowances('e1', 'u1').get('additional_time_granted')).toEqual({ value: '30', fromMultiplier: false });
  });

  it('removing a policy exception announces it without its text', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'], allowances: [stored('review_policy_exception', 'private text')] });
    expect(removeAllowanceHandler.handle(remove('review_policy_exception'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()[0].data).toEqual({ examId: 'e1', courseId: 'course-1', userId: 'u1', key: 'review_policy_exception' });
  });

  it('removing time from a running attempt shortens it: AllowanceRemoved, then AttemptTimeLimitChanged', () => {
    const a = attempt('e1', 'u1', { status: 'started', startedAt: minutesAgo(70), allowedTimeLimitMins: 90, version: 3 });
    const w = world({ exams: [exam('e1')], attempts: [a], allowances: [stored('additional_time_granted', '30')] });
    expect(removeAllowanceHandler.handle(remove('additional_time_granted'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()).toMatchObject([
      { type: 'AllowanceRemoved', data: { value: '30' } },
      { type: 'AttemptTimeLimitChanged', data: { fromMins: 90, toMins: 60, version: 4 } },
    ]);
    // the new expiry (10 minutes ago) has passed: still started now, swept next, completed at the removal
    expect(w.batch.writes().updates).toMatchObject([{ status: 'started', allowedTimeLimitMins: 60, timeLimitChangedAt: NOW }]);
  });

  it('removing time from an attempt already expired under its granted time times it out first (at that expiry)', () => {
    const a = attempt('e1', 'u1', { status: 'started', startedAt: minutesAgo(91), allowedTimeLimitMins: 90, version: 3 });
    const w = world({ exams: [exam('e1')], attempts: [a], allowances: [stored('additional_time_granted', '30')] });
    expect(removeAllowanceHandler.handle(remove('additional_time_granted'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.types()).toEqual(['AllowanceRemoved', 'AttemptStatusChanged', 'CredentialRequirementUpdated']);
    expect(w.batch.writes().updates).toMatchObject([
      { status: 'submitted', allowedTimeLimitMins: 90, completedAt: new Date(minutesAgo(91).getTime() + 90 * 60_000) },
    ]);
  });

  it('time on an attempt not started yet: recomputed, no expiry', () => {
    const a = attempt('e1', 'u1', { status: 'created', allowedTimeLimitMins: 60, version: 1 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '10'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()[1]).toMatchObject({ type: 'AttemptTimeLimitChanged', data: { fromMins: 60, toMins: 70, expiresAt: null, version: 2 } });
  });
});
