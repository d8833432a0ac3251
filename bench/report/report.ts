import type { EndToEndResult, InstanceWork } from '../phases/end-to-end.phase';
import type { NotifierResult } from '../phases/notifier.phase';
import type { RawKafkaResult, RawKafkaRun } from '../phases/raw-kafka.phase';
import type { RawPostgresResult } from '../phases/raw-postgres.phase';
import type { PostgresInfo } from '../support/infra';
import type { CpuBudget, MachineInfo } from '../support/machine';
import type { StepStalls } from '../support/stalls';
import { existsSync, readFileSync } from 'node:fs';
import { fmtInt, fmtNum, round } from '../support/stats';

export type PhaseOutcome<T> = T | { error: string } | undefined;

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
}

/** What was in force on the path measured: the figures are only comparable under the same settings. */
export interface SecuritySettings {
  /** `SASL/SCRAM-SHA-512`, or `none`. */
  kafkaSasl: string;
  kafkaTls: boolean;
  /** The broker's ACL authorizer answered (describeAcls); each service ran as its own principal. */
  kafkaAcls: boolean | null;
  databaseTls: string;
  /** `off`, or the tracing variables set in the environment (names only). */
  tracing: string;
}

export interface BenchResults {
  runId: string;
  mode: string;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineInfo & { load1AtStart: number; load1AtEnd: number };
  infrastructure: {
    kafkaBrokers: string;
    kafkaStartedByBench: boolean;
    /** Brokers in the cluster's metadata, and the replication factor of the run's topics. */
    kafkaClusterBrokers: number;
    replicationFactor: number;
    security: SecuritySettings;
    postgres: PostgresInfo | null;
    database: string;
  };
  serviceSettings: Record<string, string>;
  counts: Record<string, unknown>;
  build: { built: boolean; ms: number };
  phases: {
    rawKafka?: PhaseOutcome<RawKafkaResult>;
    rawPostgres?: PhaseOutcome<RawPostgresResult>;
    endToEnd?: PhaseOutcome<EndToEndResult>;
    notifier?: PhaseOutcome<NotifierResult>;
    highCardinality?: PhaseOutcome<EndToEndResult>;
  };
  ratios: {
    endToEndOverRawKafka: number | null;
    endToEndOverRawPostgres: number | null;
    highCardinalityOverRawKafka: number | null;
  };
  /** attemptService: the higher of (c)'s and (e)'s measured processes. */
  peakRssMb: {
    attemptService: number | null;
    attemptServiceC: number | null;
    attemptServiceE: number | null;
    notifier: number | null;
  };
  /** (c) run alternately on the base and on this checkout, in the same run (`--base`); absent without it. */
  comparison?: AbComparison;
  targets: TargetCheck[];
  errors: string[];
}

/** One (c) run of the A/B rounds: the figures "no worse than now" compares. */
export interface AbRound {
  label: 'base' | 'main';
  commit: string;
  /** 1-based; each round runs both sides (the order: ab-rounds.ts). */
  round: number;
  saturationPerSecond: number | null;
  /** p99 in ms by offered rate; null for a step with missing commands. */
  p99MsAt: Record<string, number | null>;
  /** Commands never observed, by offered rate (only the steps that had some). */
  missingAt?: Record<string, number>;
  serviceMsPerCommand: number | null;
  postgresMsPerCommand: number | null;
  peakRssMb: number | null;
  /** The run failed: no figures. */
  error?: string;
}

export interface AbComparison {
  base: string;
  main: string;
  rounds: AbRound[];
  /** Fractions, as the baseline file's: main's saturation may be this much lower, a p99 this much higher. */
  tolerance: { saturation: number; p99: number };
}

/** An A/B round's figures from one (c) result (or its error). */
export function abRound(
  label: AbRound['label'],
  commit: string,
  round: number,
  result: PhaseOutcome<EndToEndResult>,
): AbRound {
  const c = ok(result);
  const failed = result && 'error' in result ? result.error : c ? undefined : 'not run';
  return {
    label,
    commit,
    round,
    saturationPerSecond: c?.saturation.perSecond ?? null,
    p99MsAt: Object.fromEntries(
      (c?.latency ?? []).map((l) => [String(l.offeredPerSecond), l.missing === 0 ? l.latency.p99Ms : null]),
    ),
    missingAt: Object.fromEntries(
      (c?.latency ?? []).filter((l) => l.missing > 0).map((l) => [String(l.offeredPerSecond), l.missing]),
    ),
    serviceMsPerCommand: c?.saturation.cpuBudget?.msPerMessage.service ?? null,
    postgresMsPerCommand: c?.saturation.cpuBudget?.msPerMessage.postgres ?? null,
    peakRssMb: c?.servicePeakRssMb ?? null,
    ...(failed ? { error: failed } : {}),
  };
}

