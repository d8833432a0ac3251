/** What one bench run does: the mode's counts, overridable from the command line. */

export type Mode = 'full' | 'smoke';
export type PhaseName = 'a' | 'b' | 'c' | 'd' | 'e';
export const ALL_PHASES: readonly PhaseName[] = ['a', 'b', 'c', 'd', 'e'];

/** The counts of one end-to-end workload: (c) few learners with many commands, (e) many learners. */
export interface EndToEndCounts {
  learners: number;
  exams: number;
  saturationCommands: number;
  rates: number[];
  rateSeconds: number;
  drainTimeoutMs: number;
}

export interface BenchConfig {
  mode: Mode;
  phases: PhaseName[];
  /** Partitions of every bench topic (the services' default). */
  partitions: number;
  build: 'auto' | 'always' | 'never';
  cpuProfile: boolean;
  keepTopics: boolean;
  /** Where the JSON results go, relative to the repository root. */
  out: string;
  /**
   * (a): messages copied per pass-through run; `rounds` runs per client (kafkajs and, when installed, the
   * bench-only native client, alternately).
   */
  rawKafka: { messages: number; rounds: number };
  rawPostgres: { transactions: number; connections: number };
  /** (c): 2,000 learners, 30 commands each; a database commit holds ~100 commands of few learners. */
  endToEnd: EndToEndCounts;
  /**
   * (e): the same path at realistic key cardinality — 60,000 learners, commands round-robin over them,
   * so any `learners` consecutive commands (a wave, a database commit) are each a different learner.
   */
  highCardinality: EndToEndCounts;
  /**
   * Scaling runs after each end-to-end phase's latency windows: for each count, that many
   * attempt-service instances in one consumer group drain a backlog; [] = none (`--instances=1,2,3`).
   */
  instances: number[];
  notifier: { emails: number };
  /** Longest wait for a saturation run to finish. */
  phaseTimeoutMs: number;
  /**
   * The commit (c) is compared with in the same run ("no worse than now", issue #23), or null: (c) then
   * runs `abRounds` times on each side, alternating B M, M B, B M, …; the first of main's runs is the (c)
   * of the table. Null: judged against bench/results/baseline-c.json, where the machine matches.
   */
  base: string | null;
  abRounds: number;
}

/** The code issue #23 was filed against: the base of "the 2,000-learner figures no worse than now". */
export const ISSUE_23_BASE = '51d5459568256723d515f24edf8bbe979d3af6b8';

const FULL: Omit<BenchConfig, 'phases' | 'build' | 'cpuProfile' | 'keepTopics' | 'out' | 'base'> = {
  mode: 'full',
  partitions: 3,
  rawKafka: { messages: 200_000, rounds: 1 },
  rawPostgres: { transactions: 20_000, connections: 3 },
  endToEnd: {
    learners: 2_000,
    exams: 20,
    saturationCommands: 60_000,
    rates: [500, 1_000, 2_000],
    rateSeconds: 30,
    drainTimeoutMs: 60_000,
  },
  highCardinality: {
    learners: 60_000,
    exams: 20,
    saturationCommands: 60_000,
    rates: [1_000, 2_000],
    rateSeconds: 30,
    drainTimeoutMs: 60_000,
  },
  instances: [],
  notifier: { emails: 20_000 },
  phaseTimeoutMs: 300_000,
  abRounds: 3,
};

const SMOKE: typeof FULL = {
  mode: 'smoke',
  partitions: 3,
  rawKafka: { messages: 3_000, rounds: 1 },
  rawPostgres: { transactions: 500, connections: 3 },
  endToEnd: {
    learners: 200,
    exams: 4,
    saturationCommands: 2_000,
    rates: [500, 1_000],
    rateSeconds: 2,
    drainTimeoutMs: 20_000,
  },
  highCardinality: {
    learners: 3_000,
    exams: 4,
    saturationCommands: 3_000,
    rates: [1_000],
    rateSeconds: 2,
    drainTimeoutMs: 20_000,
  },
  instances: [],
  notifier: { emails: 500 },
  phaseTimeoutMs: 60_000,
  abRounds: 1,
};

export const USAGE = `usage: npm run bench [-- options]        (npm run bench:smoke = --smoke)
  --smoke                 tiny counts (< 60 s), for CI; figures printed, not asserted
  --phases=a,b,c,d,e      run only these phases (a raw Kafka, b raw PostgreSQL, c end to end with 2,000
                          learners, d notifier, e end to end with 60,000 learners, one command each per wave)
  --cpu-prof              profile the attempt-service (saturation and each rate) and the notifier (its sending
                          window) into bench/results/profiles/
  --build=auto|always|never   rebuild dist/ when sources are newer (auto), always, or never
  --keep-topics           leave the run's topics and consumer groups on the broker
  --learners=N --exams=N --commands=N --rates=500,1000     counts of (c)
  --hc-learners=N --hc-exams=N --hc-commands=N --hc-rates=1000,2000   counts of (e)
  --rate-seconds=N        length of each latency window, (c) and (e)
  --instances=1,2,3       after each end-to-end phase run, drain a backlog of --commands (--hc-commands)
                          with 1, then 2, then 3 attempt-service instances in one group: rate and CPU
                          per command summed over the instances
  --raw-rounds=N          (a): N pass-through runs per Kafka client, kafkajs and native alternately (the
                          native client only when installed: npm run bench:native-setup)
  --base=REF|none         run (c) on REF and on this checkout alternately, --ab-rounds times each, and judge
                          "no worse than now" by the ratio of their medians (default for a full run:
                          ${ISSUE_23_BASE.slice(0, 7)}, the code issue #23 was filed against; REF is built once into
                          var/bench-base/, which needs the npm registry); none: judged against
                          bench/results/baseline-c.json on the machine it was measured on
  --ab-rounds=N           runs of (c) per side with --base (default 3)
  --raw-messages=N --pg-transactions=N --pg-connections=N --emails=N --out=path.json
Service settings come from the environment (COMMAND_BATCH_SIZE, PARTITIONS_CONSUMED_CONCURRENTLY,
OUTBOX_RELAY_BATCH_SIZE, DATABASE_POOL_SIZE, LOG_LEVEL, NOTIFIER_CONCURRENCY, …); the bench only sets
connections, topics, groups and ports; BENCH_SERVICE_NODE_OPTIONS passes V8 flags to the services only.
BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/proctoring_bench)
and KAFKA_BROKERS (default 127.0.0.1:9092) say where to run.`;

