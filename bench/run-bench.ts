/**
 * `npm run bench` / `npm run bench:smoke`: the project's benchmark (SPEC §7). In one run on the same
 * broker and database it measures (a) raw Kafka consume → produce, (b) raw PostgreSQL one transaction
 * per message, (c) the attempt-service end to end (saturation and latency at fixed rates) and (d) the
 * notifier's emails/s, with peak RSS of each service, and (e) the attempt-service end to end at
 * realistic key cardinality (60,000 learners, one command each per wave); optionally (--instances)
 * 1, 2, 3 instances in one group with their CPU per command. Prints a table with PASS/MISS per target (not
 * asserted) and writes the JSON results (bench/results/latest.json for a full run).
 * See docs/performance.md. `--help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs, type BenchConfig } from './bench.config';
import { runEndToEnd } from './phases/end-to-end.phase';
import { runNotifier } from './phases/notifier.phase';
import { runRawKafka } from './phases/raw-kafka.phase';
import { runRawPostgres } from './phases/raw-postgres.phase';
import { formatProfileSummary, summarizeProfile, type CpuProfile } from './profile-summary';
import {
  BASELINE_FILE,
  derive,
  ok,
  readBaseline,
  renderTable,
  type AbComparison,
  type BenchResults,
  type PhaseOutcome,
  type SecuritySettings,
} from './report/report';
import { localSaslEnabled } from '../scripts/kafka-credentials';
import { runAbRounds } from './support/ab-rounds';
import { commitOf, prepareBase, type CodeUnderTest } from './support/base-code';
import { BenchContext, effectiveTunables } from './support/context';
import {
  buildIfStale,
  ensureKafka,
  postgresInfo,
  resetDatabase,
  stopKafka,
  type PostgresInfo,
} from './support/infra';
import { benchKafka, deleteGroups, deleteTopics } from './support/kafka-tools';
import type { Admin } from 'kafkajs';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { load1, machineInfo } from './support/machine';
import { nativeClientStatus } from './support/native-client';
import { say } from './support/progress';
import { killAllChildren, stopAllChildren } from './support/service-process';

const ROOT = join(__dirname, '..');
/** Runs whose logs and profiles are kept (a full run logs ~60 MB: one line per command at info). */
const KEEP_RUNS = 5;

function pruneOldRuns(): void {
  for (const dir of ['bench/results/logs', 'bench/results/profiles'].map((d) => join(ROOT, d))) {
    if (!existsSync(dir)) continue;
    const runs = readdirSync(dir).sort().reverse();
    for (const old of runs.slice(KEEP_RUNS)) rmSync(join(dir, old), { recursive: true, force: true });
  }
}

/**
 * The security settings on the measured path, stated beside the figures: the bench's clients and the
 * services use SASL/SCRAM from the local credentials file when it is enabled; the ACL authorizer is
 * on when the broker answers describeAcls (a broker without one refuses it).
 */
