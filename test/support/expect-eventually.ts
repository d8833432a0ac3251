import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retries `check` until it stops throwing (or returns a value), for asynchronous assertions without
 * fixed sleeps. Rethrows the last failure once `timeoutMs` has passed.
 */
export async function expectEventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    await delay(everyMs);
  }
}
