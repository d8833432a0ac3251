import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { processCpuSeconds, processMemory, type ProcessMemory } from './machine';
import { isTraceGcLine } from './stalls';

export interface ServiceProcessOptions {
  name: string;
  /** The script node runs, e.g. dist/apps/attempt-service/src/main.js. */
  script: string;
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout and stderr go straight to this file (no pipe through the bench process). */
  logFile: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every child the bench started and has not seen exit, so an interrupted run can stop them (by pid). */
const live = new Set<ServiceProcess>();

/** A service run as a child `node` process, its output in a log file. */
export class ServiceProcess {
  readonly exited: Promise<ExitInfo>;
  readonly spawnedAt = performance.now();
  private exitInfo: ExitInfo | null = null;
  private lastMemory: ProcessMemory | null = null;

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        resolve(this.exitInfo);
      });
    });
  }

  static start(o: ServiceProcessOptions): ServiceProcess {
    const fd = openSync(o.logFile, 'a');
    try {
      const child = spawn(process.execPath, [...(o.nodeArgs ?? []), o.script], {
        cwd: o.cwd,
        env: o.env,
        stdio: ['ignore', fd, fd],
      });
      const p = new ServiceProcess(o.name, o.logFile, child);
      live.add(p);
      child.once('error', (e) => process.stderr.write(`[bench] could not start ${o.name}: ${e.message}\n`));
      return p;
    } finally {
      closeSync(fd);
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Peak (VmHWM) and current RSS; after exit, the last values read. */
  memory(): ProcessMemory | null {
    if (this.alive) this.lastMemory = processMemory(this.pid) ?? this.lastMemory;
    return this.lastMemory;
  }

  cpuSeconds(): number | null {
    return this.alive ? processCpuSeconds(this.pid) : null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child.kill(sig);
  }

  /** Throws, with the end of the log, when the process has exited. */
  assertAlive(): void {
    if (this.alive) return;
    const e = this.exitInfo;
    throw new Error(
      `${this.name} exited (code ${String(e?.code)}, signal ${String(e?.signal)}); last log lines:\n${this.logTail(15)}`,
    );
  }

  /** SIGTERM (the service drains and exits), then SIGKILL after `timeoutMs`. Samples memory first. */
  async stop(timeoutMs = 30_000): Promise<ExitInfo> {
    this.memory();
    if (!this.alive) return this.exitInfo as ExitInfo;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (first === 'timeout') {
      process.stderr.write(`[bench] ${this.name} did not stop within ${timeoutMs} ms; killing it\n`);
      this.child.kill('SIGKILL');
      return this.exited;
    }
    return first;
  }

  logTail(lines = 20): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      // without the service's --trace-gc lines, which would push the reason out of the tail
      return text
        .split('\n')
        .filter((l) => !isTraceGcLine(l))
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/** Kills every child still running (used when the bench itself is interrupted). */
export function killAllChildren(): void {
  for (const p of live) p.signal('SIGKILL');
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(15_000)));
}