/** The median of the finite values; null when there are none. */
export function medianOf(values: (number | null | undefined)[]): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** The offered rates the target names (p99 at 1,000/s and at 2,000/s). */
export const AB_JUDGED_RATES = [1000, 2000] as const;

/**
 * (c) no worse than the base, from the A/B rounds: main's median against the base's median, for
 * saturation and for p99 at 1,000 and 2,000/s. Main must not fail: a main run that failed is a MISS of
 * saturation, a main step with missing commands a MISS at its rate. A base run that failed, or a base
 * step with missing commands, is left out of the base's median (and said); a base with no figure
 * leaves the target unjudged (null).
 */
export function abChecks(ab: AbComparison, learners = 2000): TargetCheck[] {
  const side = (label: AbRound['label']) => ab.rounds.filter((r) => r.label === label);
  const [base, main] = [side('base'), side('main')];
  const short = (commit: string) => commit.slice(0, 7);
  const of = `(${short(ab.main)} against ${short(ab.base)}, medians of ${main.length} and ${base.length} alternating runs)`;
  /** "5,319 · failed · 4,777" */
  const list = (rounds: AbRound[], figure: (r: AbRound) => string) =>
    rounds.map((r) => (r.error ? 'failed' : figure(r))).join(' · ');

  const satB = medianOf(base.map((r) => r.saturationPerSecond));
  const satM = medianOf(main.map((r) => r.saturationPerSecond));
  // a main run without a saturation figure counts as failed, like one that threw
  const mainFailed = main.filter((r) => r.error !== undefined || r.saturationPerSecond === null);
  const satList = (rounds: AbRound[]) => list(rounds, (r) => fmtInt(r.saturationPerSecond));
  const checks: TargetCheck[] = [
    {
      target: `(c) ${fmtInt(learners)} learners: saturation no worse than before #23 ${of}, ≥ ${fmtNum(1 - ab.tolerance.saturation, 2)} × the base`,
      measured:
        mainFailed.length > 0
          ? `main round ${mainFailed.map((r) => r.round).join(', ')} failed: ${(mainFailed[0].error ?? 'no saturation figure').split('\n')[0].slice(0, 100)}`
          : satB === null || satM === null
            ? `— (base ${satList(base)})`
            : `${fmtInt(satM)}/s against ${fmtInt(satB)}/s: ${fmtNum(satM / satB, 2)} × (main ${satList(main)}; base ${satList(base)})`,
      pass:
        main.length === 0
          ? null
          : mainFailed.length > 0
            ? false
            : satB === null || satM === null
              ? null
              : satM >= satB * (1 - ab.tolerance.saturation),
    },
  ];
  for (const offered of AB_JUDGED_RATES) {
    const key = String(offered);
    if (!ab.rounds.some((r) => key in r.p99MsAt)) continue;
    const at = (r: AbRound) => r.p99MsAt[key] ?? null;
    const p99List = (rounds: AbRound[]) =>
      list(rounds, (r) => (r.missingAt?.[key] ? `${fmtInt(r.missingAt[key])} missing` : fmtNum(at(r), 1)));
    const pB = medianOf(base.map(at));
    const pM = medianOf(main.map(at));
    const mainMissing = main.filter((r) => r.error !== undefined || (r.missingAt?.[key] ?? 0) > 0 || at(r) === null);
    checks.push({
      target: `(c) ${fmtInt(learners)} learners: p99 at ${fmtInt(offered)}/s no worse than before #23 ${of}, ≤ ${fmtNum(1 + ab.tolerance.p99, 2)} × the base`,
      measured:
        mainMissing.length > 0
          ? `main without a p99 in round ${mainMissing.map((r) => r.round).join(', ')} (main ${p99List(main)}; base ${p99List(base)})`
          : pB === null || pM === null
            ? `— (base ${p99List(base)})`
            : `${fmtNum(pM, 1)} ms against ${fmtNum(pB, 1)} ms: ${fmtNum(pM / pB, 2)} × (main ${p99List(main)}; base ${p99List(base)})`,
      pass:
        main.length === 0
          ? null
          : mainMissing.length > 0
            ? false
            : pB === null || pM === null
              ? null
              : pM <= pB * (1 + ab.tolerance.p99),
    });
  }
  return checks;
}

