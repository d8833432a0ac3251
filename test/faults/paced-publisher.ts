import { setTimeout as delay } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import { connectCompleteProducer } from '../../libs/platform/src/kafka/kafka-client';
import { javaCompatiblePartitioner } from '../../libs/platform/src/kafka/murmur2.partitioner';
import { clientKafka } from './fault-infra';
import { ownTaskId } from './thread-priority';
import { startTsWorker } from './ts-worker';
import type { OutMessage } from './workload';

/**
 * A publisher that keeps its schedule whatever the suite's own heap does. The soak's suite holds the
 * reference model of every command it published (1 → 3 GB over 30 minutes); each major collection of
 * that heap stopped the publisher in the same thread for up to a second, which then sent the missed
 * second at once. The service answered those bursts late, so the soak's p99 rose with the suite's heap,
 * not the services'. This one runs in a worker thread (its own V8 heap of a few MB): the main thread
 * hands it batches ahead of time, and is told of every chunk written, in order (`onSent`: the main
 * thread feeds its reference model there, so a publisher that fails leaves nothing unwritten in it).
 */

interface Setup {
  role: 'paced-publisher';
  brokers: string;
  clientId: string;
  topic: string;
  ratePerSec: number;
  /** at most this many times the rate when catching up after a late start */
  catchUp: number;
  chunk: number;
  /** a chunk that cannot be written for this long fails the publisher */
  deadlineMs: number;
}

interface WireMessage {
  key: Uint8Array | string | null;
  value: Uint8Array | string | null;
  headers?: Record<string, Uint8Array | string>;
}

/** `go`: the schedule starts at t0 (epoch ms): message n is due at t0 + n / rate. */
type ToWorker = { kind: 'go'; t0: number } | { kind: 'batch'; messages: WireMessage[] } | { kind: 'end' };
type FromWorker =
  | { kind: 'ready'; taskId: number | null }
  | { kind: 'sent'; n: number; lateMs: number }
  | { kind: 'batch-done' }
  | { kind: 'note'; text: string }
  | { kind: 'failed'; error: string }
  | { kind: 'done' };

const asBuffer = (v: Uint8Array | string): Buffer | string => (typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength));

/** The worker's side: sends what it is handed, in order, chunk by chunk on the schedule. */
async function workerMain(o: Setup): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromWorker) => port.postMessage(m);
  const queue: ToWorker[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: ToWorker) => {
    queue.push(m);
    wake?.();
  });
  const kafka = clientKafka(o.brokers, o.clientId);
  let producer: Producer | null = null;
  let sent = 0;
  let lastSendAt = 0;
  let t0 = Date.now();
  try {
    producer = await connectCompleteProducer(kafka, javaCompatiblePartitioner);
    post({ kind: 'ready', taskId: ownTaskId() });
    for (;;) {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      const next = queue.shift() as ToWorker;
      if (next.kind === 'end') break;
      if (next.kind === 'go') {
        t0 = next.t0;
        continue;
      }
      for (let i = 0; i < next.messages.length; i += o.chunk) {
        const chunk = next.messages.slice(i, i + o.chunk);
        const due = Math.max(t0 + (sent / o.ratePerSec) * 1000, lastSendAt + (chunk.length / (o.catchUp * o.ratePerSec)) * 1000);
        if (due > Date.now()) await delay(due - Date.now());
        const lateMs = Math.max(0, Date.now() - (t0 + (sent / o.ratePerSec) * 1000));
        // the catch-up limit counts from the start of a send: a slow answer must not widen the gap
        const startedAt = Date.now();
        const giveUpAt = Date.now() + o.deadlineMs;
        for (let failures = 0; ; ) {
          try {
            producer ??= await connectCompleteProducer(kafka, javaCompatiblePartitioner);
            await producer.send({
              topic: o.topic,
              acks: -1,
              timeout: 30000,
              messages: chunk.map((m) => ({
                key: m.key === null ? null : asBuffer(m.key),
                value: m.value === null ? null : asBuffer(m.value),
                headers: m.headers ? Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, asBuffer(v)])) : undefined,
              })),
            });
            break;
          } catch (e) {
            failures++;
            const p = producer;
            producer = null;
            await p?.disconnect().catch(() => undefined);
            const text = e instanceof Error ? e.message : String(e);
            if (Date.now() > giveUpAt) throw new Error(`a chunk could not be written for ${o.deadlineMs / 1000} s: ${text}`, { cause: e });
            if (failures === 1 || failures % 10 === 0) post({ kind: 'note', text: `publish failed (${text}); re-sending the chunk` });
            await delay(Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
          }
        }
        lastSendAt = startedAt;
        sent += chunk.length;
        post({ kind: 'sent', n: chunk.length, lateMs });
      }
      post({ kind: 'batch-done' });
    }
    const p = producer;
    producer = null;
    await p?.disconnect().catch(() => undefined);
    post({ kind: 'done' });
  } catch (e) {
    post({ kind: 'failed', error: e instanceof Error ? e.message : String(e) });
  } finally {
    await producer?.disconnect().catch(() => undefined);
    port.close(); // nothing keeps the worker alive after this
  }
}

