/**
 * Loaded into a service with `node -r ts-node/register/transpile-only -r bench/support/cpu-profile.preload.ts`
 * when the bench runs with --cpu-prof. Each SIGUSR2 toggles the V8 sampling profiler: the first
 * starts it, the second stops it and writes `<BENCH_CPU_PROFILE_DIR>/<pid>-<n>.cpuprofile`, and so
 * on. This profiles exactly the measured windows (not start-up), and works although Nest ends the
 * process by re-raising SIGTERM (which `--cpu-prof` would not survive).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector';

const dir = process.env.BENCH_CPU_PROFILE_DIR ?? '.';
const intervalUs = Number(process.env.BENCH_CPU_PROFILE_INTERVAL_US ?? 500);
const session = new Session();
session.connect();
let running = false;
let n = 0;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function toggle(): Promise<void> {
  if (!running) {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: intervalUs });
    await post('Profiler.start');
    running = true;
    return;
  }
  const result = (await post('Profiler.stop')) as { profile: unknown };
  running = false;
  const file = join(dir, `${process.pid}-${++n}.cpuprofile`);
  writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
  renameSync(`${file}.tmp`, file);
}

process.on('SIGUSR2', () => {
  toggle().catch((e: unknown) => process.stderr.write(`cpu profile toggle failed: ${String(e)}\n`));
});
