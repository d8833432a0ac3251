import type { Pool } from 'pg';
import { OutboxHealthIndicator } from './outbox.health';

describe('OutboxHealthIndicator', () => {
  function indicator(o: { rows?: { parked: number; oldest_ms: number | null }; fail?: boolean; blocked?: boolean }) {
    const pool = {
      query: async () => {
        if (o.fail) throw new Error('connection refused');
        return { rows: [o.rows ?? { parked: 0, oldest_ms: null }] };
      },
    } as unknown as Pool;
    return new OutboxHealthIndicator({
      pool,
      dbTimeoutMs: 1000,
      maxAgeMs: 60_000,
      relayBlocked: () => (o.blocked ? { topics: ['proctoring.attempt.events.v1'], detail: 'topic does not exist (UNKNOWN_TOPIC_OR_PARTITION)' } as never : null),
    });
  }

  it('is up while the outbox flows (a young unpublished row included)', async () => {
    await expect(indicator({ rows: { parked: 0, oldest_ms: 59_000 } }).check()).resolves.toEqual({ outbox: { status: 'up' } });
  });

  it('is down naming every problem: parked rows, a blocked relay, an old row against OUTBOX_READY_MAX_AGE_MS', async () => {
    await expect(indicator({ rows: { parked: 1, oldest_ms: null } }).check()).resolves.toEqual({ outbox: { status: 'down', message: '1 parked row' } });
    await expect(indicator({ rows: { parked: 2, oldest_ms: 75_000 } }).check()).resolves.toEqual({
      outbox: { status: 'down', message: '2 parked rows; oldest unpublished row is 75 s old (limit 60 s)' },
    });
    await expect(indicator({ blocked: true }).check()).resolves.toEqual({
      outbox: { status: 'down', message: 'relay blocked: proctoring.attempt.events.v1: topic does not exist (UNKNOWN_TOPIC_OR_PARTITION)' },
    });
  });

  it('stays up as unknown when its query fails and nothing else is wrong (the database check fails instead)', async () => {
    await expect(indicator({ fail: true }).check()).resolves.toEqual({ outbox: { status: 'up', state: 'unknown' } });
    await expect(indicator({ fail: true, blocked: true }).check()).resolves.toMatchObject({ outbox: { status: 'down' } });
  });
});
