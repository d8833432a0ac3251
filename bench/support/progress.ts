/** Progress lines on stderr while a phase runs; the results go to stdout. */

const t0 = performance.now();

export function say(message: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${message}\n`);
}

/** Prints `line()` every `everyMs` until the returned function is called. */
export function every(everyMs: number, line: () => string): () => void {
  const timer = setInterval(() => say(line()), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `done()` is true, printing `line()` every second; throws after `timeoutMs` or as soon
 * as `check()` throws (e.g. a child process died).
 */
export async function waitUntil(
  what: string,
  done: () => boolean,
  o: { timeoutMs: number; line?: () => string; check?: () => void; pollMs?: number },
): Promise<void> {
  const end = performance.now() + o.timeoutMs;
  const stop = o.line ? every(1000, o.line) : () => undefined;
  try {
    while (!done()) {
      o.check?.();
      if (performance.now() > end)
        throw new Error(`timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${what}`);
      await sleep(o.pollMs ?? 20);
    }
  } finally {
    stop();
  }
}