/** The main thread's handle on the worker. */
export class PacedPublisher {
  /** messages the worker has written */
  published = 0;
  /** handed over, not yet written, in order */
  private readonly unsent: OutMessage[] = [];
  /** The worker's Linux task id (thread-priority.ts), once it is ready; null where unknown. */
  taskId: number | null = null;
  private done = false;
  private lateMs = 0;
  private outstanding = 0;
  private failure: Error | null = null;
  private readonly waiters: (() => void)[] = [];
  private readonly finished: Promise<void>;
  private readonly ready: Promise<void>;
  private onReady: () => void = () => undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly say: (line: string) => void,
    private readonly onSent: (messages: OutMessage[]) => void,
  ) {
    this.ready = new Promise<void>((r) => (this.onReady = r));
    this.finished = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') {
          this.taskId = m.taskId;
          this.onReady();
        } else if (m.kind === 'sent') {
          this.published += m.n;
          this.lateMs = Math.max(this.lateMs, m.lateMs);
          this.onSent(this.unsent.splice(0, m.n));
        } else if (m.kind === 'batch-done') {
          this.outstanding--;
          this.waiters.splice(0).forEach((w) => w());
        } else if (m.kind === 'note') this.say(m.text);
        else if (m.kind === 'failed') {
          this.failure = new Error(`paced publisher: ${m.error}`);
          this.waiters.splice(0).forEach((w) => w());
          reject(this.failure);
        } else {
          this.done = true;
          resolve();
        }
      });
      worker.on('error', (e) => {
        this.failure = e;
        this.waiters.splice(0).forEach((w) => w());
        reject(e);
      });
      worker.on('exit', (code) => {
        if (!this.done && !this.failure) {
          this.failure = new Error(`paced publisher exited with code ${code} before it was done`);
          this.waiters.splice(0).forEach((w) => w());
          reject(this.failure);
        }
      });
    });
    this.finished.catch(() => undefined);
  }

  /** Starts the worker and waits until its producer is connected. */
  static async start(
    o: Omit<Setup, 'role' | 'catchUp' | 'chunk' | 'deadlineMs'> & Partial<Pick<Setup, 'catchUp' | 'chunk' | 'deadlineMs'>>,
    hooks: { say: (line: string) => void; onSent: (messages: OutMessage[]) => void },
  ): Promise<PacedPublisher> {
    const setup: Setup = { role: 'paced-publisher', catchUp: 2, chunk: 100, deadlineMs: 15 * 60_000, ...o };
    const worker = startTsWorker(__filename, setup);
    const p = new PacedPublisher(worker, hooks.say, hooks.onSent);
    try {
      await Promise.race([p.ready, p.finished]);
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return p;
  }

  /** Starts the schedule now; returns its start (epoch ms). */
  go(): number {
    const t0 = Date.now();
    this.worker.postMessage({ kind: 'go', t0 } satisfies ToWorker);
    return t0;
  }

  /**
   * Hands a batch over once fewer than `ahead` are unfinished (the one being sent counts): with the
   * default, the next batch waits in the worker while one is sent.
   */
  async enqueue(messages: OutMessage[], ahead = 2): Promise<void> {
    while (this.outstanding >= ahead && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
    this.outstanding++;
    for (const m of messages) this.unsent.push(m);
    this.worker.postMessage({ kind: 'batch', messages } satisfies ToWorker);
  }

  /** The most the schedule ran late since the last call (ms). */
  takeLateMs(): number {
    const v = this.lateMs;
    this.lateMs = 0;
    return v;
  }

  /** Sends what is queued, then stops the worker. */
  async finish(): Promise<void> {
    this.worker.postMessage({ kind: 'end' } satisfies ToWorker);
    try {
      await this.finished;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops at once (the scenario failed). */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }
}

if (!isMainThread && (workerData as Partial<Setup> | null)?.role === 'paced-publisher') void workerMain(workerData as Setup);
