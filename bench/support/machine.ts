import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

/** The machine the figures were measured on. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    cores: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel,
  };
}

export function load1(): number {
  return Math.round(loadavg()[0] * 100) / 100;
}

const CLOCK_TICKS = clockTicks();

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

interface MachineTicks {
  busy: number;
  total: number;
}

/** Aggregate CPU ticks of the whole machine from /proc/stat (busy = all but idle and iowait). */
function machineTicks(): MachineTicks | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

/** user + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, utime field 14, stime field 15
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

export interface ProcessMemory {
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMb: number;
  /** Current resident set size (VmRSS), MiB. */
  rssMb: number;
}

/** VmHWM and VmRSS from /proc/<pid>/status. */
export function processMemory(pid: number): ProcessMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakRssMb: Math.round(kb('VmHWM') / 102.4) / 10, rssMb: Math.round(kb('VmRSS') / 102.4) / 10 };
  } catch {
    return null;
  }
}

/** The pid of the process listening on a local TCP port (e.g. the Kafka broker), from `ss`. */
export function listeningPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const m = /pid=(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Where a meter finds the pids of one participant: a fixed pid, or a lookup run at start and stop. */
export type PidSource = number | (() => Promise<number[]>);

/** CPU use over a window: the whole machine, and each participant's CPU seconds and cores. */
export interface CpuUsage {
  wallS: number;
  /** Busy share of all cores, 0..100 (everything on the machine, other users included). */
  machineBusyPct: number;
  /** CPU seconds (user + system) each participant used in the window. */
  cpuSeconds: Record<string, number>;
  /** The same as cores (1.0 = one core busy for the whole window). */
  processCores: Record<string, number>;
  load1: number;
}

async function pidsOf(source: PidSource): Promise<number[]> {
  return typeof source === 'number' ? [source] : source().catch(() => []);
}

/**
 * Measures CPU over a window. A participant found by lookup (PostgreSQL backends, which come and go
 * with the pool) is looked up again at the end; a pid first seen then is counted from zero.
 */
export class CpuMeter {
  private constructor(
    private readonly sources: Record<string, PidSource>,
    private readonly t0: number,
    private readonly m0: MachineTicks | null,
    private readonly p0: Map<number, number>,
  ) {}

  static async start(sources: Record<string, PidSource | undefined>): Promise<CpuMeter> {
    const defined = Object.fromEntries(Object.entries(sources).filter(([, v]) => v !== undefined)) as Record<
      string,
      PidSource
    >;
    const p0 = new Map<number, number>();
    for (const source of Object.values(defined)) {
      for (const pid of await pidsOf(source)) {
        const cpu = processCpuSeconds(pid);
        if (cpu !== null) p0.set(pid, cpu);
      }
    }
    return new CpuMeter(defined, performance.now(), machineTicks(), p0);
  }

  async stop(): Promise<CpuUsage> {
    const wallS = (performance.now() - this.t0) / 1000;
    const m1 = machineTicks();
    const machineBusyPct =
      this.m0 && m1 && m1.total > this.m0.total
        ? Math.round(((m1.busy - this.m0.busy) / (m1.total - this.m0.total)) * 1000) / 10
        : Number.NaN;
    const cpuSeconds: Record<string, number> = {};
    const processCores: Record<string, number> = {};
    for (const [name, source] of Object.entries(this.sources)) {
      let total = 0;
      for (const pid of await pidsOf(source)) {
        const now = processCpuSeconds(pid);
        if (now !== null) total += now - (this.p0.get(pid) ?? 0);
      }
      cpuSeconds[name] = Math.round(total * 100) / 100;
      processCores[name] = wallS > 0 ? Math.round((total / wallS) * 100) / 100 : 0;
    }
    return { wallS: Math.round(wallS * 10) / 10, machineBusyPct, cpuSeconds, processCores, load1: load1() };
  }
}

/**
 * Where the CPU per message went: each participant's CPU ms per message, their sum (the pipeline's
 * budget per message), and the rate the machine's cores could sustain if nothing else ran and the
 * pipeline stayed CPU-bound (cores × 1000 / budget).
 */
export interface CpuBudget {
  msPerMessage: Record<string, number>;
  pipelineMsPerMessage: number;
  cpuBoundCeilingPerSecond: number;
}

export function cpuBudget(usage: CpuUsage | null, messages: number, cores: number): CpuBudget | null {
  if (!usage || messages <= 0) return null;
  const msPerMessage: Record<string, number> = {};
  let total = 0;
  for (const [name, seconds] of Object.entries(usage.cpuSeconds)) {
    msPerMessage[name] = Math.round(((seconds * 1000) / messages) * 1000) / 1000;
    total += seconds;
  }
  const pipelineMsPerMessage = Math.round(((total * 1000) / messages) * 1000) / 1000;
  return {
    msPerMessage,
    pipelineMsPerMessage,
    cpuBoundCeilingPerSecond:
      pipelineMsPerMessage > 0 ? Math.round((cores * 1000) / pipelineMsPerMessage) : Number.NaN,
  };
}
