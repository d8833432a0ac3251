import type { EndToEndResult } from '../phases/end-to-end.phase';
import type { NotifierResult } from '../phases/notifier.phase';
import type { RawKafkaResult } from '../phases/raw-kafka.phase';
import type { RawPostgresResult } from '../phases/raw-postgres.phase';
import type { PostgresInfo } from '../support/infra';
import type { CpuBudget, MachineInfo } from '../support/machine';
import { fmtInt, fmtNum, round } from '../support/stats';

export type PhaseOutcome<T> = T | { error: string } | undefined;

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  pass: boolean | null;
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
  };
  ratios: { endToEndOverRawKafka: number | null; endToEndOverRawPostgres: number | null };
  peakRssMb: { attemptService: number | null; notifier: number | null };
  targets: TargetCheck[];
  errors: string[];
}

export function ok<T extends object>(p: PhaseOutcome<T>): T | undefined {
  return p && !('error' in p) ? p : undefined;
}

/** Ratios, RSS and the issue's targets, from the phase results. */
export function derive(
  r: Pick<BenchResults, 'phases'>,
): Pick<BenchResults, 'ratios' | 'peakRssMb' | 'targets'> {
  const a = ok(r.phases.rawKafka);
  const b = ok(r.phases.rawPostgres);
  const c = ok(r.phases.endToEnd);
  const dRaw = ok(r.phases.notifier);
  const d = dRaw && dRaw.status === 'measured' ? dRaw : undefined;
  const sat = c?.saturation.perSecond ?? null;
  const ratio = (x: number | null | undefined, y: number | null | undefined) =>
    x && y ? round(x / y, 3) : null;
  const ratios = {
    endToEndOverRawKafka: ratio(sat, a?.perSecond),
    endToEndOverRawPostgres: ratio(sat, b?.perSecond),
  };
  const peakRssMb = { attemptService: c?.servicePeakRssMb ?? null, notifier: d?.peakRssMb ?? null };
  const at1000 = c?.latency.find((l) => l.offeredPerSecond === 1000);
  const check = (value: number | null | undefined, pass: (v: number) => boolean) =>
    value === null || value === undefined || Number.isNaN(value) ? null : pass(value);
  const targets: TargetCheck[] = [
    {
      target: 'end to end ≥ 5,000 commands/s at saturation',
      measured: sat === null ? '—' : `${fmtInt(sat)}/s`,
      pass: check(sat, (v) => v >= 5000),
    },
    {
      target: 'end to end ≥ 0.3 × raw Kafka (a)',
      measured: ratios.endToEndOverRawKafka === null ? '—' : `${fmtNum(ratios.endToEndOverRawKafka, 2)} ×`,
      pass: check(ratios.endToEndOverRawKafka, (v) => v >= 0.3),
    },
    {
      target: 'p99 ≤ 100 ms at 1,000/s offered',
      measured: at1000
        ? `${fmtNum(at1000.latency.p99Ms, 1)} ms${at1000.missing ? ` (${at1000.missing} missing)` : ''}`
        : '—',
      pass: at1000 ? at1000.missing === 0 && at1000.latency.p99Ms <= 100 : null,
    },
    {
      target: 'notifier ≥ 1,000 emails/s',
      measured: d
        ? d.perSecond === null
          ? '—'
          : `${fmtInt(d.perSecond)}/s`
        : dRaw?.status === 'skipped'
          ? 'skipped'
          : '—',
      pass: check(d?.perSecond, (v) => v >= 1000),
    },
    {
      target: 'attempt-service peak RSS ≤ 300 MB',
      measured: peakRssMb.attemptService === null ? '—' : `${fmtNum(peakRssMb.attemptService, 0)} MB`,
      pass: check(peakRssMb.attemptService, (v) => v <= 300),
    },
    {
      target: 'notifier peak RSS ≤ 300 MB',
      measured: peakRssMb.notifier === null ? '—' : `${fmtNum(peakRssMb.notifier, 0)} MB`,
      pass: check(peakRssMb.notifier, (v) => v <= 300),
    },
  ];
  return { ratios, peakRssMb, targets };
}

const cores = (v: number | undefined) => (v === undefined ? '—' : `${fmtNum(v, 2)} cores`);

const perCommit = (p: { messagesPerCommit: number } | null) =>
  p ? `${fmtNum(p.messagesPerCommit, 1)} commands per database commit` : 'commits not measured';

/** "CPU/msg: service 0.31 + postgres 0.20 + … = 0.70 ms → ≤ 2,857/s CPU-bound" */
function budget(b: CpuBudget | null | undefined, order: string[]): string {
  if (!b) return 'CPU per message not measured';
  const parts = order
    .filter((p) => b.msPerMessage[p] !== undefined)
    .map((p) => `${p} ${fmtNum(b.msPerMessage[p], 3)}`);
  return `CPU ms/msg: ${parts.join(' + ')} = ${fmtNum(b.pipelineMsPerMessage, 3)} → CPU-bound ceiling ${fmtInt(b.cpuBoundCeilingPerSecond)}/s`;
}