export function parseArgs(argv: string[]): BenchConfig {
  const opts = new Map<string, string>();
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}\n${USAGE}`);
    opts.set(m[1], m[2] ?? 'true');
  }
  const take = (name: string) => {
    const v = opts.get(name);
    opts.delete(name);
    return v;
  };
  const int = (name: string, fallback: number) => {
    const v = take(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) <= 0) throw new Error(`--${name} must be a positive integer`);
    return Number(v);
  };
  const customized = [
    'learners',
    'exams',
    'commands',
    'rates',
    'rate-seconds',
    'hc-learners',
    'hc-exams',
    'hc-commands',
    'hc-rates',
    'instances',
    'raw-messages',
    'raw-rounds',
    'pg-transactions',
    'pg-connections',
    'emails',
    'cpu-prof',
    'phases',
  ].some((k) => opts.has(k));
  // latest.json is a full run that compared (c) with the default base the default number of times
  const abAsked = opts.has('ab-rounds');
  const comparisonChanged = opts.has('base') || abAsked;
  const base = take('smoke') === 'true' ? SMOKE : FULL;
  const phasesArg = take('phases');
  const phases = phasesArg === undefined ? [...ALL_PHASES] : phasesArg.split(',').map((p) => p.trim());
  for (const p of phases)
    if (!(ALL_PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p}`);
  const list = (name: string, fallback: number[]) => {
    const v = take(name);
    if (v === undefined) return fallback;
    const values = v.split(',').map(Number);
    if (values.some((r) => !Number.isInteger(r) || r <= 0))
      throw new Error(`--${name} must list positive integers`);
    return values;
  };
  const rates = list('rates', base.endToEnd.rates);
  const hcRates = list('hc-rates', base.highCardinality.rates);
  const instances = list('instances', base.instances);
  const rateSeconds = int('rate-seconds', base.endToEnd.rateSeconds);
  const build = take('build') ?? 'auto';
  if (build !== 'auto' && build !== 'always' && build !== 'never')
    throw new Error('--build must be auto, always or never');
  const cfg: BenchConfig = {
    ...base,
    phases: phases as PhaseName[],
    build,
    cpuProfile: take('cpu-prof') === 'true',
    keepTopics: take('keep-topics') === 'true',
    rawKafka: { messages: int('raw-messages', base.rawKafka.messages), rounds: int('raw-rounds', base.rawKafka.rounds) },
    rawPostgres: {
      transactions: int('pg-transactions', base.rawPostgres.transactions),
      connections: int('pg-connections', base.rawPostgres.connections),
    },
    endToEnd: {
      ...base.endToEnd,
      learners: int('learners', base.endToEnd.learners),
      exams: int('exams', base.endToEnd.exams),
      saturationCommands: int('commands', base.endToEnd.saturationCommands),
      rates,
      rateSeconds,
    },
    highCardinality: {
      ...base.highCardinality,
      learners: int('hc-learners', base.highCardinality.learners),
      exams: int('hc-exams', base.highCardinality.exams),
      saturationCommands: int('hc-commands', base.highCardinality.saturationCommands),
      rates: hcRates,
      rateSeconds,
    },
    instances,
    notifier: { emails: int('emails', base.notifier.emails) },
    out: '',
    base: null,
    abRounds: int('ab-rounds', base.abRounds),
  };
  // The comparison is the full run's (and on demand): a partial or smoke run leaves it out unless asked.
  const baseArg = take('base');
  cfg.base =
    baseArg === 'none'
      ? null
      : (baseArg ?? (base.mode === 'full' && (!customized || abAsked) ? ISSUE_23_BASE : null));
  // handed to `git rev-parse` as one argument (no shell); a leading '-' would read as an option
  if (cfg.base !== null && !/^(?!-)[\w.~^/@{}-]+$/.test(cfg.base)) throw new Error('--base must name a commit, a branch or a tag');
  if (cfg.base !== null && !phases.includes('c')) throw new Error('--base compares (c): add c to --phases');
  if (cfg.base !== null && cfg.cpuProfile)
    throw new Error('--base with --cpu-prof would compare a profiled main with an unprofiled base: add --base=none');
  const out = take('out');
  // latest.json is only ever a complete full run with the default counts; docs/performance.md quotes it.
  cfg.out =
    out ??
    (base.mode === 'smoke'
      ? 'bench/results/smoke.json'
      : customized || comparisonChanged
        ? 'bench/results/partial.json'
        : 'bench/results/latest.json');
  if (opts.size > 0)
    throw new Error(`unknown option(s): ${[...opts.keys()].map((k) => `--${k}`).join(', ')}\n${USAGE}`);
  return cfg;
}