/**
 * (c)'s figures of the code issue #23 was filed against, measured on one machine
 * (bench/results/baseline-c.json): "the 2,000-learner figures no worse than now" is judged against
 * them, with the run-to-run spread measured beside them as the tolerance, and only on a machine with
 * the same CPU model and cores (elsewhere it is not comparable, and says so).
 */
export interface EndToEndBaseline {
  commit: string;
  measuredAt: string;
  cpuModel: string;
  cores: number;
  /** The workload's learners: a run of another size (the smoke run's 200) is not judged. */
  learners: number;
  saturationPerSecond: number;
  /** p99 in ms by offered rate (commands/s). */
  p99MsAt: Record<string, number>;
  /** Fractions: saturation may be this much lower, a p99 this much higher. */
  tolerance: { saturation: number; p99: number };
}

/** Where the baseline lives, relative to the repository. */
export const BASELINE_FILE = 'bench/results/baseline-c.json';

/** The baseline file, or null when there is none; a malformed one is an error (it is committed). */
export function readBaseline(file: string): EndToEndBaseline | null {
  if (!existsSync(file)) return null;
  const b = JSON.parse(readFileSync(file, 'utf8')) as Partial<EndToEndBaseline>;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  const valid =
    typeof b.commit === 'string' &&
    typeof b.measuredAt === 'string' &&
    typeof b.cpuModel === 'string' &&
    num(b.cores) &&
    num(b.learners) &&
    num(b.saturationPerSecond) &&
    typeof b.p99MsAt === 'object' && b.p99MsAt !== null &&
    Object.entries(b.p99MsAt).every(([k, v]) => /^\d+$/.test(k) && num(v)) &&
    num(b.tolerance?.saturation) &&
    num(b.tolerance?.p99);
  if (!valid) throw new Error(`${file}: not a baseline (commit, measuredAt, cpuModel, cores, learners, saturationPerSecond, p99MsAt, tolerance)`);
  return b as EndToEndBaseline;
}

export function ok<T extends object>(p: PhaseOutcome<T>): T | undefined {
  return p && !('error' in p) ? p : undefined;
}

