import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/** The narrow SQL surface the use cases need: parameterised queries returning rows. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Runs parameterised statements as named prepared statements: each connection parses and plans a
 * statement text once and then only binds and executes it (the hot path issues the same dozen texts
 * thousands of times). Statement texts must therefore be constant (values go in parameters) and name
 * their columns: a prepared `SELECT *` fails once a migration adds a column under a running service.
 */
export class ClientRunner implements SqlRunner {
  constructor(private readonly client: PoolClient | Pool) {}

  async query<T>(sql: string, params?: unknown[]): Promise<T[]> {
    const res = params === undefined ? await this.client.query(sql) : await this.client.query({ name: statementName(sql), text: sql, values: params });
    return res.rows as T[];
  }
}

const statementNames = new Map<string, string>();

/** A stable name per statement text (the same text always gets the same name on every connection). */
export function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `s_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Errors caused by the data of a message rather than by the infrastructure: data exceptions (22xxx,
 * e.g. NUL in text), integrity violations (23xxx) and program limits (54xxx, e.g. an index row too
 * large). Validation should catch these first; when it does not, the message is isolated and rejected
 * instead of retried forever. Everything else (connection loss, deadlock, serialization failure,
 * shutdown) is an infrastructure fault and is retried.
 */
export function isInputDbError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23') || code.startsWith('54'));
}

/** node-postgres's error for a query without an answer within `query_timeout`. */
export function isQueryTimeout(e: unknown): boolean {
  return e instanceof Error && e.message === 'Query read timeout';
}

/** Runs `fn` in one transaction on a dedicated connection; rolls back on any error. */
export async function inTransaction<T>(pool: Pool, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A connection reset while the client is checked out fails its query AND is emitted as an 'error'
  // event on the client; node-postgres's pool listens only while a client is idle, so without this
  // listener the event would crash the process (found by fault scenario 8a, 5 % of connections reset).
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(new ClientRunner(client));
    await client.query('COMMIT');
    return result;
  } catch (e) {
    // A timed-out query is still in flight on this connection: a ROLLBACK would queue behind it.
    // Discarding the connection rolls the transaction back on the server.
    if (isQueryTimeout(e)) broken = true;
    else
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
    throw e;
  } finally {
    client.removeListener('error', onError);
    client.release(broken ? true : undefined);
  }
}
