import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { acceptAfterRandomDelay, SendGridStub, type RecordedRequest } from '../support/sendgrid-stub';
import { ownTaskId } from './thread-priority';
import { startTsWorker } from './ts-worker';

/*
 * The SendGrid stub in a worker thread of the suite, for the soak (scenario 9).
 *
 * In the suite's main thread the stub answers only when that thread runs, and over the full soak it
 * holds the reference model (1 → 3 GB): its major collections stopped the stub for ~1 s at a time, the
 * notifier's 32 sends in flight waited them out, and the ledger's pending rows jumped with them (the
 * full run of 2026-12-05: pending rows in a 10-second sample against the suite's GC in it, r = 0.55; the
 * worst samples, 1,105 and 1,062 pending, came with 1.1–1.2 s of suite GC). SendGrid does not pause with
 * the suite. Here the stub has its own V8 heap and event loop, answers every request after a random
 * 5–30 ms, and keeps nothing: it posts each request's event id to the main thread once answered, where
 * `requests` holds them for the verdict.
 */

interface Setup {
  role: 'sendgrid-stub';
  minDelayMs: number;
  maxDelayMs: number;
}

type ToWorker = { kind: 'flush' } | { kind: 'stop' };
type Seen = { eventId: string | null; receivedAt: number; status: number | null; method: string; path: string };
type FromWorker = { kind: 'ready'; baseUrl: string; taskId: number | null } | { kind: 'seen'; requests: Seen[] } | { kind: 'flushed' } | { kind: 'stopped' };

async function workerMain(o: Setup): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromWorker) => port.postMessage(m);
  let pending: Seen[] = [];
  // One message per 50 ms rather than per request: ~10 requests each at the soak's 180 emails/s.
  const send = () => {
    if (pending.length) post({ kind: 'seen', requests: pending });
    pending = [];
  };
  const timer = setInterval(send, 50);
  const stub = new SendGridStub({
    keep: false,
    onRequest: (r) =>
      pending.push({ eventId: r.body?.custom_args?.event_id ?? null, receivedAt: r.receivedAt, status: r.answeredStatus, method: r.method, path: r.path }),
  });
  stub.respondWith(acceptAfterRandomDelay(o.minDelayMs, o.maxDelayMs));
  await stub.start();
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'flush') {
      send();
      post({ kind: 'flushed' });
    } else {
      void stub.stop().then(() => {
        clearInterval(timer);
        send();
        post({ kind: 'stopped' });
        port.close();
      });
    }
  });
  post({ kind: 'ready', baseUrl: stub.baseUrl, taskId: ownTaskId() });
}

/** The main thread's side: the same `baseUrl`, `requests` (reduced to what the verdict reads) and `stop` as `SendGridStub`. */
export class ThreadedSendGridStub {
  /** Each answered request, as far as the verdict reads it: the event id in `body.custom_args`, no headers or raw body. */
  readonly requests: RecordedRequest[] = [];
  private readonly waiting: { kind: FromWorker['kind']; resolve: () => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly baseUrl: string,
    /** The thread's Linux task id (thread-priority.ts), null where unknown. */
    readonly taskId: number | null,
  ) {
    worker.on('message', (m: FromWorker) => {
      if (m.kind === 'seen') for (const r of m.requests) this.requests.push(toRecorded(r));
      else this.settle(m.kind);
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`SendGrid stub thread exited (code ${code})`)));
  }

  static async start(minDelayMs: number, maxDelayMs: number): Promise<ThreadedSendGridStub> {
    const setup: Setup = { role: 'sendgrid-stub', minDelayMs, maxDelayMs };
    const worker = startTsWorker(__filename, setup);
    const ready = await new Promise<Extract<FromWorker, { kind: 'ready' }>>((resolve, reject) => {
      worker.once('message', (m: FromWorker) => (m.kind === 'ready' ? resolve(m) : reject(new Error(`stub thread said ${m.kind} first`))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`SendGrid stub thread exited (code ${code}) before it was ready`)));
    });
    return new ThreadedSendGridStub(worker, ready.baseUrl, ready.taskId);
  }

  /** Resolves once every request answered so far is in `requests`. */
  async flush(): Promise<void> {
    await this.ask({ kind: 'flush' }, 'flushed');
  }

  async stop(): Promise<void> {
    try {
      await this.ask({ kind: 'stop' }, 'stopped');
    } finally {
      await this.worker.terminate();
    }
  }

  private ask(m: ToWorker, answer: FromWorker['kind']): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ kind: answer, resolve, reject });
      this.worker.postMessage(m);
    });
  }

  private settle(kind: FromWorker['kind']): void {
    const i = this.waiting.findIndex((w) => w.kind === kind);
    if (i >= 0) this.waiting.splice(i, 1)[0].resolve();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiting.splice(0).forEach((w) => w.reject(e));
  }
}

function toRecorded(r: Seen): RecordedRequest {
  return {
    method: r.method,
    path: r.path,
    headers: {},
    body: r.eventId === null ? undefined : { from: { email: '' }, personalizations: [], custom_args: { event_id: r.eventId } },
    rawBody: '',
    receivedAt: r.receivedAt,
    answeredStatus: r.status,
  };
}

if (!isMainThread && (workerData as Partial<Setup> | null)?.role === 'sendgrid-stub') void workerMain(workerData as Setup);
