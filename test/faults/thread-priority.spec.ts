import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { lowerOwnThreads, ownTaskId } from './thread-priority';

/** A worker thread that reports its task id the way ownTaskId reads it, then idles until terminated. */
async function idleWorker(): Promise<{ worker: Worker; tid: number }> {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.postMessage(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop())); setInterval(() => undefined, 1000);",
    { eval: true },
  );
  const tid = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, tid };
}

describe('the soak suite lowering its own threads', () => {
  it('knows its main thread by the process id', () => {
    expect(ownTaskId()).toBe(process.pid);
  });

  it('lowers every thread but the ones kept, and puts them back when it may', async () => {
    const start = getPriority(process.pid);
    const { worker, tid } = await idleWorker();
    try {
      const workerStart = getPriority(tid);
      const nice = Math.max(start, workerStart) + 3;
      const lowered = lowerOwnThreads(nice, [tid]);
      try {
        expect(lowered.lowered).toBeGreaterThan(1); // the main thread and V8's / libuv's
        expect(getPriority(process.pid)).toBe(nice);
        expect(getPriority(tid)).toBe(workerStart);
      } finally {
        const stuck = lowered.restore();
        // Raising a priority again needs CAP_SYS_NICE: either it is back, or restore says it is not.
        if (stuck === null) expect(getPriority(process.pid)).toBe(start);
        else {
          expect(stuck).toMatch(new RegExp(`stay at nice ${nice}`));
          expect(getPriority(process.pid)).toBe(nice);
        }
      }
    } finally {
      await worker.terminate();
    }
  });
});
