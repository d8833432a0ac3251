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

  it('lowers every thread but the ones kept, and raises them again when privileged', async () => {
    const { worker, tid } = await idleWorker();
    try {
      expect(getPriority(tid)).toBe(0);
      const lowered = lowerOwnThreads(7, [tid]);
      try {
        expect(lowered.lowered).toBeGreaterThan(1); // the main thread and V8's / libuv's
        expect(getPriority(process.pid)).toBe(7);
        expect(getPriority(tid)).toBe(0);
      } finally {
        const stuck = lowered.restore();
        if (process.getuid?.() === 0) {
          expect(stuck).toBeNull();
          expect(getPriority(process.pid)).toBe(0);
        } else expect(stuck).toMatch(/stay at nice 7/);
      }
    } finally {
      await worker.terminate();
    }
  });
});
