import { Client } from 'pg';
import type { BenchContext } from '../support/context';
import { cpuBudget, CpuMeter, machineInfo, type CpuBudget, type CpuUsage } from '../support/machine';
import { every, say } from '../support/progress';
import { ArrivalLog, fmtInt, round, summarizeLatencies, type LatencySummary } from '../support/stats';
import { emailWorthyEvent } from '../support/workload';

export interface RawPostgresResult {
  transactions: number;
  connections: number;
  /** Steady-state commits per second (5th → 95th percentile of commits). */
  perSecond: number | null;
  wallMs: number;
  transactionLatency: LatencySummary;
  cpu: CpuUsage;
  cpuBudget: CpuBudget | null;
}

const ROWS = 2000;

/**
 * (b) Raw PostgreSQL: one transaction per message, each the equivalent of the service's work for one
 * applied status change at its simplest — UPDATE the attempt row (status, version + 1, updated_at)
 * and INSERT one outbox row the size of an AttemptStatusChanged — on `connections` connections in
 * parallel (the service consumes 3 partitions concurrently). BEGIN, UPDATE, INSERT, COMMIT: four
 * round trips and one WAL flush per message.
 */
export async function runRawPostgres(ctx: BenchContext): Promise<RawPostgresResult> {
  const { transactions: n, connections } = ctx.cfg.rawPostgres;
  const setup = new Client({ connectionString: ctx.databaseUrl });
  await setup.connect();
  try {
    await setup.query(`DROP SCHEMA IF EXISTS bench_raw CASCADE`);
    await setup.query(`CREATE SCHEMA bench_raw`);
    await setup.query(`
      CREATE TABLE bench_raw.attempt (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        n integer NOT NULL UNIQUE,
        status text NOT NULL,
        version integer NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    // the same shape and indexes as attempts.outbox_message
    await setup.query(`
      CREATE TABLE bench_raw.outbox_message (
        id bigserial PRIMARY KEY,
        event_id text NOT NULL,
        topic text NOT NULL,
        key text,
        value bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await setup.query(`CREATE INDEX ON bench_raw.outbox_message (created_at)`);
    // and of attempts.outbox_pending, written with each outbox row
    await setup.query(`CREATE TABLE bench_raw.outbox_pending (id bigint PRIMARY KEY, scrub boolean NOT NULL DEFAULT false)`);
    await setup.query(
      `INSERT INTO bench_raw.attempt (n, status, version, updated_at) SELECT g, 'created', 1, now() FROM generate_series(0, $1 - 1) g`,
      [ROWS],
    );
    await setup.query(`ANALYZE bench_raw.attempt`);
  } finally {
    await setup.end();
  }
  const { rows: ids } = await queryOnce<{ id: string }>(
    ctx.databaseUrl,
    `SELECT id FROM bench_raw.attempt ORDER BY n`,
  );
  const value = Buffer.from(emailWorthyEvent(ctx.runId, 0).value as string);
  const statuses = ['started', 'ready_to_submit', 'ready_to_start'];

  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new Client({ connectionString: ctx.databaseUrl, application_name: 'bench-raw-postgres' });
      await c.connect();
      return c;
    }),
  );
  say(`(b) raw PostgreSQL: ${fmtInt(n)} transactions (UPDATE + outbox INSERT) on ${connections} connections`);
  const commits = new ArrivalLog();
  const latencies: number[] = [];
  let next = 0;
  const meter = await CpuMeter.start({ bench: process.pid, postgres: ctx.postgresBackends });
  const t0 = performance.now();
  const stop = every(1000, () => `(b) ${fmtInt(commits.total)}/${fmtInt(n)} committed`);
  let cpu: CpuUsage;
  let wallMs: number;
  try {
    await Promise.all(
      clients.map(async (c) => {
        for (let k = next++; k < n; k = next++) {
          const started = performance.now();
          const row = ids[k % ROWS].id;
          await c.query('BEGIN');
          await c.query(
            `UPDATE bench_raw.attempt SET status = $2, version = version + 1, updated_at = now() WHERE id = $1`,
            [row, statuses[Math.floor(k / ROWS) % statuses.length]],
          );
          await c.query(
            `WITH w AS (INSERT INTO bench_raw.outbox_message (event_id, topic, key, value, headers) VALUES ($1, $2, $3, $4, $5) RETURNING id)
             INSERT INTO bench_raw.outbox_pending (id) SELECT id FROM w`,
            [
              `bench-${k}`,
              'proctoring.attempt.events.v1',
              `learner-${k % ROWS}`,
              value,
              JSON.stringify({ 'content-type': 'application/cloudevents+json' }),
            ],
          );
          await c.query('COMMIT');
          const done = performance.now();
          commits.add(1, done);
          latencies.push(done - started);
        }
      }),
    );
    wallMs = performance.now() - t0;
    // measured while the connections are open: their backends are the participants
    cpu = await meter.stop();
  } finally {
    stop();
    await Promise.all(clients.map((c) => c.end()));
  }
  const rate = commits.steadyRate(n);
  return {
    transactions: n,
    connections,
    perSecond: rate ? round(rate.perSecond) : round((n / wallMs) * 1000),
    wallMs: round(wallMs),
    transactionLatency: summarizeLatencies(latencies),
    cpu,
    cpuBudget: cpuBudget(cpu, n, machineInfo().cores),
  };
}

async function queryOnce<T extends object>(url: string, sql: string): Promise<{ rows: T[] }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<T>(sql);
    return { rows };
  } finally {
    await c.end();
  }
}
