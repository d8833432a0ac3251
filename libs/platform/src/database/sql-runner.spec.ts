import { EventEmitter } from 'node:events';
import type { Pool, PoolClient } from 'pg';
import { inTransaction, isQueryTimeout } from './sql-runner';

/** A scripted connection: records the statements it is sent and how it is released. */
function scriptedPool(failWith: Error) {
  const sent: string[] = [];
  const released: (boolean | undefined)[] = [];
  const client = Object.assign(new EventEmitter(), {
    query: (q: string | { text: string }) => {
      const text = typeof q === 'string' ? q : q.text;
      sent.push(text);
      return text === 'BEGIN' || text === 'ROLLBACK' ? Promise.resolve({ rows: [] }) : Promise.reject(failWith);
    },
    release: (destroy?: boolean) => {
      released.push(destroy);
    },
  }) as unknown as PoolClient;
  const pool = { connect: () => Promise.resolve(client) } as unknown as Pool;
  return { pool, client, sent, released };
}

describe('inTransaction', () => {
  it('rolls back and returns the connection to the pool after an ordinary error', async () => {
    const { pool, sent, released } = scriptedPool(new Error('deadlock detected'));
    await expect(inTransaction(pool, (sql) => sql.query('SELECT 1', []))).rejects.toThrow('deadlock detected');
    expect(sent).toEqual(['BEGIN', 'SELECT 1', 'ROLLBACK']);
    expect(released).toEqual([undefined]);
  });

  it('discards the connection without a ROLLBACK after a query timeout (the query is still in flight on it)', async () => {
    const { pool, sent, released } = scriptedPool(new Error('Query read timeout'));
    await expect(inTransaction(pool, (sql) => sql.query('SELECT 1', []))).rejects.toThrow('Query read timeout');
    expect(sent).toEqual(['BEGIN', 'SELECT 1']);
    expect(released).toEqual([true]);
  });

  it("listens for the client's 'error' event only while it is checked out, and discards a client that emitted one", async () => {
    const { pool, client, released } = scriptedPool(new Error('Connection terminated unexpectedly'));
    const run = inTransaction(pool, (sql) => {
      expect(client.listenerCount('error')).toBe(1);
      client.emit('error', new Error('read ECONNRESET')); // without a listener this would throw
      return sql.query('SELECT 1', []);
    });
    await expect(run).rejects.toThrow('Connection terminated unexpectedly');
    expect(released).toEqual([true]);
    expect(client.listenerCount('error')).toBe(0);
  });

  it('recognises only node-postgres query timeouts as such', () => {
    expect(isQueryTimeout(new Error('Query read timeout'))).toBe(true);
    expect(isQueryTimeout(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isQueryTimeout('Query read timeout')).toBe(false);
  });
});
