import { readFileSync } from 'node:fs';
import type { EnvReader } from './env-reader';

export interface DatabaseSettings {
  url: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string };
  poolSize: number;
  /** Client-side bounds, so a connection that hangs (no answer, nothing refused) is given up, not waited on forever. */
  timeouts: DatabaseTimeouts;
}

export interface DatabaseTimeouts {
  /** A query without an answer for this long fails (and its connection is discarded); 0 = no bound. */
  queryMs: number;
  /** Opening a connection fails after this long. */
  connectMs: number;
}

/**
 * node-postgres pool options for the timeouts, with TCP keep-alive so a dead peer is noticed on idle
 * connections too. A timed-out query leaves its connection waiting for the answer, so the caller must
 * discard it: `inTransaction` and `pool.query` do (release with an error).
 */
export function pgPoolTimeouts(t: DatabaseTimeouts): Record<string, number | boolean> {
  return {
    ...(t.queryMs > 0 ? { query_timeout: t.queryMs } : {}),
    connectionTimeoutMillis: t.connectMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

export function readDatabaseSettings(env: EnvReader): DatabaseSettings {
  const url = env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/proctoring', ['postgres:', 'postgresql:']);
  const mode = env.oneOf('DATABASE_SSL', ['off', 'require', 'verify'], 'off');
  const caFile = env.optionalString('DATABASE_SSL_CA_FILE');
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch {
      env.problem('DATABASE_SSL_CA_FILE names a file that cannot be read');
    }
  }
  const ssl = mode === 'off' ? false : { rejectUnauthorized: mode === 'verify', ca };
  return {
    url,
    ssl,
    poolSize: env.int('DATABASE_POOL_SIZE', 10, 1, 200),
    timeouts: {
      queryMs: env.int('DATABASE_QUERY_TIMEOUT_MS', 30_000, 0, 3_600_000),
      connectMs: env.int('DATABASE_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    },
  };
}