async function securitySettings(admin: Admin): Promise<SecuritySettings> {
  let kafkaAcls: boolean | null;
  try {
    await admin.describeAcls({
      resourceType: AclResourceTypes.TOPIC,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    kafkaAcls = true;
  } catch (e) {
    kafkaAcls = /security|authoriz/i.test(e instanceof Error ? e.message : String(e)) ? false : null;
  }
  const tracingVars = Object.keys(process.env).filter((k) => /^(OTEL_|TRACING)/.test(k));
  return {
    kafkaSasl: localSaslEnabled() ? 'SASL/SCRAM-SHA-512' : 'without SASL',
    kafkaTls: process.env.KAFKA_SSL === 'true' || Boolean(process.env.KAFKA_SSL_CA_FILE ?? process.env.KAFKA_SSL_CERT_FILE),
    kafkaAcls,
    databaseTls: process.env.DATABASE_SSL ?? 'off',
    tracing: tracingVars.length === 0 ? 'off' : `settings in the environment: ${tracingVars.sort().join(', ')}`,
  };
}

async function main(): Promise<number> {
  let cfg: BenchConfig;
  try {
    cfg = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const startedAt = new Date();
  const runId = `${startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/proctoring_bench';
  pruneOldRuns();
  const machine = machineInfo();
  const load1AtStart = load1();
  say(
    `${cfg.mode} run ${runId}: phases ${cfg.phases.join(', ')} on ${machine.cores} cores (load average ${load1AtStart})`,
  );
  if (load1AtStart > machine.cores) {
    say(
      `warning: the machine is already busy (load ${load1AtStart} on ${machine.cores} cores); figures will be lower than on an idle machine`,
    );
  }

  if (process.env.KAFKA_CLIENT === 'native') {
    // the services' relay on the native client: refuse at once rather than in the middle of a phase
    const native = nativeClientStatus(ROOT);
    if (!native.installed) {
      process.stderr.write(`KAFKA_CLIENT=native: ${native.reason}\n`);
      return 2;
    }
    say(`KAFKA_CLIENT=native: the attempt-service's outbox relay produces through @confluentinc/kafka-javascript ${native.version}`);
  }
  const build =
    cfg.build === 'never' ? { built: false, ms: 0 } : await buildIfStale(ROOT, cfg.build === 'always');
  if (build.built) say(`built in ${(build.ms / 1000).toFixed(1)} s`);
  // The base of the A/B rounds, built before anything is measured (once per commit: var/bench-base/)
  let baseCode: CodeUnderTest | null = null;
  let mainCode: CodeUnderTest | null = null;
  if (cfg.base !== null && process.env.KAFKA_CLIENT === 'native') {
    // the base has no native relay: main's would be measured on another Kafka client than the base's
    process.stderr.write('KAFKA_CLIENT=native cannot be compared with a base: add --base=none\n');
    return 2;
  }
  if (cfg.base !== null) {
    try {
      baseCode = await prepareBase(ROOT, cfg.base);
      mainCode = { label: 'main', root: ROOT, commit: await commitOf(ROOT, 'HEAD') };
    } catch (e) {
      process.stderr.write(`--base=${cfg.base}: ${e instanceof Error ? e.message : String(e)}\n(--base=none judges against ${BASELINE_FILE} instead)\n`);
      return 2;
    }
  }
  const kafkaStarted = await ensureKafka(ROOT, brokers);
  const kafka = benchKafka(brokers.split(','));
  const admin = kafka.admin();
  await admin.connect();

  const phases: BenchResults['phases'] = {};
  const errors: string[] = [];
  let pg: PostgresInfo;
  const security = await securitySettings(admin);
  let ctx: BenchContext | null = null;
  let comparison: AbComparison | undefined;
  try {
    say(`resetting database ${new URL(databaseUrl).pathname.slice(1)} and running the migrations`);
    await resetDatabase(ROOT, databaseUrl);
    pg = await postgresInfo(databaseUrl);
    ctx = new BenchContext(ROOT, runId, cfg, brokers, kafka, admin, databaseUrl);
    await ctx.open();
    const c = ctx;
    const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<PhaseOutcome<T>> => {
      try {
        return await fn();
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        errors.push(`${name}: ${message}`);
        say(`${name} FAILED: ${message}`);
        await stopAllChildren();
        return { error: message };
      }
    };
    if (cfg.phases.includes('a')) phases.rawKafka = await attempt('(a) raw Kafka', () => runRawKafka(c));
    if (cfg.phases.includes('b'))
      phases.rawPostgres = await attempt('(b) raw PostgreSQL', () => runRawPostgres(c));
    /**
     * Drops and re-creates the database with `code`'s own migrations (the base's schema is not
     * main's), the monitor connection closed around it; a failed reset is the error reported, not
     * the reconnection that fails after it.
     */
    const freshDatabase = async (code: CodeUnderTest) => {
      await c.close();
      try {
        await resetDatabase(code.root, databaseUrl);
      } catch (e) {
        await c.open().catch(() => undefined);
        throw e;
      }
      await c.open();
    };
    if (cfg.phases.includes('c') && baseCode && mainCode) {
      const tolerance = readBaseline(join(ROOT, BASELINE_FILE))?.tolerance ?? { saturation: 0.1, p99: 0.25 };
      const ab = await runAbRounds(baseCode, mainCode, cfg.abRounds, tolerance, (slot) => {
        const { code, round, table } = slot;
        const name = table ? '(c) end to end' : `(c) A/B round ${round}, ${code.label}`;
        say(`(c) A/B round ${round} of ${cfg.abRounds}: ${code.label} ${code.commit.slice(0, 7)}${table ? ' (the (c) of the table)' : ''}`);
        const scope = `ab${round}-${code.label}`;
        return attempt(name, async () => {
          await freshDatabase(code);
          await c.checkpoint();
          try {
            // both sides of a round set up the same learners and exams; topics and groups are the run's own
            return await runEndToEnd(c, 'c', { scope, learnerScope: `ab${round}`, code, plain: !table });
          } finally {
            if (!cfg.keepTopics) await c.dropScope(scope);
          }
        });
      });
      comparison = ab.comparison;
      phases.endToEnd = ab.table;
      // (d) and (e) run on main's schema: after an even number of rounds the last run was the base's
      const last = ab.comparison.rounds.at(-1);
      if (last?.label === 'base' && (cfg.phases.includes('d') || cfg.phases.includes('e'))) {
        const m = mainCode;
        say(`the last A/B run was the base's: re-creating the database with main's migrations for (d) and (e)`);
        await attempt('re-creating the database for (d) and (e)', () => freshDatabase(m));
      }
    } else if (cfg.phases.includes('c'))
      phases.endToEnd = await attempt('(c) end to end', () => runEndToEnd(c, 'c'));
    if (cfg.phases.includes('d')) phases.notifier = await attempt('(d) notifier', () => runNotifier(c));
    if (cfg.phases.includes('e'))
      phases.highCardinality = await attempt('(e) end to end, high cardinality', () => runEndToEnd(c, 'e'));
  } finally {
    await stopAllChildren();
    await ctx?.close();
    if (ctx && !cfg.keepTopics) {
      await deleteGroups(admin, ctx.createdGroups).catch(() => undefined);
      await deleteTopics(admin, ctx.createdTopics).catch((e: unknown) =>
        say(`could not delete the run's topics: ${String(e)}`),
      );
    }
    await admin.disconnect();
    if (kafkaStarted) await stopKafka(ROOT, brokers);
  }

  const finishedAt = new Date();
  const results: BenchResults = {
    runId,
    mode: cfg.mode,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine: { ...machine, load1AtStart, load1AtEnd: load1() },
    infrastructure: {
      kafkaBrokers: brokers,
      kafkaStartedByBench: kafkaStarted,
      kafkaClusterBrokers: ctx?.clusterBrokers ?? 1,
      replicationFactor: ctx?.replicationFactor ?? 1,
      security,
      postgres: pg,
      database: new URL(databaseUrl).pathname.slice(1),
    },
    serviceSettings: effectiveTunables(),
    counts: {
      phases: cfg.phases,
      partitions: cfg.partitions,
      rawKafka: cfg.rawKafka,
      rawPostgres: cfg.rawPostgres,
      endToEnd: cfg.endToEnd,
      highCardinality: cfg.highCardinality,
      instances: cfg.instances,
      notifier: cfg.notifier,
      cpuProfile: cfg.cpuProfile,
      base: cfg.base,
      abRounds: cfg.base === null ? 0 : cfg.abRounds,
    },
    build,
    phases,
    ...(comparison ? { comparison } : {}),
    ...derive({ phases }, { baseline: readBaseline(join(ROOT, BASELINE_FILE)), machine, comparison }),
    errors,
  };
  // Relative to the checkout; an absolute --out stays where it was asked for.
  const out = resolve(ROOT, cfg.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);

  process.stdout.write(`\n${renderTable(results)}\n\n`);
  const notifierRun = ok(phases.notifier);
  const profiled: [string, Record<string, string>][] = [
    ...[ok(phases.endToEnd), ok(phases.highCardinality)]
      .filter((e2e) => e2e !== undefined)
      .map((e2e): [string, Record<string, string>] => [`attempt-service CPU profile, (${e2e.phase})`, e2e.profiles]),
    ...(notifierRun?.status === 'measured' ? [['notifier CPU profile, (d)', notifierRun.profiles] as [string, Record<string, string>]] : []),
  ];
  for (const [title, files] of profiled) {
    for (const [label, file] of Object.entries(files)) {
      if (!existsSync(file)) continue;
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      process.stdout.write(
        `${formatProfileSummary(`${title} ${label} (${relative(ROOT, file)})`, summarizeProfile(profile, 20))}\n\n`,
      );
    }
  }
  process.stdout.write(
    `results: ${relative(ROOT, out)}; service logs: ${relative(ROOT, join(ROOT, 'bench/results/logs', runId))}/\n`,
  );
  if (errors.length > 0) process.stdout.write(`errors:\n  ${errors.join('\n  ')}\n`);
  // Figures are reported, not asserted: only a phase that crashed makes the run fail.
  return errors.length > 0 ? 1 : 0;
}

process.once('SIGINT', () => {
  process.stderr.write('\n[bench] interrupted; stopping the services it started\n');
  killAllChildren();
  process.exit(130);
});

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    killAllChildren();
    process.exit(1);
  },
);
