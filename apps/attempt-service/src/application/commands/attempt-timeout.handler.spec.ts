import { handleAttemptTimeout } from './attempt-timeout.handler';
import { attempt, exam, NOW, world } from '../../../../../test/support/attempt-handlers.fixture';

const SWEEP = { type: 'sweeper' as const, id: 'sweep-1', correlationId: 'sweep-1' };

describe('attempt timeout handler (the sweeper)', () => {
  it('times out an expired attempt through the rules, completed at the expiry, caused by the sweep', () => {
    const startedAt = new Date(NOW.getTime() - 61 * 60_000);
    const a = attempt('e1', 'u1', { status: 'started', startedAt, version: 2 });
    const w = world({ exams: [exam('e1', { provider: 'software_secure' })], attempts: [a] });
    expect(handleAttemptTimeout({ attemptId: a.id, sweepId: 'sweep-1' }, w.ctx(SWEEP))).toEqual({ kind: 'timed-out' });
    const expiry = new Date(startedAt.getTime() + 60 * 60_000);
    expect(w.batch.attemptById(a.id)).toMatchObject({ status: 'submitted', completedAt: expiry, version: 3 });
    expect(w.batch.writes().transitions).toMatchObject([{ requestedStatus: 'timed_out', toStatus: 'submitted', causeType: 'sweeper', causeId: 'sweep-1' }]);
    expect(w.emitted()).toMatchObject([
      { type: 'AttemptStatusChanged', causationid: 'sweep-1', data: { requestedStatus: 'timed_out', toStatus: 'submitted' } },
      { type: 'CredentialRequirementUpdated', data: { status: 'submitted' } },
    ]);
  });

  it('leaves an attempt that has not expired (or is gone) alone', () => {
    const a = attempt('e1', 'u1', { status: 'started', startedAt: new Date(NOW.getTime() - 60 * 60_000) });
    const w = world({ exams: [exam('e1')], attempts: [a] });
    expect(handleAttemptTimeout({ attemptId: a.id, sweepId: 'sweep-1' }, w.ctx(SWEEP))).toEqual({ kind: 'not-expired' });
    expect(handleAttemptTimeout({ attemptId: 'aaaaaaaa-0000-4000-8000-0000000000ff', sweepId: 'sweep-1' }, w.ctx(SWEEP))).toEqual({ kind: 'not-expired' });
    expect(w.types()).toEqual([]);
  });
});