/** Ratios, RSS and the targets (issue #23), from the phase results. */
export function derive(
  r: Pick<BenchResults, 'phases'>,
  context: {
    baseline?: EndToEndBaseline | null;
    machine?: Pick<MachineInfo, 'cpuModel' | 'cores'>;
    /** The A/B rounds of this run: when present they judge "no worse than now" instead of the stored baseline. */
    comparison?: AbComparison;
  } = {},
): Pick<BenchResults, 'ratios' | 'peakRssMb' | 'targets'> {
  const a = ok(r.phases.rawKafka);
  const b = ok(r.phases.rawPostgres);
  const c = ok(r.phases.endToEnd);
  const e = ok(r.phases.highCardinality);
  const dRaw = ok(r.phases.notifier);
  const d = dRaw && dRaw.status === 'measured' ? dRaw : undefined;
  const sat = c?.saturation.perSecond ?? null;
  const satE = e?.saturation.perSecond ?? null;
  const ratio = (x: number | null | undefined, y: number | null | undefined) =>
    x && y ? round(x / y, 3) : null;
  const ratios = {
    endToEndOverRawKafka: ratio(sat, a?.perSecond),
    endToEndOverRawPostgres: ratio(sat, b?.perSecond),
    highCardinalityOverRawKafka: ratio(satE, a?.perSecond),
  };
  const rssC = c?.servicePeakRssMb ?? null;
  const rssE = e?.servicePeakRssMb ?? null;
  const measuredRss = [rssC, rssE].filter((v): v is number => v !== null);
  const peakRssMb = {
    attemptService: measuredRss.length ? Math.max(...measuredRss) : null,
    attemptServiceC: rssC,
    attemptServiceE: rssE,
    notifier: d?.peakRssMb ?? null,
  };
  const check = (value: number | null | undefined, pass: (v: number) => boolean) =>
    value === null || value === undefined || Number.isNaN(value) ? null : pass(value);
  const p99At = (offered: number, limitMs: number): TargetCheck => {
    const l = e?.latency.find((x) => x.offeredPerSecond === offered);
    return {
      target: `(e) ${e ? fmtInt(e.learners) : '60,000'} learners: p99 ≤ ${limitMs} ms at ${fmtInt(offered)}/s offered`,
      measured: l ? `${fmtNum(l.latency.p99Ms, 1)} ms${l.missing ? ` (${l.missing} missing)` : ''}` : '—',
      pass: l ? l.missing === 0 && l.latency.p99Ms <= limitMs : null,
    };
  };
  const mb = (v: number | null) => (v === null ? '—' : `${fmtNum(v, 0)} MB`);
  const targets: TargetCheck[] = [
    {
      target: `(e) ${e ? fmtInt(e.learners) : '60,000'} learners: ≥ 6,000 commands/s at saturation`,
      measured: satE === null ? '—' : `${fmtInt(satE)}/s`,
      pass: check(satE, (v) => v >= 6000),
    },
    p99At(1000, 25),
    p99At(2000, 50),
    {
      target: `(c) ${c ? fmtInt(c.learners) : '2,000'} learners: end to end ≥ 0.25 × raw Kafka (a)`,
      measured: ratios.endToEndOverRawKafka === null ? '—' : `${fmtNum(ratios.endToEndOverRawKafka, 2)} ×`,
      pass: check(ratios.endToEndOverRawKafka, (v) => v >= 0.25),
    },
    ...(context.comparison
      ? abChecks(context.comparison, c?.learners)
      : baselineChecks(c, context.baseline ?? null, context.machine)),
    {
      target: 'notifier ≥ 3,000 emails/s',
      measured: d
        ? d.perSecond === null
          ? '—'
          : `${fmtInt(d.perSecond)}/s`
        : dRaw?.status === 'skipped'
          ? 'skipped'
          : '—',
      pass: check(d?.perSecond, (v) => v >= 3000),
    },
    {
      target: 'attempt-service peak RSS ≤ 250 MB',
      measured:
        peakRssMb.attemptService === null
          ? '—'
          : `${mb(peakRssMb.attemptService)} (c ${mb(rssC)}, e ${mb(rssE)})`,
      pass: check(peakRssMb.attemptService, (v) => v <= 250),
    },
    {
      target: 'notifier peak RSS ≤ 250 MB',
      measured: mb(peakRssMb.notifier),
      pass: check(peakRssMb.notifier, (v) => v <= 250),
    },
  ];
  return { ratios, peakRssMb, targets };
}

/**
 * (c) no worse than the baseline: saturation, and p99 at each offered rate the baseline has. Not
 * judged (null) without (c), without a baseline, or on another kind of machine.
 */
export function baselineChecks(
  c: EndToEndResult | undefined,
  base: EndToEndBaseline | null,
  machine: Pick<MachineInfo, 'cpuModel' | 'cores'> | undefined,
): TargetCheck[] {
  const learners = c ? fmtInt(c.learners) : '2,000';
  const of = base ? ` (${base.commit})` : '';
  const sameMachine = base !== null && machine !== undefined && machine.cpuModel === base.cpuModel && machine.cores === base.cores;
  const sameWorkload = base !== null && c !== undefined && c.learners === base.learners;
  const comparable = sameMachine && sameWorkload;
  const why =
    base === null
      ? ' — no baseline file'
      : !sameMachine
        ? ` — baseline from ${base.cores} × ${base.cpuModel}: not comparable`
        : c !== undefined && !sameWorkload
          ? ` — baseline of ${fmtInt(base.learners)} learners: not comparable`
          : '';
  const satFloor = base ? base.saturationPerSecond * (1 - base.tolerance.saturation) : null;
  const sat = c?.saturation.perSecond ?? null;
  const checks: TargetCheck[] = [
    {
      target: `(c) ${learners} learners: saturation no worse than before #23${of}${satFloor === null ? '' : `, ≥ ${fmtInt(satFloor)}/s`}`,
      measured: `${sat === null ? '—' : `${fmtInt(sat)}/s`}${why}`,
      pass: sat !== null && comparable && satFloor !== null ? sat >= satFloor : null,
    },
  ];
  for (const [offered, p99] of Object.entries(base?.p99MsAt ?? {})) {
    const ceiling = p99 * (1 + (base?.tolerance.p99 ?? 0));
    const l = c?.latency.find((x) => x.offeredPerSecond === Number(offered));
    checks.push({
      target: `(c) ${learners} learners: p99 at ${fmtInt(Number(offered))}/s no worse than before #23${of}, ≤ ${fmtNum(ceiling, 1)} ms`,
      measured: `${l ? `${fmtNum(l.latency.p99Ms, 1)} ms${l.missing ? ` (${l.missing} missing)` : ''}` : '—'}${why}`,
      pass: l && comparable ? l.missing === 0 && l.latency.p99Ms <= ceiling : null,
    });
  }
  return checks;
}

