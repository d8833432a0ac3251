import { createAttemptHandler } from './create-attempt.handler';
import { attempt, command, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';

const data = (examId = 'e1', userId = 'u1') => ({
  examId,
  userId,
  user: { username: 'learner', email: 'learner@example.test' },
  takingAsProctored: true,
  additionalTimeMins: 15,
});

describe('CreateAttempt handler', () => {
  it('targets the learner named', () => {
    expect(createAttemptHandler.target(data())).toEqual({ kind: 'learner', userId: 'u1', examId: 'e1', allowances: true });
  });

  it('creates the attempt: status created, version 1, its transition and AttemptCreated', () => {
    const w = world({ exams: [exam('e1')], keys: ['u1'] });
    expect(createAttemptHandler.handle(command('CreateAttempt', data()), w.ctx())).toEqual({ kind: 'applied' });
    const [created] = w.batch.writes().inserts;
    expect(created).toMatchObject({ examId: 'e1', userId: 'u1', status: 'created', version: 1, allowedTimeLimitMins: 75, username: 'learner', createdAt: NOW });
    expect(created.attemptCode).toBe(created.attemptCode.toUpperCase());
    expect(w.batch.writes().transitions).toMatchObject([{ attemptId: created.id, fromStatus: null, toStatus: 'created', causeId: 'cmd-1' }]);
    expect(w.emitted()).toMatchObject([{ type: 'AttemptCreated', subject: created.id, sequence: '1', key: 'u1', data: { status: 'created', version: 1 } }]);
  });

  it('rejects an exam that is not registered', () => {
    const w = world({ keys: ['u1'] });
    expect(createAttemptHandler.handle(command('CreateAttempt', data()), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'EXAM_NOT_FOUND' });
  });

  it('rejects a second attempt at the same exam', () => {
    const w = world({ exams: [exam('e1')], attempts: [attempt('e1', 'u1')] });
    expect(createAttemptHandler.handle(command('CreateAttempt', data()), w.ctx())).toMatchObject({ kind: 'rejected', reason: 'ATTEMPT_ALREADY_EXISTS' });
    expect(w.types()).toEqual([]);
  });

  it('archives and replaces a sample attempt: AttemptRemoved (replaced), then AttemptCreated', () => {
    const sample = attempt('p1', 'u1', { isSampleAttempt: true, status: 'submitted' });
    const w = world({ exams: [exam('p1', { isPracticeExam: true })], attempts: [sample] });
    expect(createAttemptHandler.handle(command('CreateAttempt', data('p1')), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()).toMatchObject([
      { type: 'AttemptRemoved', subject: sample.id, sequence: '1', data: { reason: 'replaced', lastStatus: 'submitted' } },
      { type: 'AttemptCreated', sequence: '2', data: { isSampleAttempt: true } },
    ]);
    const writes = w.batch.writes();
    expect(writes.archives).toMatchObject([{ attempt: { id: sample.id }, reason: 'replaced', archivedBy: 'cmd-1' }]);
    expect(writes.deletes).toEqual([sample.id]);
    expect(writes.inserts).toHaveLength(1);
  });
});
