import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { percentile, round } from './stats';

/**
 * What may have stopped a latency step's commands, recorded beside its percentiles so a tail can be
 * read against its causes in every run: the measured service's stop-the-world collections (from its
 * `--trace-gc` lines in its log), the bench's own (its clock times every command) and PostgreSQL's
 * checkpoints. Plus the p99 of each second's commands, to see whether a tail is one stall or spread.
 */

export interface PauseSummary {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * PostgreSQL counts a checkpoint when it starts (a timed one also when skipped for lack of writes), and
 * adds its buffers and times when it ends: a step can see a checkpoint started and its writes not yet counted.
 */
export interface CheckpointCounters {
  started: number;
  buffersWritten: number;
  writeMs: number;
  syncMs: number;
}

export interface StepStalls {
  /** The service's collections during the step; null when its log had no `--trace-gc` lines. */
  serviceGc: { scavenge: PauseSummary; markCompact: PauseSummary } | null;
  /** The bench process's own collections (it stamps each command's send and arrival). */
  benchGc: PauseSummary;
  /** Checkpoints PostgreSQL started during the step and what the ones that ended wrote (server-wide); null without a monitor. */
  checkpoints: CheckpointCounters | null;
  /** Pauses of 10 ms or more, in seconds since the step began. */
  pauses: { atS: number; ms: number; what: string }[];
  /** p99 (ms) of the commands sent in each second of the step. */
  p99PerSecond: number[];
}

export interface GcLine {
  /** ms since the process's V8 isolate started, when the collection ended */
  atMs: number;
  kind: 'scavenge' | 'mark-compact';
  pauseMs: number;
}

// [pid:0xisolate]   12034 ms: Scavenge 45.2 (60.1) -> 30.3 (60.1) MB, 1.23 / 0.00 ms  (average mu = …
// [pid:0xisolate]   20345 ms: Mark-Compact 120.1 (150.2) -> 60.3 (152.1) MB, 25.3 / 0.1 ms  (+ 30.2 ms in …
const TRACE_GC_PREFIX = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /;
const TRACE_GC = /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: (Scavenge|Minor Mark-(?:Sweep|Compact)|Mark-Compact|Mark-Sweep)[^,]*,(?: pooled: [\d.]+ MB,)? ([\d.]+) \/ [\d.]+ ms/;

/** A line of V8's `--trace-gc` output (a service log's other lines are pino's JSON). */
export const isTraceGcLine = (line: string): boolean => TRACE_GC_PREFIX.test(line);

/** The collections in V8's `--trace-gc` output (other lines are ignored). */
export function parseTraceGc(text: string): GcLine[] {
  const out: GcLine[] = [];
  for (const line of text.split('\n')) {
    const m = TRACE_GC.exec(line);
    if (!m) continue;
    out.push({ atMs: Number(m[1]), kind: m[2] === 'Scavenge' || m[2].startsWith('Minor') ? 'scavenge' : 'mark-compact', pauseMs: Number(m[3]) });
  }
  return out;
}

export function summarizePauses(ms: number[]): PauseSummary {
  return {
    count: ms.length,
    totalMs: round(ms.reduce((a, b) => a + b, 0), 1),
    maxMs: round(ms.length ? Math.max(...ms) : 0, 1),
  };
}

/** p99 of the latencies bucketed by the second (since the step began) their command was sent in. */
export function p99PerSecond(samples: { sentS: number; ms: number }[]): number[] {
  const buckets: number[][] = [];
  for (const s of samples) (buckets[Math.max(0, Math.floor(s.sentS))] ??= []).push(s.ms);
  return Array.from(buckets, (b) => (b && b.length > 0 ? round(percentile(b.sort((x, y) => x - y), 99), 1) : Number.NaN));
}

function readFrom(file: string, offset: number): string {
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Watches one step: call `stop` at its end. */
export class StallWatch {
  private readonly benchPauses: { at: number; ms: number }[] = [];
  private readonly observer: PerformanceObserver;

  private constructor(
    private readonly t0: number,
    private readonly service: { logFile: string; spawnedAt: number; logOffset: number } | null,
    private readonly checkpoints0: CheckpointCounters | null,
  ) {
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.benchPauses.push({ at: e.startTime, ms: e.duration });
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** `t0`: the step's start on `performance.now()`; `service.spawnedAt` on the same clock. */
  static start(t0: number, service: { logFile: string; spawnedAt: number } | null, checkpoints: CheckpointCounters | null): StallWatch {
    const offset = service ? statSync(service.logFile).size : 0;
    return new StallWatch(t0, service ? { ...service, logOffset: offset } : null, checkpoints);
  }

  stop(checkpoints: CheckpointCounters | null, latencies: { sentS: number; ms: number }[]): StepStalls {
    for (const e of this.observer.takeRecords()) this.benchPauses.push({ at: e.startTime, ms: e.duration });
    this.observer.disconnect();
    const pauses: StepStalls['pauses'] = [];
    const atS = (perf: number) => round((perf - this.t0) / 1000, 1);
    for (const p of this.benchPauses) if (p.ms >= 10) pauses.push({ atS: atS(p.at), ms: Math.round(p.ms), what: 'bench GC' });
    let serviceGc: StepStalls['serviceGc'] = null;
    if (this.service) {
      const gcs = parseTraceGc(readFrom(this.service.logFile, this.service.logOffset));
      if (gcs.length > 0) {
        serviceGc = {
          scavenge: summarizePauses(gcs.filter((g) => g.kind === 'scavenge').map((g) => g.pauseMs)),
          markCompact: summarizePauses(gcs.filter((g) => g.kind === 'mark-compact').map((g) => g.pauseMs)),
        };
        // V8 stamps a collection when it ends, in ms since the isolate started, which is after the spawn
        // by node's boot (tens of ms, more on a busy machine): placed up to ~0.1 s early, enough for
        // one-second buckets.
        for (const g of gcs)
          if (g.pauseMs >= 10) pauses.push({ atS: atS(this.service.spawnedAt + g.atMs - g.pauseMs), ms: Math.round(g.pauseMs), what: `service ${g.kind}` });
      }
    }
    pauses.sort((a, b) => a.atS - b.atS);
    const c0 = this.checkpoints0;
    return {
      serviceGc,
      benchGc: summarizePauses(this.benchPauses.map((p) => p.ms)),
      checkpoints:
        c0 && checkpoints
          ? {
              started: checkpoints.started - c0.started,
              buffersWritten: checkpoints.buffersWritten - c0.buffersWritten,
              writeMs: checkpoints.writeMs - c0.writeMs,
              syncMs: checkpoints.syncMs - c0.syncMs,
            }
          : null,
      pauses,
      p99PerSecond: p99PerSecond(latencies),
    };
  }
}