/** "commands 20,000 / 40,000, partitions 0 / 1,2, relay on instance-2" */
function instanceWorkNote(work: InstanceWork[]): string {
  if (work.length === 0) return 'work per instance not read';
  const leader = work.findIndex((w) => w.relayLeader);
  return `commands ${work.map((w) => fmtInt(w.commands)).join(' / ')}, partitions ${work.map((w) => w.partitions.join(',') || '—').join(' / ')}, relay on ${leader < 0 ? 'none found' : `instance-${leader + 1}`}`;
}

const cores = (v: number | undefined) => (v === undefined ? '—' : `${fmtNum(v, 2)} cores`);

const perCommit = (p: { messagesPerCommit: number; walBytes?: number } | null) =>
  p
    ? `${fmtNum(p.messagesPerCommit, 1)} commands per database commit${p.walBytes === undefined ? '' : `, ${fmtInt(p.walBytes)} B of WAL per command (server-wide)`}`
    : 'commits not measured';

/** "CPU/msg: service 0.31 + postgres 0.20 + … = 0.70 ms → ≤ 2,857/s CPU-bound" */
function budget(b: CpuBudget | null | undefined, order: string[]): string {
  if (!b) return 'CPU per message not measured';
  const parts = order
    .filter((p) => b.msPerMessage[p] !== undefined)
    .map((p) => `${p} ${fmtNum(b.msPerMessage[p], 3)}`);
  return `CPU ms/msg: ${parts.join(' + ')} = ${fmtNum(b.pipelineMsPerMessage, 3)} → CPU-bound ceiling ${fmtInt(b.cpuBoundCeilingPerSecond)}/s`;
}

/**
 * (a) per Kafka client, in the order the runs alternated: rate and the relay's CPU per message (the
 * figure that survives a busy machine); or why the native client was not measured.
 */
function rawKafkaClientRows(a: RawKafkaResult): [string, string, string][] {
  const rows: [string, string, string][] = a.runs.map((run) => [
    `(a) ${run.client === 'native' ? 'native client' : 'kafkajs'}, run ${run.order}`,
    `${fmtInt(run.perSecond)} msg/s; relay ${fmtNum(run.cpuBudget?.msPerMessage.relay, 4)} ms CPU per message`,
    `pass-through ${cores(run.cpu?.processCores.relay)}, peak RSS ${fmtNum(run.relayPeakRssMb, 0)} MB, machine ${fmtNum(run.cpu?.machineBusyPct, 0)}% busy (load ${fmtNum(run.cpu?.load1, 1)}); ${budget(run.cpuBudget, ['relay', 'broker', 'bench'])}`,
  ]);
  if (!a.native.measured) rows.push(['(a) native client', 'not measured', a.native.reason]);
  else {
    const mean = (client: RawKafkaRun['client'], f: (r: RawKafkaRun) => number | null | undefined) => {
      const xs = a.runs
        .filter((r) => r.client === client)
        .map(f)
        .filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null;
    };
    const relayMs = (r: RawKafkaRun) => r.cpuBudget?.msPerMessage.relay;
    const [kRate, nRate, kCpu, nCpu] = [
      mean('kafkajs', (r) => r.perSecond),
      mean('native', (r) => r.perSecond),
      mean('kafkajs', relayMs),
      mean('native', relayMs),
    ];
    rows.push([
      `(a) native ÷ kafkajs (@confluentinc/kafka-javascript ${a.native.version})`,
      `rate ${kRate && nRate ? fmtNum(nRate / kRate, 2) : '—'} ×; relay CPU per message ${kCpu && nCpu ? fmtNum(nCpu / kCpu, 2) : '—'} ×`,
      `means over ${a.runs.length} alternating runs: kafkajs ${fmtInt(kRate)} msg/s at ${fmtNum(kCpu, 4)} ms, native ${fmtInt(nRate)} msg/s at ${fmtNum(nCpu, 4)} ms CPU per message`,
    ]);
  }
  return rows;
}

