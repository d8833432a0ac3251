import { Client } from 'pg';

/**
 * Creates the database named in `databaseUrl` when it does not exist yet, by connecting to the
 * server's `postgres` maintenance database. Safe to call concurrently: a lost creation race is fine.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  await onServer(databaseUrl, async (client, name) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount !== 0) return;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (e) {
      // 42P04 duplicate_database, 23505 unique_violation: another process created it first.
      const code = (e as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw e;
    }
  });
}

/** Drops the database named in `databaseUrl` if it exists, disconnecting whoever is still on it. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  await onServer(databaseUrl, async (client, name) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

/** Runs `fn` on the server's `postgres` maintenance database, with the name `databaseUrl` points at. */
async function onServer(
  databaseUrl: string,
  fn: (client: Client, name: string) => Promise<void>,
): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await fn(client, name);
  } finally {
    await client.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
