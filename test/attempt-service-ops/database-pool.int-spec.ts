import { join } from 'node:path';
import type { Pool } from 'pg';
import { openAttemptServicePool } from '../../apps/attempt-service/src/attempt-service.runtime';
import { loadAttemptServiceConfig } from '../../apps/attempt-service/src/config/attempt-service.config';
import { isQueryTimeout } from '../../libs/platform/src/database/sql-runner';
import { createLogger } from '../../libs/platform/src/logging/logger';
import { testIdentity, TEST_DATABASE_URL } from '../support/test-env';

const ROOT = join(__dirname, '..', '..');

/** The pool the service's SQL runs on, opened as the runtime opens it, from DATABASE_* settings. */
function openPool(env: Record<string, string>): Promise<Pool> {
  const config = loadAttemptServiceConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    PROVIDERS_FILE: join(ROOT, 'config/providers.json'),
    READ_API_AUTH: 'off',
    ...testIdentity('attempt-service'),
    ...env,
  });
  return openAttemptServicePool(config, createLogger('attempt-service', 'silent'));
}

describe('the attempt-service database pool', () => {
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.end();
    pool = undefined;
  });

  it('opens at most DATABASE_POOL_SIZE connections, named attempt-service, and queues the rest', async () => {
    pool = await openPool({ DATABASE_POOL_SIZE: '2' });
    const p = pool;
    const queries = Array.from({ length: 5 }, () => p.query<{ name: string }>(`SELECT current_setting('application_name') AS name, pg_sleep(0.3)`));
    await new Promise((r) => setTimeout(r, 100));
    expect(p.totalCount).toBe(2);
    expect(p.waitingCount).toBe(3);
    const names = (await Promise.all(queries)).map((r) => r.rows[0].name);
    expect(names).toEqual(Array(5).fill('attempt-service'));
    expect(p.totalCount).toBeLessThanOrEqual(2);
  });

  it('gives up a query without an answer after DATABASE_QUERY_TIMEOUT_MS', async () => {
    pool = await openPool({ DATABASE_QUERY_TIMEOUT_MS: '300' });
    const started = Date.now();
    const error: unknown = await pool.query('SELECT pg_sleep(5)').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isQueryTimeout(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('fails to open when the database cannot be reached (no connection is left behind)', async () => {
    await expect(openPool({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/proctoring_test', DATABASE_CONNECT_TIMEOUT_MS: '1000' })).rejects.toThrow();
  });
});