/** The results as Markdown (the same table goes into docs/performance.md). */
export function renderTable(r: BenchResults): string {
  const a = r.phases.rawKafka;
  const b = r.phases.rawPostgres;
  const c = r.phases.endToEnd;
  const e = r.phases.highCardinality;
  const d = r.phases.notifier;
  const rows: [string, string, string][] = [];
  const failed = (name: string, p: { error: string }) =>
    rows.push([name, 'failed', p.error.split('\n')[0].slice(0, 120)]);

  if (a && 'error' in a) failed('(a) raw Kafka consume → produce', a);
  else if (a) {
    rows.push([
      '(a) raw Kafka consume → produce',
      `${fmtInt(a.perSecond)} msg/s`,
      `${fmtInt(a.messages)} × ${a.avgMessageBytes} B, 3 partitions; kafkajs${a.runs.length > 1 ? ' (median run)' : ''}; pass-through ${cores(a.cpu?.processCores.relay)}, machine ${fmtNum(a.cpu?.machineBusyPct, 0)}% busy; ${budget(a.cpuBudget, ['relay', 'broker', 'bench'])}`,
    ]);
    rows.push(...rawKafkaClientRows(a));
  }
  if (b && 'error' in b) failed('(b) raw PostgreSQL, 1 tx/message', b);
  else if (b)
    rows.push([
      '(b) raw PostgreSQL, 1 tx/message',
      `${fmtInt(b.perSecond)} tx/s`,
      `${fmtInt(b.transactions)} × (UPDATE + outbox INSERT) on ${b.connections} connections; tx p50 ${fmtNum(b.transactionLatency.p50Ms)} ms, p99 ${fmtNum(b.transactionLatency.p99Ms)} ms; machine ${fmtNum(b.cpu.machineBusyPct, 0)}% busy; ${budget(b.cpuBudget, ['postgres', 'bench'])}`,
    ]);
  /** A step's possible stalls, in one clause: the service's and the bench's collections, checkpoints, the worst seconds. */
  const stallNote = (st: StepStalls | undefined): string => {
    if (!st) return 'stalls not recorded';
    const gc = st.serviceGc
      ? `service GC ${st.serviceGc.markCompact.count} mark-compact (Σ ${fmtNum(st.serviceGc.markCompact.totalMs, 0)} ms, max ${fmtNum(st.serviceGc.markCompact.maxMs, 0)}), ${st.serviceGc.scavenge.count} scavenge (Σ ${fmtNum(st.serviceGc.scavenge.totalMs, 0)} ms, max ${fmtNum(st.serviceGc.scavenge.maxMs, 0)})`
      : 'service GC not traced';
    const ckpt = st.checkpoints
      ? `${st.checkpoints.started} checkpoint${st.checkpoints.started === 1 ? '' : 's'} started${st.checkpoints.buffersWritten > 0 ? ` (${fmtInt(st.checkpoints.buffersWritten)} buffers written by the ones that ended)` : ''}`
      : 'checkpoints not read';
    const worst = st.p99PerSecond
      .map((v, i) => [i, v] as const)
      .filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([i, v]) => `s${i} ${fmtNum(v, 0)}`)
      .join(', ');
    return `${gc}; bench GC max ${fmtNum(st.benchGc.maxMs, 0)} ms; ${ckpt}; worst seconds' p99 (ms): ${worst}`;
  };
  const endToEndRows = (name: string, p: PhaseOutcome<EndToEndResult>) => {
    if (p && 'error' in p) failed(`${name} end to end`, p);
    else if (p) {
      const s = p.saturation;
      rows.push([
        `${name} end to end, ${fmtInt(p.learners)} learners, saturation`,
        `${fmtInt(s.perSecond)} commands/s`,
        `${fmtInt(s.commands)} pre-loaded over ${fmtInt(p.learners)} learners (${fmtNum(s.commands / p.learners, 1)} commands each; with start-up ${fmtInt((s.commands / s.wallMs) * 1000)}/s); ${perCommit(s.postgres)}; service ${cores(s.cpu?.processCores.service)}, machine ${fmtNum(s.cpu?.machineBusyPct, 0)}% busy; ${budget(s.cpuBudget, ['service', 'postgres', 'broker', 'bench'])}`,
      ]);
      for (const l of p.latency) {
        rows.push([
          `${name} ${fmtInt(p.learners)} learners, latency at ${fmtInt(l.offeredPerSecond)}/s offered`,
          `p50 ${fmtNum(l.latency.p50Ms)} / p95 ${fmtNum(l.latency.p95Ms)} / p99 ${fmtNum(l.latency.p99Ms)} ms`,
          `${fmtInt(l.commands)} commands at ${fmtInt(l.producedPerSecond)}/s, max ${fmtNum(l.latency.maxMs)} ms${l.missing ? `, ${fmtInt(l.missing)} MISSING` : ''}; ${perCommit(l.postgres)}; p50 split: produce → batch start ${fmtNum(l.breakdown.produceToBatchStartMs.p50Ms, 0)} ms, batch start → observed ${fmtNum(l.breakdown.batchStartToObservedMs.p50Ms, 0)} ms; service ${cores(l.cpu.processCores.service)}, machine ${fmtNum(l.cpu.machineBusyPct, 0)}% busy; ${budget(l.cpuBudget, ['service', 'postgres', 'broker', 'bench'])}; ${stallNote(l.stalls)}`,
        ]);
      }
      for (const k of p.scaling) {
        const instances = k.instanceCores.map((_, i) => `instance-${i + 1}`);
        rows.push([
          `${name} ${fmtInt(p.learners)} learners, ${k.instances} instance${k.instances === 1 ? '' : 's'} in one group`,
          `${fmtInt(k.perSecond)} commands/s; service ${fmtNum(k.serviceMsPerCommand, 3)} ms CPU per command`,
          `${fmtInt(k.commands)} commands produced once the group was stable; instances at ${k.instanceCores.map((x) => fmtNum(x, 2)).join(' / ')} cores, ${instanceWorkNote(k.instanceWork)}${k.split ? `; split: consuming ${fmtNum(k.split.consumeMsPerCommand, 3)} + relay ${fmtNum(k.split.relayMsPerCommand, 3)} ms per command` : ''}; peak RSS ${k.peakRssMb.map((x) => (x === null ? '—' : fmtNum(x, 0))).join(' / ')} MB; ${perCommit(k.postgres)}; machine ${fmtNum(k.cpu.machineBusyPct, 0)}% busy; ${budget(k.cpuBudget, [...instances, 'postgres', 'broker', 'bench'])}`,
        ]);
      }
    }
  };
  endToEndRows('(c)', c);
  for (const k of r.comparison?.rounds ?? []) {
    const name = `(c) A/B round ${k.round}, ${k.label} ${k.commit.slice(0, 7)}`;
    if (k.error) {
      rows.push([name, 'failed', k.error.split('\n')[0].slice(0, 120)]);
      continue;
    }
    const p99s = Object.entries(k.p99MsAt)
      .map(([offered, v]) => `${fmtNum(v, 1)} ms at ${fmtInt(Number(offered))}/s`)
      .join(', ');
    rows.push([
      name,
      `${fmtInt(k.saturationPerSecond)} commands/s; p99 ${p99s}`,
      `service ${fmtNum(k.serviceMsPerCommand, 3)} + PostgreSQL ${fmtNum(k.postgresMsPerCommand, 3)} ms CPU per command at saturation; peak RSS ${fmtNum(k.peakRssMb, 0)} MB${k.label === 'main' && k.round === 1 ? '; the (c) rows above' : ''}`,
    ]);
  }
  endToEndRows('(e)', e);
  if (d && 'error' in d) failed('(d) notifier', d);
  else if (d && d.status === 'skipped') rows.push(['(d) notifier', 'skipped', d.reason]);
  else if (d)
    rows.push([
      '(d) notifier → SendGrid endpoint',
      `${fmtInt(d.perSecond)} emails/s`,
      `${fmtInt(d.emails)} emails${d.duplicates ? `, ${d.duplicates} DUPLICATES` : ''}; notifier ${cores(d.cpu?.processCores.notifier)}, machine ${fmtNum(d.cpu?.machineBusyPct, 0)}% busy; ${budget(d.cpuBudget, ['notifier', 'postgres', 'broker', 'bench'])}`,
    ]);
  rows.push([
    'ratio (c)/(a)',
    r.ratios.endToEndOverRawKafka === null ? '—' : fmtNum(r.ratios.endToEndOverRawKafka, 2),
    'end-to-end saturation ÷ raw Kafka',
  ]);
  rows.push([
    'ratio (e)/(a)',
    r.ratios.highCardinalityOverRawKafka === null ? '—' : fmtNum(r.ratios.highCardinalityOverRawKafka, 2),
    'end-to-end saturation at high cardinality ÷ raw Kafka',
  ]);
  rows.push([
    'ratio (c)/(b)',
    r.ratios.endToEndOverRawPostgres === null ? '—' : fmtNum(r.ratios.endToEndOverRawPostgres, 2),
    'end-to-end saturation ÷ raw PostgreSQL',
  ]);
  const rssNote = (name: string, p: PhaseOutcome<EndToEndResult>) => {
    const x = ok(p);
    if (!x) return `${name} not measured`;
    const mbOf = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${fmtNum(v, 0)} MB`);
    return `${name} ${mbOf(x.servicePeakRssMb)} (${mbOf(x.saturation.servicePeakRssMb)} right after saturation, ${mbOf(x.saturation.readyRssMb)} RSS when it joined its group; set-up process ${mbOf(x.setupServicePeakRssMb)})`;
  };
  rows.push([
    'peak RSS attempt-service',
    r.peakRssMb.attemptService === null ? '—' : `${fmtNum(r.peakRssMb.attemptService, 0)} MB`,
    `VmHWM of the process that ran saturation and latency, the higher of: ${rssNote('(c)', c)}; ${rssNote('(e)', e)}`,
  ]);
  rows.push([
    'peak RSS notifier',
    r.peakRssMb.notifier === null ? '—' : `${fmtNum(r.peakRssMb.notifier, 0)} MB`,
    'VmHWM at the end of (d)',
  ]);
  rows.push([
    'cores',
    String(r.machine.cores),
    `${r.machine.cpuModel}; load average ${r.machine.load1AtStart} at start, ${r.machine.load1AtEnd} at end`,
  ]);

  const sec = r.infrastructure.security;
  const lines = [
    `Benchmark ${r.mode} run ${r.runId}, ${r.startedAt} (${fmtNum(r.durationS, 0)} s); Node ${r.machine.node}, ${r.infrastructure.postgres?.version ?? 'PostgreSQL ?'} (synchronous_commit ${r.infrastructure.postgres?.synchronousCommit ?? '?'}, autovacuum ${r.infrastructure.postgres?.autovacuum ?? '?'}; the bench runs VACUUM ANALYZE before each end-to-end window), Kafka on ${r.infrastructure.kafkaBrokers}${r.infrastructure.kafkaStartedByBench ? ' (started by the bench)' : ' (already running)'}, ${r.infrastructure.kafkaClusterBrokers} broker(s), topics with ${typeof r.counts.partitions === 'number' ? String(r.counts.partitions) : '?'} partitions and replication ${r.infrastructure.replicationFactor}`,
    '',
    `Security in force: Kafka ${sec.kafkaSasl}${sec.kafkaTls ? ' over TLS' : ' (plaintext on loopback)'}, ACL authorizer ${sec.kafkaAcls === null ? 'unknown' : sec.kafkaAcls ? 'on (each service as its own principal, LITERAL grants on the run\'s topics)' : 'off'}; PostgreSQL TLS ${sec.databaseTls}; tracing ${sec.tracing}.`,
    '',
    '| figure | value | how / notes |',
    '|---|---|---|',
    ...rows.map(([f, v, n]) => `| ${f} | ${v} | ${n.replace(/\|/g, '\\|')} |`),
    '',
    '| target | measured | result |',
    '|---|---|---|',
    ...r.targets.map(
      (t) =>
        `| ${t.target} | ${t.measured} | ${t.pass === null ? 'not measured' : t.pass ? 'PASS' : 'MISS'} |`,
    ),
  ];
  return lines.join('\n');
}
