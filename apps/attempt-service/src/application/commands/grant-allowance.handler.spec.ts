import { grantAllowanceHandler } from './grant-allowance.handler';
import { createAttemptHandler } from './create-attempt.handler';
import { attempt, command, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';
import type { StoredAllowance } from '../../persistence/allowance.row';

const grant = (key: string, value: string, examId = 'e1', userId = 'u1') => command('GrantAllowance', { examId, userId, key, value });
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const stored = (key: StoredAllowance['key'], value: string, fromMultiplier = false): StoredAllowance => ({ examId: 'e1', userId: 'u1', key, value, fromMultiplier });

describe('GrantAllowance handler (SPEC §8.2)', () => {
  it('targets the learner, the exam and its allowances', () => {
    expect(grantAllowanceHandler.target({ examId: 'e1', userId: 'u1', key: 'time_multiplier', value: '1.5' })).toEqual({
      kind: 'learner',
      userId: 'u1',
      examId: 'e1',
      allowances: true,
    });
  });

  it('stores additional_time_granted with its history and emits AllowanceGranted keyed by the learner', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '030'), w.ctx())).toEqual({ kind: 'applied' });
    const writes = w.batch.writes();
    expect(writes.allowances).toEqual([{ examId: 'e1', userId: 'u1', key: 'additional_time_granted', row: { value: '30', fromMultiplier: false } }]);
    expect(writes.allowanceHistory).toMatchObject([{ key: 'additional_time_granted', action: 'granted', value: '30', causeId: 'cmd-1' }]);
    expect(w.emitted()).toMatchObject([
      { type: 'AllowanceGranted', key: 'u1', topic: 'attempt-events', data: { examId: 'e1', courseId: 'course-1', userId: 'u1', key: 'additional_time_granted', value: '30' } },
    ]);
  });

  it('a multiplier stores itself and the minutes it gives, marked as its own (exact decimal, half up)', () => {
    const w = world({ exams: [exam('e1', { timeLimitMins: 5 })], keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('time_multiplier', '2.3'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().allowances).toEqual([
      { examId: 'e1', userId: 'u1', key: 'time_multiplier', row: { value: '2.3', fromMultiplier: false } },
      // 5 × 1.3 = 6.5 exactly → 7 (upstream's float round gives 6)
      { examId: 'e1', userId: 'u1', key: 'additional_time_granted', row: { value: '7', fromMultiplier: true } },
    ]);
    expect(w.emitted()).toMatchObject([{ type: 'AllowanceGranted', data: { key: 'time_multiplier', value: '2.3' } }]);
  });

  it('a review policy exception is stored but its text never goes on the events topic', () => {
    const text = 'Learner may use a screen reader';
    const w = world({ exams: [exam('e1')], attempts: [attempt('e1', 'u1', { status: 'started', startedAt: minutesAgo(5) })] });
    expect(grantAllowanceHandler.handle(grant('review_policy_exception', text), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().allowances).toMatchObject([{ key: 'review_policy_exception', row: { value: text } }]);
    expect(w.types()).toEqual(['AllowanceGranted']); // no time change
    for (const r of w.batch.emitted) expect(r.value.toString('utf8')).not.toContain('screen reader');
    expect(w.emitted()[0].data).not.toHaveProperty('value');
  });

  it.each([
    ['unknown_key', '5'],
    ['additional_time_granted', '0'],
    ['additional_time_granted', '10081'],
    ['additional_time_granted', '1.5'],
    ['time_multiplier', '1'],
    ['time_multiplier', '10.5'],
    ['time_multiplier', '1.00001'],
    ['review_policy_exception', 'x'.repeat(1001)],
  ])('rejects %s = %j INVALID_ALLOWANCE, with no value in the message', (key, value) => {
    const w = world({ exams: [exam('e1')], keys: ['u1'] });
    const outcome = grantAllowanceHandler.handle(grant(key, value), w.ctx());
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'INVALID_ALLOWANCE' });
    if (outcome.kind === 'rejected' && value.length > 1) expect(outcome.message).not.toContain(value);
    expect(w.batch.writes().allowances).toEqual([]);
  });

  it('rejects a multiplier whose minutes fall outside 1–10080 (on this exam)', () => {
    const w = world({ exams: [exam('e1', { timeLimitMins: 2000 })], keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('time_multiplier', '7'), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'INVALID_ALLOWANCE' });
    const small = world({ exams: [exam('e1', { timeLimitMins: 1 })], keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('time_multiplier', '1.1'), small.ctx())).toMatchObject({ kind: 'rejected', reason: 'INVALID_ALLOWANCE' });
  });

  it('rejects an unregistered exam EXAM_NOT_FOUND and an inactive one EXAM_NOT_ACTIVE', () => {
    const none = world({ keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), none.ctx())).toMatchObject({ kind: 'rejected', reason: 'EXAM_NOT_FOUND' });
    const inactive = world({ exams: [exam('e1', { isActive: false })], keys: ['u1'] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), inactive.ctx())).toMatchObject({ kind: 'rejected', reason: 'EXAM_NOT_ACTIVE' });
    expect(inactive.batch.writes().allowances).toEqual([]);
  });

  it('the same value again is a noop; a new value is upserted', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'], allowances: [stored('additional_time_granted', '30')] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), w.ctx())).toEqual({ kind: 'noop' });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '45'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.allowances('e1', 'u1').get('additional_time_granted')).toEqual({ value: '45', fromMultiplier: false });
  });

  it('time granted after start recomputes the attempt: AllowanceGranted, then AttemptTimeLimitChanged (new version, a transition)', () => {
    const a = attempt('e1', 'u1', { status: 'started', startedAt: minutesAgo(50), version: 2 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), w.ctx())).toEqual({ kind: 'applied' });
    const expiresAt = new Date(minutesAgo(50).getTime() + 90 * 60_000).toISOString();
    expect(w.emitted()).toMatchObject([
      { type: 'AllowanceGranted', sequence: '1' },
      { type: 'AttemptTimeLimitChanged', sequence: '2', subject: a.id, key: 'u1', data: { attemptId: a.id, fromMins: 60, toMins: 90, expiresAt, version: 3 } },
    ]);
    const writes = w.batch.writes();
    expect(writes.updates).toMatchObject([{ id: a.id, allowedTimeLimitMins: 90, version: 3, timeLimitChangedAt: NOW, status: 'started' }]);
    expect(writes.transitions).toMatchObject([{ attemptId: a.id, version: 3, fromStatus: 'started', toStatus: 'started' }]);
  });

  it('time granted to an attempt already expired times it out first and leaves it alone', () => {
    const a = attempt('e1', 'u1', { status: 'started', startedAt: minutesAgo(61), version: 2 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), w.ctx())).toEqual({ kind: 'applied' });
    // the timeout through the rules (ALLOW_TIMED_OUT_STATE absent, from started: submitted), completed at the expiry
    expect(w.types()).toEqual(['AllowanceGranted', 'AttemptStatusChanged', 'CredentialRequirementUpdated']);
    const expiry = new Date(minutesAgo(61).getTime() + 60 * 60_000);
    expect(w.batch.writes().updates).toMatchObject([{ id: a.id, status: 'submitted', allowedTimeLimitMins: 60, version: 3, completedAt: expiry }]);
    expect(w.emitted()[1].data).toMatchObject({ toStatus: 'submitted', requestedStatus: 'timed_out' });
  });

  it('time granted to a completed attempt does not touch it', () => {
    const a = attempt('e1', 'u1', { status: 'submitted', startedAt: minutesAgo(50), completedAt: minutesAgo(1), version: 3 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(grantAllowanceHandler.handle(grant('additional_time_granted', '30'), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.types()).toEqual(['AllowanceGranted']);
    expect(w.batch.writes().updates).toEqual([]);
  });

  it('time granted before creation: the attempt is created with it (the command’s additionalTimeMins ignored)', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'] });
    grantAllowanceHandler.handle(grant('additional_time_granted', '30'), w.ctx());
    const create = command('CreateAttempt', { examId: 'e1', userId: 'u1', user: { username: 'n', email: 'n@x.test' }, takingAsProctored: true, additionalTimeMins: 15 }, 'cmd-2');
    expect(createAttemptHandler.handle(create, w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().inserts).toMatchObject([{ allowedTimeLimitMins: 90 }]);
    // without an allowance, the command's own extra time applies
    const plain = world({ exams: [exam('e1')], keys: ['u1'] });
    createAttemptHandler.handle(create, plain.ctx());
    expect(plain.batch.writes().inserts).toMatchObject([{ allowedTimeLimitMins: 75 }]);
  });
});
