/**
 * The fault-tolerance suite: `npm run faults` (full, writes docs/reliability.md) and
 * `npm run faults:ci` (reduced: scenarios 1, 3, 7, 7b, 7c, 8b and the 4-minute soak 9, smaller counts).
 *
 *   node -r ts-node/register/transpile-only test/faults/run-faults.ts [--ci] [--only=1,3,7] [--no-build] [--no-report]
 *
 * Every scenario runs the built services (dist/) as child processes against its own database and its
 * own topics, injects its faults, waits until everything is consumed, and compares the end state and
 * the published events with the reference model. Exits non-zero unless every scenario ends with 0
 * lost, 0 applied twice, 0 events missing, 0 duplicate emails (and nothing else diverged).
 * Everything it starts (services, brokers, PostgreSQL clusters) is stopped on exit, also on failure.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  buildIfStale,
  clusterNet,
  clusterNetInUse,
  freePortPair,
  installExitHooks,
  liveBrokers,
  onExit,
  OwnBroker,
  OwnCluster,
  portIsFree,
  ROOT,
  runExitCleanups,
  say,
  ThrowawayPostgres,
} from './fault-infra';
import { renderReport, renderTable, summarizeDetails } from './report';
import type { ScenarioResult } from './scenario-kit';
import { CI_SCENARIOS, PROFILES, SCENARIOS, type Infra } from './scenarios';

interface Args {
  ci: boolean;
  only: string[] | null;
  build: boolean;
  report: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { ci: false, only: null, build: true, report: true };
  for (const arg of argv) {
    if (arg === '--ci') a.ci = true;
    else if (arg === '--no-build') a.build = false;
    else if (arg === '--no-report') a.report = false;
    else if (arg.startsWith('--only=')) a.only = arg.slice(7).split(',').map((s) => s.trim()).filter(Boolean);
    else throw new Error(`unknown argument ${arg} (use --ci, --only=1,3,7, --no-build, --no-report)`);
  }
  return a;
}

/** One run at a time: scenarios reuse database names and port ranges. */
function takeRunLock(): void {
  const dir = join(ROOT, 'var', 'faults');
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    let alive: boolean;
    try {
      process.kill(pid, 0);
      alive = pid > 0;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`another fault run (pid ${pid}) is in progress (${lock})`);
  }
  writeFileSync(lock, String(process.pid));
  onExit('run lock', () => rmSync(lock, { force: true }));
}