/** The results as Markdown (the same table goes into docs/performance.md). */
export function renderTable(r: BenchResults): string {
  const a = r.phases.rawKafka;
  const b = r.phases.rawPostgres;
  const c = r.phases.endToEnd;
  const d = r.phases.notifier;
  const rows: [string, string, string][] = [];
  const failed = (name: string, p: { error: string }) =>
    rows.push([name, 'failed', p.error.split('\n')[0].slice(0, 120)]);

  if (a && 'error' in a) failed('(a) raw Kafka consume → produce', a);
  else if (a)
    rows.push([
      '(a) raw Kafka consume → produce',
      `${fmtInt(a.perSecond)} msg/s`,
      `${fmtInt(a.messages)} × ${a.avgMessageBytes} B, 3 partitions; pass-through ${cores(a.cpu?.processCores.relay)}, machine ${fmtNum(a.cpu?.machineBusyPct, 0)}% busy; ${budget(a.cpuBudget, ['relay', 'broker', 'bench'])}`,
    ]);
  if (b && 'error' in b) failed('(b) raw PostgreSQL, 1 tx/message', b);
  else if (b)
    rows.push([
      '(b) raw PostgreSQL, 1 tx/message',
      `${fmtInt(b.perSecond)} tx/s`,
      `${fmtInt(b.transactions)} × (UPDATE + outbox INSERT) on ${b.connections} connections; tx p50 ${fmtNum(b.transactionLatency.p50Ms)} ms, p99 ${fmtNum(b.transactionLatency.p99Ms)} ms; machine ${fmtNum(b.cpu.machineBusyPct, 0)}% busy; ${budget(b.cpuBudget, ['postgres', 'bench'])}`,
    ]);
  if (c && 'error' in c) failed('(c) end to end', c);
  else if (c) {
    const s = c.saturation;
    rows.push([
      '(c) end to end, saturation',
      `${fmtInt(s.perSecond)} commands/s`,
      `${fmtInt(s.commands)} pre-loaded, ${fmtInt(c.learners)} learners (with start-up ${fmtInt((s.commands / s.wallMs) * 1000)}/s); ${perCommit(s.postgres)}; service ${cores(s.cpu?.processCores.service)}, machine ${fmtNum(s.cpu?.machineBusyPct, 0)}% busy; ${budget(s.cpuBudget, ['service', 'postgres', 'broker', 'bench'])}`,
    ]);
    for (const l of c.latency) {
      rows.push([
        `(c) latency at ${fmtInt(l.offeredPerSecond)}/s offered`,
        `p50 ${fmtNum(l.latency.p50Ms)} / p95 ${fmtNum(l.latency.p95Ms)} / p99 ${fmtNum(l.latency.p99Ms)} ms`,
        `${fmtInt(l.commands)} commands at ${fmtInt(l.producedPerSecond)}/s, max ${fmtNum(l.latency.maxMs)} ms${l.missing ? `, ${fmtInt(l.missing)} MISSING` : ''}; ${perCommit(l.postgres)}; p50 split: produce → batch start ${fmtNum(l.breakdown.produceToBatchStartMs.p50Ms, 0)} ms, batch start → observed ${fmtNum(l.breakdown.batchStartToObservedMs.p50Ms, 0)} ms; service ${cores(l.cpu.processCores.service)}, machine ${fmtNum(l.cpu.machineBusyPct, 0)}% busy`,
      ]);
    }
  }
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
    'ratio (c)/(b)',
    r.ratios.endToEndOverRawPostgres === null ? '—' : fmtNum(r.ratios.endToEndOverRawPostgres, 2),
    'end-to-end saturation ÷ raw PostgreSQL',
  ]);
  const afterSat = c && !('error' in c) ? c.saturation.servicePeakRssMb : null;
  const readyRss = c && !('error' in c) ? c.saturation.readyRssMb : null;
  rows.push([
    'peak RSS attempt-service',
    r.peakRssMb.attemptService === null ? '—' : `${fmtNum(r.peakRssMb.attemptService, 0)} MB`,
    `VmHWM of the process that ran saturation and latency (${afterSat === null ? '—' : `${fmtNum(afterSat, 0)} MB`} right after saturation, ${readyRss === null || readyRss === undefined ? '—' : `${fmtNum(readyRss, 0)} MB`} RSS when it joined its group)`,
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

  const lines = [
    `Benchmark ${r.mode} run ${r.runId}, ${r.startedAt} (${fmtNum(r.durationS, 0)} s); Node ${r.machine.node}, ${r.infrastructure.postgres?.version ?? 'PostgreSQL ?'} (synchronous_commit ${r.infrastructure.postgres?.synchronousCommit ?? '?'}, autovacuum ${r.infrastructure.postgres?.autovacuum ?? '?'}; the bench runs VACUUM ANALYZE before each end-to-end window), Kafka on ${r.infrastructure.kafkaBrokers}${r.infrastructure.kafkaStartedByBench ? ' (started by the bench)' : ' (shared broker)'}`,
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
