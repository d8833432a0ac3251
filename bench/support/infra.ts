import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { dropDatabase } from '../../libs/platform/src/database/ensure-database';
import { say } from './progress';

/** A command to its end, its output captured; rejects with its stderr when it fails. */
export const run = promisify(execFile);

// ---- build ---------------------------------------------------------------------------------------

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` unless dist/ is newer than every source file (tsc is incremental anyway). */
export async function buildIfStale(root: string, force: boolean): Promise<{ built: boolean; ms: number }> {
  const marker = join(root, 'dist', '.tsbuildinfo.build');
  const entries = ['dist/apps/attempt-service/src/main.js', 'dist/scripts/migrate.js'].map((p) =>
    join(root, p),
  );
  const sources = Math.max(...['apps', 'libs', 'scripts'].map((d) => newestSource(join(root, d))));
  const fresh =
    existsSync(marker) && entries.every((e) => existsSync(e)) && statSync(marker).mtimeMs >= sources;
  if (fresh && !force) return { built: false, ms: 0 };
  say('building (npm run build)…');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`npm run build failed (exit ${String(code)})`)),
    );
  });
  return { built: true, ms: performance.now() - t0 };
}

// ---- Kafka ---------------------------------------------------------------------------------------

function kafkaScript(root: string, command: 'status' | 'start' | 'stop', brokers: string): Promise<boolean> {
  return new Promise((resolve) => {
    // scripts/kafka.sh listens on KAFKA_PORT: the port the bench will connect to
    const port = new URL(`kafka://${brokers.split(',')[0]}`).port || '9092';
    const child = spawn('bash', ['scripts/kafka.sh', command], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_PORT: process.env.KAFKA_PORT ?? port },
      stdio: [
        'ignore',
        command === 'status' ? 'ignore' : 'inherit',
        command === 'status' ? 'ignore' : 'inherit',
      ],
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** Uses the broker that answers on `brokers`, or starts the local one (scripts/kafka.sh). True if started. */
export async function ensureKafka(root: string, brokers: string): Promise<boolean> {
  if (await kafkaScript(root, 'status', brokers)) {
    say(`using the Kafka broker that answers on ${brokers}`);
    return false;
  }
  say(`no broker answers on ${brokers}; starting the local one (scripts/kafka.sh start)`);
  if (!(await kafkaScript(root, 'start', brokers))) throw new Error('could not start the local Kafka broker');
  return true;
}

export async function stopKafka(root: string, brokers: string): Promise<void> {
  say('stopping the Kafka broker the bench started');
  await kafkaScript(root, 'stop', brokers);
}

// ---- PostgreSQL ----------------------------------------------------------------------------------

/** Drops and re-creates the bench database, then runs both services' migrations (dist/scripts/migrate.js). */
export async function resetDatabase(root: string, databaseUrl: string): Promise<void> {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(name)) {
    throw new Error(
      `refusing to drop database "${name}": the bench only resets a database whose name contains "bench"`,
    );
  }
  await dropDatabase(databaseUrl);
  await run(process.execPath, [join(root, 'dist/scripts/migrate.js')], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
}

export interface PostgresInfo {
  version: string;
  synchronousCommit: string;
  fsync: string;
  sharedBuffers: string;
  autovacuum: string;
}

export async function postgresInfo(databaseUrl: string): Promise<PostgresInfo> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string; sc: string; fs: string; sb: string; av: string }>(
      `SELECT split_part(version(), ' on ', 1) AS v, current_setting('synchronous_commit') AS sc,
              current_setting('fsync') AS fs, current_setting('shared_buffers') AS sb, current_setting('autovacuum') AS av`,
    );
    return {
      version: rows[0].v,
      synchronousCommit: rows[0].sc,
      fsync: rows[0].fs,
      sharedBuffers: rows[0].sb,
      autovacuum: rows[0].av,
    };
  } finally {
    await client.end();
  }
}
