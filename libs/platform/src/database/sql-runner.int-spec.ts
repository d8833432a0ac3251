import { Pool } from 'pg';
import { TEST_DATABASE_URL } from '../../../../test/support/test-env';
import { inTransaction } from './sql-runner';

/**
 * A connection that dies while its client is checked out (fault scenario 8a: a proxy resetting 5 % of
 * connections) must fail the transaction, not the process: node-postgres emits the loss as an 'error'
 * event on the client, which nobody but inTransaction listens to while the client is out of the pool.
 */
describe('inTransaction on a connection that dies mid-transaction', () => {
  let pool: Pool;
  let admin: Pool;

  beforeAll(() => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  });

  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('rejects the transaction, discards the connection, and the pool goes on working', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const run = inTransaction(pool, async (sql) => {
        const [{ pid }] = await sql.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // the server ends this session while no query of it is running: the loss arrives as an event
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await new Promise((resolve) => setImmediate(resolve));
        return sql.query('SELECT 1');
      });
      await expect(run).rejects.toThrow();
      expect(uncaught).toEqual([]);
      const [{ n }] = await inTransaction(pool, (sql) => sql.query<{ n: number }>('SELECT 41 + 1 AS n'));
      expect(n).toBe(42);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});
