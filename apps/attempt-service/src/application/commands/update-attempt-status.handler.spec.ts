import { updateAttemptStatusHandler } from './update-attempt-status.handler';
import { attempt, command, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';

describe('UpdateAttemptStatus handler', () => {
  const started = () => attempt('e1', 'u1', { status: 'started', startedAt: new Date(NOW.getTime() - 10 * 60_000), version: 2 });

  it('targets the learner of the attempt it names', () => {
    const d = { attemptCode: 'CODE', toStatus: 'verified' };
    expect(updateAttemptStatusHandler.target(d)).toEqual({ kind: 'attempt', ref: d, examId: undefined });
  });

  it('stores the change with its transition (the reason included), AttemptStatusChanged and the credit event', () => {
    const a = started();
    const w = world({ exams: [exam('e1')], attempts: [a] });
    const c = command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'submitted', reason: 'done' });
    expect(updateAttemptStatusHandler.handle(c, w.ctx())).toEqual({ kind: 'applied' });
    expect(w.batch.writes().updates).toMatchObject([{ id: a.id, status: 'submitted', version: 3, completedAt: NOW }]);
    expect(w.batch.writes().transitions).toMatchObject([
      { attemptId: a.id, version: 3, fromStatus: 'started', toStatus: 'submitted', requestedStatus: 'submitted', reason: 'done', cascadeFromAttemptId: null },
    ]);
    expect(w.emitted()).toMatchObject([
      { type: 'AttemptStatusChanged', topic: 'attempt-events', sequence: '1', data: { fromStatus: 'started', toStatus: 'submitted', statusAlias: 'pending', version: 3 } },
      { type: 'CredentialRequirementUpdated', topic: 'credential-events', sequence: '2', data: { status: 'submitted', attemptVersion: 3, name: 'block-e1' } },
    ]);
  });

  it('finds the attempt by id (any case) or by code', () => {
    const a = started();
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', { attemptId: a.id.toUpperCase(), toStatus: 'ready_to_submit' }), w.ctx())).toEqual({
      kind: 'applied',
    });
    expect(updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', { attemptCode: a.attemptCode, toStatus: 'submitted' }), w.ctx())).toEqual({
      kind: 'applied',
    });
    expect(w.batch.attemptById(a.id)).toMatchObject({ status: 'submitted', version: 4 });
  });

  it('rejects what the rules refuse, and references that name no attempt or an unknown exam', () => {
    const a = attempt('e1', 'u1', { status: 'verified', version: 4 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    const run = (d: Parameters<typeof updateAttemptStatusHandler.target>[0]) => updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', d), w.ctx());
    expect(run({ examId: 'e1', userId: 'u1', toStatus: 'bogus' })).toEqual({ kind: 'rejected', reason: 'INVALID_STATUS', message: 'toStatus is not a valid attempt status' });
    expect(run({ examId: 'e1', userId: 'u1', toStatus: 'started' })).toEqual({
      kind: 'rejected',
      reason: 'ILLEGAL_TRANSITION',
      message: 'a status transition from verified to started is not allowed',
    });
    expect(run({ examId: 'e9', userId: 'u1', toStatus: 'verified' })).toMatchObject({ reason: 'EXAM_NOT_FOUND' });
    expect(run({ examId: 'e1', userId: 'u2', toStatus: 'verified' })).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    expect(run({ attemptId: a.id, userId: 'u2', toStatus: 'verified' })).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    expect(w.types()).toEqual([]);
  });

  it('is a no-op for the same status: nothing written, no event', () => {
    const w = world({ exams: [exam('e1')], attempts: [started()] });
    expect(updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }), w.ctx())).toEqual({ kind: 'noop' });
    expect(w.batch.writes()).toMatchObject({ updates: [], transitions: [] });
  });

  it('runs the cascade of a decline in SPEC §2 rule 6 order: trigger, its credit, then per exam creation, decline, credit', () => {
    const a = started();
    const other = attempt('e2', 'u1', { status: 'created', username: 'old-name' });
    const exams = [exam('e1'), exam('e2'), exam('e3'), exam('practice', { isPracticeExam: true })];
    const w = world({ exams, attempts: [a, other] });
    expect(updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'declined' }), w.ctx())).toEqual({ kind: 'applied' });
    const events = w.emitted();
    expect(events.map((e) => `${e.type}:${String(e.data.examId ?? e.data.name)}`)).toEqual([
      'AttemptStatusChanged:e1',
      'CredentialRequirementUpdated:block-e1',
      'AttemptStatusChanged:e2',
      'CredentialRequirementUpdated:block-e2',
      'AttemptCreated:e3',
      'AttemptStatusChanged:e3',
      'CredentialRequirementUpdated:block-e3',
    ]);
    expect(events.map((e) => e.sequence)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(events[0].data).toMatchObject({ takingAsProctored: false });
    expect(events[2].data).toMatchObject({ toStatus: 'declined', cascadeFromAttemptId: a.id });
    const created = w.batch.attemptFor('e3', 'u1');
    expect(created).toMatchObject({ status: 'declined', version: 2, takingAsProctored: false, username: 'name-u1' });
    const t = w.batch.writes().transitions;
    expect(t.map((x) => [x.toStatus, x.reason, x.cascadeFromAttemptId])).toEqual([
      ['declined', null, null],
      ['declined', null, a.id],
      ['created', null, null],
      ['declined', null, a.id],
    ]);
  });
});
