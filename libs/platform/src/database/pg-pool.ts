import { Pool, type PoolConfig } from 'pg';
import { pgPoolTimeouts, type DatabaseTimeouts } from '../config/database.config';

/** What a service's pg pool is made of: the same settings its TypeORM DataSource is given. */
export interface PgPoolSettings {
  url: string;
  ssl?: false | { rejectUnauthorized: boolean; ca?: string };
  /** Most connections open at once (default 10, TypeORM's). */
  poolSize?: number;
  timeouts?: DatabaseTimeouts;
  /** `application_name`, as pg_stat_activity shows it. */
  applicationName: string;
}

/**
 * node-postgres settings of a service's pool: size, `application_name`, the client-side timeouts and
 * TCP keep-alive (see pgPoolTimeouts).
 */
export function pgPoolConfig(s: PgPoolSettings): PoolConfig {
  return {
    connectionString: s.url,
    ssl: s.ssl ?? false,
    max: s.poolSize ?? 10,
    application_name: s.applicationName,
    ...(s.timeouts ? pgPoolTimeouts(s.timeouts) : {}),
  };
}

/**
 * The pool a service runs its SQL on (TypeORM only migrates). Opening it checks out one connection, so
 * a database that is down or refuses the credentials fails the start. An error on an idle connection
 * (the server restarted, the network dropped it) goes to `onIdleError`: unhandled, it would end the
 * process; the pool replaces the connection on the next checkout.
 */
export async function openPgPool(s: PgPoolSettings, onIdleError: (e: Error) => void): Promise<Pool> {
  const pool = new Pool(pgPoolConfig(s));
  pool.on('error', onIdleError);
  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return pool;
}
