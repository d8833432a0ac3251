import { RETIRED_EMAIL, RETIRED_USERNAME } from '../../../../../libs/domain/src';
import { attempt, command, exam, world } from '../../../../../test/support/attempt-handlers.fixture';
import { createAttemptHandler } from './create-attempt.handler';
import { retireLearnerHandler } from './retire-learner.handler';
import { updateAttemptStatusHandler } from './update-attempt-status.handler';

describe('RetireLearner handler', () => {
  it('targets the learner', () => {
    expect(retireLearnerHandler.target({ userId: 'u1' })).toEqual({ kind: 'learner', userId: 'u1' });
  });

  it('retires the learner: LearnerRetired (userId only), the scrub in the writes, placeholders in memory', () => {
    const a = attempt('e1', 'u1');
    const other = attempt('e1', 'u2');
    const w = world({ exams: [exam('e1')], attempts: [a, other] });
    expect(retireLearnerHandler.handle(command('RetireLearner', { userId: 'u1' }), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.emitted()).toEqual([expect.objectContaining({ type: 'LearnerRetired', key: 'u1', sequence: '1', data: { userId: 'u1' } })]);
    expect(w.batch.writes().retirements).toEqual(['u1']);
    expect(w.batch.isRetired('u1')).toBe(true);
    expect(w.batch.attemptById(a.id)).toMatchObject({ username: RETIRED_USERNAME, email: RETIRED_EMAIL });
    expect(w.batch.attemptById(other.id)).toMatchObject({ username: 'name-u2', email: 'u2@example.test' });
  });

  it('retires a learner it never saw (applied, LearnerRetired)', () => {
    const w = world({ keys: ['ghost'] });
    expect(retireLearnerHandler.handle(command('RetireLearner', { userId: 'ghost' }), w.ctx())).toEqual({ kind: 'applied' });
    expect(w.types()).toEqual(['LearnerRetired']);
  });

  it('is a noop for a learner already retired, before this batch or earlier in it (no second event)', () => {
    const before = world({ retired: ['u1'] });
    expect(retireLearnerHandler.handle(command('RetireLearner', { userId: 'u1' }), before.ctx())).toEqual({ kind: 'noop' });
    expect(before.types()).toEqual([]);
    expect(before.batch.writes().retirements).toEqual([]);

    const twice = world({ keys: ['u1'] });
    retireLearnerHandler.handle(command('RetireLearner', { userId: 'u1' }), twice.ctx());
    expect(retireLearnerHandler.handle(command('RetireLearner', { userId: 'u1' }, 'cmd-2'), twice.ctx())).toEqual({ kind: 'noop' });
    expect(twice.types()).toEqual(['LearnerRetired']);
    expect(twice.batch.writes().retirements).toEqual(['u1']);
  });

  it("stores a retired learner's later user data as the placeholders, and no free text", () => {
    const w = world({ exams: [exam('e1'), exam('e2')], retired: ['u1'] });
    const created = createAttemptHandler.handle(
      command('CreateAttempt', { examId: 'e2', userId: 'u1', user: { username: 'again', email: 'again@example.test' }, takingAsProctored: true }),
      w.ctx(),
    );
    expect(created).toEqual({ kind: 'applied' });
    const stored = w.batch.writes().inserts[0];
    expect(stored).toMatchObject({ username: RETIRED_USERNAME, email: RETIRED_EMAIL });
    expect(JSON.stringify(w.emitted())).not.toContain('again');

    const moved = updateAttemptStatusHandler.handle(command('UpdateAttemptStatus', { attemptId: stored.id, toStatus: 'started', reason: 'free text' }, 'cmd-2'), w.ctx());
    expect(moved).toEqual({ kind: 'applied' });
    expect(w.batch.writes().transitions.map((t) => t.reason)).toEqual([null, null]);
  });
});
