import { removeAttemptHandler } from './remove-attempt.handler';
import { attempt, command, exam, world } from '../../../../../test/support/attempt-handlers.fixture';

describe('RemoveAttempt handler', () => {
  it('targets the learner of the attempt it names', () => {
    expect(removeAttemptHandler.target({ attemptId: 'x' })).toEqual({ kind: 'attempt', ref: { attemptId: 'x' }, examId: undefined });
  });

  it('archives and deletes the attempt: AttemptRemoved, and CredentialRequirementRemoved for a credit status', () => {
    const a = attempt('e1', 'u1', { status: 'verified', version: 4 });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(removeAttemptHandler.handle(command('RemoveAttempt', { attemptId: a.id }), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()).toMatchObject([
      { type: 'AttemptRemoved', sequence: '1', data: { reason: 'removed', lastStatus: 'verified' } },
      { type: 'CredentialRequirementRemoved', sequence: '2', data: { name: 'block-e1', attemptId: a.id } },
    ]);
    expect(w.batch.writes()).toMatchObject({ deletes: [a.id], archives: [{ reason: 'removed', archivedBy: 'cmd-1' }] });
    expect(w.batch.attemptById(a.id)).toBeUndefined();
  });

  it('removes no credit for a status that wrote none', () => {
    const w = world({ exams: [exam('e1')], attempts: [attempt('e1', 'u1')] });
    expect(removeAttemptHandler.handle(command('RemoveAttempt', { examId: 'e1', userId: 'u1' }), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.types()).toEqual(['AttemptRemoved']);
  });

  it('rejects an unknown exam and a reference that names no attempt', () => {
    const a = attempt('e1', 'u1');
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(removeAttemptHandler.handle(command('RemoveAttempt', { examId: 'e9', userId: 'u1' }), w.ctx())).toMatchObject({ reason: 'EXAM_NOT_FOUND' });
    expect(removeAttemptHandler.handle(command('RemoveAttempt', { attemptId: a.id, userId: 'u2' }), w.ctx())).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    expect(w.types()).toEqual([]);
  });
});