async function main(): Promise<number> {
  installExitHooks();
  const args = parseArgs(process.argv.slice(2));
  const profile = PROFILES[args.ci ? 'ci' : 'full'];
  const wanted = args.only ?? (args.ci ? CI_SCENARIOS : SCENARIOS.map((s) => s.number));
  const scenarios = SCENARIOS.filter((s) => wanted.includes(s.number));
  if (scenarios.length === 0) throw new Error(`no scenario matches --only=${wanted.join(',')}`);
  takeRunLock();
  const t0 = Date.now();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runTag = Date.now().toString(36);
  const runDir = join(ROOT, 'var', 'faults', stamp);
  mkdirSync(runDir, { recursive: true });
  say(`fault suite (${profile.name}): scenarios ${scenarios.map((s) => s.number).join(', ')}; logs in ${runDir}`);
  if (args.build) await buildIfStale(false);

  // Infrastructure is started on first use and stopped at the end (or on exit, whatever happens).
  let broker: OwnBroker | null = null;
  let cluster: OwnCluster | null = null;
  const pgs: ThrowawayPostgres[] = [];
  const infra: Infra = {
    runDir,
    runTag,
    pgServerUrl: process.env.FAULTS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    broker: async () => {
      if (broker) return broker;
      const port = await freePortPair(19292, 100);
      // port + 1 is the controller's; a proxied listener for the broker-side network scenarios (8c, 8d)
      const [listenerPort, advertisedPort] = [port + 2, port + 3];
      if (!(await portIsFree(listenerPort)) || !(await portIsFree(advertisedPort))) throw new Error(`ports ${listenerPort} and ${advertisedPort} are taken`);
      const b = new OwnBroker(port, join('/tmp', `proctoring-faults-kafka-${port}`), join(runDir, 'kafka-broker.log'), { listenerPort, advertisedPort });
      say(`starting the suite's own Kafka broker on 127.0.0.1:${port} (scripts/kafka.sh)`);
      await b.start();
      broker = b;
      return b;
    },
    cluster: async (o = {}) => {
      if (cluster && (cluster.net || !o.partitionable)) return cluster;
      if (cluster) {
        await cluster.destroy();
        cluster = null;
      }
      if (broker) {
        // Two JVMs less while the three cluster nodes run (2 cores); the single broker is not needed again.
        await broker.destroy();
        broker = null;
      }
      let ports = [19092, 29092, 39092];
      for (let k = 0; k < 10; k++) {
        const candidate = [19092 + k * 200, 29092 + k * 200, 39092 + k * 200];
        let free = true;
        for (const p of candidate) free = free && (await portIsFree(p)) && (await portIsFree(p + 1));
        free = free && !clusterNetInUse(candidate[0]);
        if (free) {
          ports = candidate;
          break;
        }
      }
      const net = o.partitionable ? clusterNet(ports[0]) : null;
      if (net && 'unavailable' in net) throw new Error(net.unavailable);
      const c = new OwnCluster(ports, join('/tmp', `proctoring-faults-cluster${net ? '-net' : ''}-${ports[0]}`), join(runDir, 'kafka-cluster.log'), net?.net ?? null);
      say(`starting a 3-node KRaft cluster on ${c.brokers} (scripts/kafka.sh cluster-start${net ? ', a network namespace per node' : ''})`);
      await c.start();
      const end = Date.now() + 120_000;
      while ((await liveBrokers(c.brokers)) < 3) {
        if (Date.now() > end) throw new Error('the 3-node cluster did not report 3 brokers');
        await new Promise((r) => setTimeout(r, 1000));
      }
      cluster = c;
      return c;
    },
    throwawayPostgres: async (o = {}) => {
      const port = await freePortPair(55432, 10);
      const pg = new ThrowawayPostgres(port, join('/tmp', `proctoring-faults-pg-${port}`), o.volumeMb, o.durable, join(runDir, `postgres-${port}.log`));
      say(`initdb + pg_ctl start: throwaway PostgreSQL on 127.0.0.1:${port}`);
      await pg.init();
      await pg.start();
      pgs.push(pg);
      return pg;
    },
  };

  const results: ScenarioResult[] = [];
  try {
    // The cluster scenarios last among the Kafka ones that share the single broker: 6b (which needs every
    // node, and starts the cluster partitionable) before 6 (which leaves a node dead).
    const onCluster = (n: string) => ['6b', '6'].indexOf(n) + 1;
    const order = [...scenarios].sort((a, b) => onCluster(a.number) - onCluster(b.number));
    for (const s of order) {
      results.push(await s.run(infra, profile));
      for (const pg of pgs.splice(0)) await pg.destroy();
    }
  } finally {
    const stopping: Promise<unknown>[] = [];
    if (broker) stopping.push((broker as OwnBroker).destroy());
    if (cluster) stopping.push((cluster as OwnCluster).destroy());
    for (const pg of pgs) stopping.push(pg.destroy());
    await Promise.allSettled(stopping);
  }
  results.sort((a, b) => SCENARIOS.findIndex((s) => s.id === a.id) - SCENARIOS.findIndex((s) => s.id === b.id));

  const seconds = (Date.now() - t0) / 1000;
  const table = renderTable(results);
  process.stdout.write(`\n${table}\n`);
  const failed = results.filter((r) => !r.passed);
  say(`${results.length - failed.length}/${results.length} scenarios passed in ${(seconds / 60).toFixed(1)} min`);
  for (const r of failed) {
    say(`FAILED ${r.id} (logs: ${r.logDir}, all differences in verdict.txt):`);
    for (const line of [...r.problems, ...summarizeDetails(r.verdict?.details ?? []), ...r.logSummary.map((l) => `service log: ${l}`)]) {
      say(`  ${line.split('\n')[0]}`);
    }
  }
  const complete = !args.ci && args.only === null;
  if (args.report && complete) {
    const file = join(ROOT, 'docs', 'reliability.md');
    writeFileSync(file, renderReport(results, { profile: profile.name, seconds, machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB` }));
    say(`wrote ${file}`);
    // The soak's chart goes with the report that shows its table (scenario 9 draws it in its run folder).
    const chart = join(runDir, 's9-soak', 'soak.png');
    if (existsSync(chart)) copyFileSync(chart, join(ROOT, 'docs', 'reliability-soak.png'));
  }
  return failed.length === 0 ? 0 : 1;
}

main()
  .then((code) => {
    runExitCleanups();
    process.exit(code);
  })
  .catch((e: unknown) => {
    process.stderr.write(`[faults] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    runExitCleanups();
    process.exit(2);
  });
