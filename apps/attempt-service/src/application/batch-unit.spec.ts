import { keyScope } from '../persistence/event-key.row';
import { attempt, exam, world } from '../../../../test/support/attempt-handlers.fixture';

const CAUSE = { type: 'command' as const, id: 'cmd-1', correlationId: 'corr-1' };

describe('BatchUnit', () => {
  it('numbers events per key from the locked last sequence, and writes back the new last sequences', () => {
    const w = world({ keys: ['u1'] });
    w.batch.lockedScopes(new Map([[keyScope('u2'), 41n]]));
    w.batch.emit(w.events.commandProcessed('c1', 'CreateAttempt', 'applied', 'u1'), CAUSE);
    w.batch.emit(w.events.commandProcessed('c2', 'CreateAttempt', 'applied', 'u2'), CAUSE);
    w.batch.emit(w.events.commandProcessed('c3', 'CreateAttempt', 'noop', 'u1'), CAUSE);
    expect(w.emitted().map((e) => [e.key, e.sequence])).toEqual([
      ['u1', '1'],
      ['u2', '42'],
      ['u1', '2'],
    ]);
    expect(w.emitted()[0]).toMatchObject({ causationid: 'cmd-1', correlationid: 'corr-1' });
    expect(w.batch.writes().sequences).toEqual(
      new Map([
        [keyScope('u1'), 2n],
        [keyScope('u2'), 42n],
      ]),
    );
  });

  it('refuses an event whose key was not locked', () => {
    const w = world();
    expect(() => w.batch.emit(w.events.commandProcessed('c1', 'CreateAttempt', 'applied', 'u9'), CAUSE)).toThrow(/was not locked/);
  });

  it('writes back only what changed: new rows inserted, loaded rows updated, archived rows deleted', () => {
    const kept = attempt('e1', 'u1');
    const changed = attempt('e2', 'u1');
    const removed = attempt('e3', 'u1');
    const w = world({ exams: [exam('e1'), exam('e2'), exam('e3')], attempts: [kept, changed, removed] });
    const fresh = attempt('e4', 'u1');
    w.batch.insertAttempt(fresh, CAUSE);
    w.batch.updateAttempt({ ...changed, status: 'started', version: 2 }, { fromStatus: 'created', requestedStatus: 'started', cause: CAUSE, cascadeFromAttemptId: null, reason: null });
    w.batch.archiveAttempt(removed, 'removed', CAUSE);
    const writes = w.batch.writes();
    expect(writes.inserts.map((a) => a.id)).toEqual([fresh.id]);
    expect(writes.updates.map((a) => a.id)).toEqual([changed.id]);
    expect(writes.deletes).toEqual([removed.id]);
    expect(writes.transitions.map((t) => [t.attemptId, t.fromStatus, t.toStatus])).toEqual([
      [fresh.id, null, 'created'],
      [changed.id, 'created', 'started'],
    ]);
    expect(w.batch.attemptFor('e3', 'u1')).toBeUndefined();
    expect(w.batch.attemptsOfUser('u1').map((a) => a.id)).toEqual([kept.id, changed.id, fresh.id]);
  });
});
