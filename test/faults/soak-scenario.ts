import { writeFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { processMemory } from '../../bench/support/machine';
import { percentile } from '../../bench/support/stats';
import { clientKafka, say, type ServiceProcess } from './fault-infra';
import { groupLag, tryQuery } from './observer';
import { PacedPublisher } from './paced-publisher';
import { renderChart, type ChartSeries } from './png-chart';
import { runScenario, type World } from './scenario-kit';
import type { Infra, Profile, ScenarioDef } from './scenarios';
import { trendProblems, TREND, windowTable, type SoakWindow } from './soak-trend';
import { lowerOwnThreads } from './thread-priority';
import { examCatalog, interleave, learnerScripts, type Catalog, type OutMessage } from './workload';

/**
 * Scenario 9 (issue #15): a soak. The attempt-service, the notifier and the SendGrid stub (in a worker
 * thread of its own, threaded-stub.ts) run for
 * `durationMs` under a steady learner workload at `ratePerSec` (emails included); every `sampleMs` the
 * suite samples both services' RSS (/proc/<pid>/status) and V8 heap (`/metrics`), the outbox backlog,
 * the ledger's pending rows and the consumer lag; every command's latency is measured from the
 * broker's append of it to its outcome event. While it publishes, the suite's own threads run at nice 10
 * (thread-priority.ts), as if it were on another machine. Per window it reports means and percentiles, fails on an upward trend
 * (soak-trend.ts), draws the chart (`soak.png` in the run's folder; run-faults copies it to
 * docs/reliability-soak.png with the report), and the reference-model verdict still has to hold.
 */

export interface SoakProfile {
  durationMs: number;
  windowMs: number;
  ratePerSec: number;
  /** How often memory, backlogs and lag are sampled (a divisor of windowMs). */
  sampleMs: number;
}

/**
 * What the suite's own process needs per command published: the reference model, the outcome and
 * send bookkeeping, then the verdict's tallies (it reads every topic back message by message and keeps
 * ids and counts, not messages). The 3-minute reduced run (180,000 commands) held ~600 MB at its last window,
 * ~3.3 KB per command; the verdict's tallies add to that. Until the verdict kept messages it was
 * ~9.5 KB per command (17 GB for the full soak).
 */
const SUITE_KB_PER_COMMAND = 5;

/**
 * Refuses a soak whose verdict cannot fit (the suite would die of an out-of-memory error 20 minutes
 * in): above V8's heap limit (raise it with NODE_OPTIONS=--max-old-space-size=…) or the free memory.
 */
function memoryProblem(sp: SoakProfile): string | null {
  const commands = (sp.durationMs / 1000) * sp.ratePerSec;
  const needMb = (commands * SUITE_KB_PER_COMMAND) / 1024;
  const heapMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  const freeMb = freemem() / 2 ** 20;
  if (needMb <= heapMb && needMb <= freeMb) return null;
  const fits = Math.floor(((Math.min(heapMb, freeMb) * 1024) / SUITE_KB_PER_COMMAND / sp.ratePerSec / 60) * 10) / 10;
  return (
    `soak: ${sp.durationMs / 60_000} min at ${sp.ratePerSec}/s (${commands.toLocaleString('en-US')} commands) needs ~${(needMb / 1024).toFixed(1)} GB in the suite for the reference model and the verdict; ` +
    `V8's heap limit is ${(heapMb / 1024).toFixed(1)} GB and ${(freeMb / 1024).toFixed(1)} GB are free, enough for ~${fits} min. ` +
    'Set FAULTS_SOAK_MINUTES (e.g. 10, with NODE_OPTIONS=--max-old-space-size=8192) or raise the heap limit.'
  );
}

/** Learner workload generated lazily, this many commands at a time (~15 ms of generation, 5 s of traffic). */
const BATCH_COMMANDS = 5000;
/** Commands per learner: a learner's script spans one batch. */
const COMMANDS_PER_LEARNER = 10;

/** Batch `k` of the workload: fresh learners (their own tag, so ids never collide across batches). */
function soakBatch(tag: string, catalog: Catalog, k: number, commands: number): OutMessage[] {
  const scripts = learnerScripts({
    tag: `${tag}b${k}`,
    catalog,
    learners: Math.max(1, Math.round(commands / COMMANDS_PER_LEARNER)),
    commands,
    seed: 9000 + k,
    emailBias: 0.3,
  });
  return interleave(scripts, 19_000 + k).slice(0, commands);
}

const commandIdOf = (value: Buffer | null): string | null => {
  if (value === null) return null;
  try {
    const v = JSON.parse(value.toString('utf8')) as { id?: unknown };
    return typeof v.id === 'string' ? v.id : null;
  } catch {
    return null;
  }
};

/**
 * Command latencies, from the broker's append of the command (the soak's commands topic is
 * LogAppendTime) to the Kafka timestamp of its first outcome event (`CommandProcessed` /
 * `CommandRejected`, stamped by the relay's producer as it sends). Both stamps are taken outside the
 * suite, so its own pauses (a garbage collection of the reference model's heap while it publishes)
 * count in neither; a publish time taken by the suite did, and made the p99 climb with the suite's
 * heap. The two topics are read by one consumer and may arrive in either order; latencies are kept
 * per sample bucket of the outcome's timestamp.
 */
class LatencyWatch {
  private readonly appendedAt = new Map<string, number>();
  private readonly answeredAt = new Map<string, number>();
  readonly buckets = new Map<number, number[]>();
  dropped = 0;

  private constructor(
    private readonly commandsTopic: string,
    private readonly t0: () => number,
    private readonly bucketMs: number,
  ) {}

  static async start(w: World, tag: string, t0: () => number, bucketMs: number): Promise<{ watch: LatencyWatch; stop: () => Promise<void> }> {
    const consumer: Consumer = clientKafka(w.o.brokers, `faults-${w.o.id}-latency`).consumer({ groupId: `${w.o.id}-${tag}-latency`, sessionTimeout: 30_000, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topics: [w.topics.commands, w.topics.attemptEvents], fromBeginning: true });
    const watch = new LatencyWatch(w.topics.commands, t0, bucketMs);
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (batch.topic === watch.commandsTopic) watch.command(m.value, Number(m.timestamp));
          else watch.outcome(m.value, Number(m.timestamp));
        }
        await Promise.resolve();
      },
    });
    return { watch, stop: () => consumer.disconnect().catch(() => undefined) };
  }

  private command(value: Buffer | null, appendedAt: number): void {
    const id = commandIdOf(value);
    // A repeated id keeps its first append time (a repeat gets no outcome of its own).
    if (id === null || this.appendedAt.has(id)) return;
    const answered = this.answeredAt.get(id);
    if (answered === undefined) this.appendedAt.set(id, appendedAt);
    else {
      this.answeredAt.delete(id);
      this.record(appendedAt, answered);
    }
  }

  private outcome(value: Buffer | null, stampedAt: number): void {
    if (!value) return;
    const text = value.toString('utf8');
    if (!text.includes('"Command')) return;
    let e: { type?: string; data?: { commandId?: unknown } };
    try {
      e = JSON.parse(text) as typeof e;
    } catch {
      return;
    }
    if ((e.type !== 'CommandProcessed' && e.type !== 'CommandRejected') || typeof e.data?.commandId !== 'string') return;
    const id = e.data.commandId;
    const appended = this.appendedAt.get(id);
    if (appended === undefined) {
      // read before its command (another topic), or a re-published outcome: the first one counts
      if (!this.answeredAt.has(id)) this.answeredAt.set(id, stampedAt);
      return;
    }
    this.appendedAt.delete(id);
    this.record(appended, stampedAt);
  }

  private record(appendedAt: number, stampedAt: number): void {
    const bucket = Math.floor((stampedAt - this.t0()) / this.bucketMs);
    let list = this.buckets.get(bucket);
    if (!list) this.buckets.set(bucket, (list = []));
    list.push(Math.max(0, stampedAt - appendedAt));
  }

  /** Forgets commands appended more than `ms` ago without an outcome (repeats, mostly), and unpaired outcomes; returns how many commands. */
  prune(ms: number): number {
    const before = Date.now() - ms;
    let n = 0;
    for (const [id, at] of this.appendedAt) {
      if (at >= before) break; // insertion order is (per partition) append order: close enough to stop at the first young one
      this.appendedAt.delete(id);
      n++;
    }
    for (const [id, at] of this.answeredAt) {
      if (at >= before) break;
      this.answeredAt.delete(id);
    }
    this.dropped += n;
    return n;
  }

  latencies(fromBucket: number, toBucket: number): number[] {
    const out: number[] = [];
    for (let b = fromBucket; b < toBucket; b++) for (const v of this.buckets.get(b) ?? []) out.push(v);
    return out;
  }
}

interface Sample {
  /** seconds since the soak started */
  t: number;
  rss: { attemptService: number; notifier: number };
  heap: { attemptService: number; notifier: number };
  /** the live heap: heap used just after the latest full collection */
  liveHeap: { attemptService: number; notifier: number };
  /** RSS outside V8's heap: RSS less the heap's committed size (native buffers, malloc, code) */
  native: { attemptService: number; notifier: number };
  outboxBacklog: number;
  ledgerPending: number;
  commandLag: number;
  published: number;
  /** the most the publisher ran behind its schedule in the interval (ms) */
  publishLateMs?: number;
  /** the suite's own garbage-collection pauses of ≥ 20 ms in the interval, summed (ms) */
  suiteGcMs?: number;
}

/**
 * From a service's /metrics (the same names in both services, labelled `service`), in MiB: V8's heap used
 * now (`nodejs_heap_size_used_bytes`), just after its latest full collection
 * (`proctoring_heap_after_full_gc_bytes`, the live heap) and its committed size
 * (`nodejs_heap_size_total_bytes`). NaN for what could not be read.
 */
async function heapMb(svc: ServiceProcess | undefined): Promise<{ used: number; live: number; total: number }> {
  const none = { used: Number.NaN, live: Number.NaN, total: Number.NaN };
  if (!svc?.alive) return none;
  try {
    const res = await fetch(`http://127.0.0.1:${svc.httpPort}/metrics`, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    const read = (name: string) => {
      const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
      return m ? Number(m[1]) / 2 ** 20 : Number.NaN;
    };
    return { used: read('nodejs_heap_size_used_bytes'), live: read('proctoring_heap_after_full_gc_bytes'), total: read('nodejs_heap_size_total_bytes') };
  } catch {
    return none;
  }
}

const rssOf = (svc: ServiceProcess | undefined) => (svc?.alive ? (processMemory(svc.pid)?.rssMb ?? Number.NaN) : Number.NaN);
const mean = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : Number.NaN;
};
const floor = (xs: number[]) => {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? Math.min(...ok) : Number.NaN;
};
const round1 = (v: number) => Math.round(v * 10) / 10;

async function takeSample(w: World, t: number, published: number): Promise<Sample> {
  const svc = w.liveServices()[0];
  const notifier = w.notifiers.find((n) => n.alive);
  const [heapSvc, heapNotifier, counts, lag] = await Promise.all([
    heapMb(svc),
    heapMb(notifier),
    tryQuery(async () => {
      const r = await w.pool.query<{ backlog: string; pending: string }>(
        `SELECT (SELECT count(*) FROM attempts.outbox_pending) AS backlog,
                (SELECT count(*) FROM notifier.email_delivery WHERE status IN ('pending', 'sending')) AS pending`,
      );
      return { backlog: Number(r.rows[0].backlog), pending: Number(r.rows[0].pending) };
    }),
    groupLag(w.o.brokers, w.groupId, w.topics.commands),
  ]);
  const [rssSvc, rssNotifier] = [rssOf(svc), rssOf(notifier)];
  return {
    t,
    rss: { attemptService: rssSvc, notifier: rssNotifier },
    heap: { attemptService: heapSvc.used, notifier: heapNotifier.used },
    liveHeap: { attemptService: heapSvc.live, notifier: heapNotifier.live },
    native: { attemptService: rssSvc - heapSvc.total, notifier: rssNotifier - heapNotifier.total },
    outboxBacklog: counts?.backlog ?? Number.NaN,
    ledgerPending: counts?.pending ?? Number.NaN,
    commandLag: lag === null ? Number.NaN : Number(lag),
    published,
  };
}

async function tableSizes(w: World): Promise<{ outboxRows: number; ledgerRows: number }> {
  const r = await tryQuery(async () => {
    // PostgreSQL's estimate (kept by autovacuum's analyze), not count(*): counting a table of
    // millions of rows at every window's end was a multi-second scan the soak's own p99 then showed.
    const q = await w.pool.query<{ outbox: string; ledger: string }>(
      `SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = 'attempts.outbox_message'::regclass) AS outbox,
              (SELECT reltuples::bigint FROM pg_class WHERE oid = 'notifier.email_delivery'::regclass) AS ledger`,
    );
    return { outboxRows: Number(q.rows[0].outbox), ledgerRows: Number(q.rows[0].ledger) };
  });
  return r ?? { outboxRows: Number.NaN, ledgerRows: Number.NaN };
}

function chart(samples: Sample[], p99: [number, number][], title: string): Buffer {
  const min = (s: Sample) => s.t / 60;
  const line = (label: string, color: ChartSeries['color'], of: (s: Sample) => number): ChartSeries => ({ label, color, points: samples.map((s) => [min(s), of(s)]) });
  return renderChart({
    title,
    xLabel: 'minutes since the soak started',
    panels: [
      {
        title: 'Memory (MiB)',
        series: [
          line('attempt-service RSS', [31, 119, 180], (s) => s.rss.attemptService),
          line('notifier RSS', [255, 127, 14], (s) => s.rss.notifier),
          line('attempt-service live heap', [44, 160, 44], (s) => s.liveHeap.attemptService),
          line('notifier live heap', [214, 39, 40], (s) => s.liveHeap.notifier),
        ],
      },
      { title: 'Latency (ms), command appended to outcome event', series: [{ label: 'p99 per sample interval', color: [148, 103, 189], points: p99 }] },
    ],
  });
}

/** The suite's threads but the stub's and the publisher's run at this nice value while the soak publishes (thread-priority.ts). */
const SUITE_NICE = 10;

async function soakBody(w: World, tag: string, sp: SoakProfile): Promise<void> {
  const catalog = examCatalog(tag, 5);
  const stub = await w.startThreadedStub(5, 30);
  await w.startAttemptService();
  // The shipped notifier settings (the World's are tuned to catch sends in flight for scenario 2).
  await w.startNotifier({
    NOTIFIER_CONCURRENCY: '32',
    NOTIFIER_LEASE_MS: '120000',
    NOTIFIER_POLL_INTERVAL_MS: '500',
    NOTIFIER_RETRY_BASE_MS: '1000',
    NOTIFIER_RETRY_MAX_MS: '300000',
    SENDGRID_TIMEOUT_MS: '10000',
  });
  await w.publishExams(catalog.registrations);

  const total = Math.round((sp.durationMs / 1000) * sp.ratePerSec);
  let t0 = Date.now();
  const { watch: latency, stop: stopLatency } = await LatencyWatch.start(w, tag, () => t0, sp.sampleMs);
  const samples: Sample[] = [];
  const windowEnds: { published: number; sizes: { outboxRows: number; ledgerRows: number }; suiteRssMb: number }[] = [];
  let publishing = true;
  // The suite's own collections, for reading the latency against (they no longer pause the publisher).
  const gcPauses: { t: number; ms: number }[] = [];
  const gcWatch = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration >= 20) gcPauses.push({ t: (performance.timeOrigin + e.startTime - t0) / 1000, ms: Math.round(e.duration) });
  });
  gcWatch.observe({ entryTypes: ['gc'] });
  let publisher: PacedPublisher;
  try {
    // The reference model is fed with each chunk once it is written, in publish order.
    publisher = await PacedPublisher.start(
      { brokers: w.o.brokers, clientId: `faults-${w.o.id}-soak`, topic: w.topics.commands, ratePerSec: sp.ratePerSec },
      { say: (l) => say(`${w.o.id}: ${l}`), onSent: (chunk) => w.accept(chunk) },
    );
  } catch (e) {
    gcWatch.disconnect();
    await stopLatency();
    throw e;
  }
  t0 = publisher.go();
  const published = () => publisher.published;
  const sampler = (async () => {
    const perWindow = Math.round(sp.windowMs / sp.sampleMs);
    // Until the duration is over and publishing has ended (later, when the machine could not keep the
    // rate: then the last window is cut short there, and the trend check leaves it out).
    for (let k = 1; k * sp.sampleMs <= sp.durationMs || publishing; k++) {
      const due = t0 + k * sp.sampleMs;
      if (due > Date.now()) await delay(due - Date.now());
      samples.push({ ...(await takeSample(w, (due - t0) / 1000, published())), publishLateMs: publisher.takeLateMs(), suiteGcMs: gcPauses.filter((g) => g.t > (due - t0) / 1000 - sp.sampleMs / 1000 && g.t <= (due - t0) / 1000).reduce((n, g) => n + g.ms, 0) });
      latency.prune(120_000);
      const over = (k + 1) * sp.sampleMs > sp.durationMs && !publishing;
      if (samples.length % perWindow === 0 || over) {
        const sizes = await tableSizes(w);
        windowEnds.push({ published: published(), sizes, suiteRssMb: process.memoryUsage().rss / 2 ** 20 });
        const s = samples[samples.length - 1];
        say(
          `${w.o.id}: window ${windowEnds.length}: ${published()} published, RSS ${s.rss.attemptService}/${s.rss.notifier} MiB, heap ${s.heap.attemptService.toFixed(0)}/${s.heap.notifier.toFixed(0)} MiB (live ${s.liveHeap.attemptService.toFixed(0)}/${s.liveHeap.notifier.toFixed(0)}), ` +
            `outbox ${sizes.outboxRows} rows (${s.outboxBacklog} unpublished), ledger ${sizes.ledgerRows} rows (${s.ledgerPending} pending), suite RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
  })();

  const yielded = lowerOwnThreads(SUITE_NICE, [stub.taskId, publisher.taskId]);
  say(`${w.o.id}: ${yielded.lowered} of the suite's threads at nice ${SUITE_NICE} while it publishes (the SendGrid stub's and the publisher's as they were)`);
  let failed = true;
  try {
    // Batches handed to the worker ahead of their time; it sends on a global schedule and catches up
    // at most 2× after a late start.
    let queued = 0;
    for (let k = 0; queued < total; k++) {
      const batch = soakBatch(tag, catalog, k, Math.min(BATCH_COMMANDS, total - queued));
      await publisher.enqueue(batch);
      queued += batch.length;
      if (k % 12 === 0) say(`${w.o.id}: soak batch ${k} handed over (${publisher.published.toLocaleString('en-US')} published)`);
    }
    await publisher.finish();
    failed = false;
  } finally {
    // First, whatever else fails here: the scenarios after the soak run at the suite's own priority.
    const stuck = yielded.restore();
    if (stuck) say(`${w.o.id}: ${stuck}`);
    if (failed) await publisher.abort();
    publishing = false;
    await sampler;
    gcWatch.disconnect();
  }
  const publishedS = (Date.now() - t0) / 1000;
  await delay(5000); // the last outcomes' events reach the latency watch
  await stopLatency();

  const perWindow = Math.round(sp.windowMs / sp.sampleMs);
  const bucketsPerWindow = perWindow;
  const windows: SoakWindow[] = windowEnds.map((end, i) => {
    const own = samples.slice(i * perWindow, (i + 1) * perWindow);
    const lat = latency.latencies(i * bucketsPerWindow, (i + 1) * bucketsPerWindow).sort((a, b) => a - b);
    return {
      index: i + 1,
      fromS: (i * sp.windowMs) / 1000,
      toS: own.length ? own[own.length - 1].t : (i * sp.windowMs) / 1000,
      published: end.published - (i > 0 ? windowEnds[i - 1].published : 0),
      answered: lat.length,
      p50Ms: percentile(lat, 50),
      p99Ms: percentile(lat, 99),
      maxMs: lat.length ? lat[lat.length - 1] : Number.NaN,
      rssMb: { attemptService: round1(mean(own.map((s) => s.rss.attemptService))), notifier: round1(mean(own.map((s) => s.rss.notifier))) },
      nativeMb: { attemptService: round1(mean(own.map((s) => s.native.attemptService))), notifier: round1(mean(own.map((s) => s.native.notifier))) },
      liveHeapMb: { attemptService: round1(floor(own.map((s) => s.liveHeap.attemptService))), notifier: round1(floor(own.map((s) => s.liveHeap.notifier))) },
      heapMeanMb: { attemptService: round1(mean(own.map((s) => s.heap.attemptService))), notifier: round1(mean(own.map((s) => s.heap.notifier))) },
      outboxBacklogMax: Math.max(...own.map((s) => s.outboxBacklog).filter(Number.isFinite), 0),
      ledgerPendingMax: Math.max(...own.map((s) => s.ledgerPending).filter(Number.isFinite), 0),
      commandLagMax: Math.max(...own.map((s) => s.commandLag).filter(Number.isFinite), 0),
      outboxRows: end.sizes.outboxRows,
      ledgerRows: end.sizes.ledgerRows,
      suiteRssMb: round1(end.suiteRssMb),
    };
  });

  const minutes = sp.durationMs / 60_000;
  const title = `Soak (scenario 9): ${minutes} min at ${sp.ratePerSec.toLocaleString('en-US')} commands/s with emails`;
  const p99: [number, number][] = samples.map((s, i) => {
    const lat = (latency.buckets.get(i) ?? []).slice().sort((a, b) => a - b);
    return [s.t / 60, percentile(lat, 99)];
  });
  const png = chart(samples, p99, title);
  writeFileSync(join(w.logDir, 'soak.png'), png);
  writeFileSync(join(w.logDir, 'soak-samples.json'), JSON.stringify({ profile: sp, t0: new Date(t0).toISOString(), samples, p99PerSample: p99, windows, suiteGcPauses: gcPauses }, null, 1));
  const table = windowTable(windows);
  for (const l of table) say(`${w.o.id}: ${l}`);

  // A window cut short (publishing ran late) is in the table, not in the trend.
  const trend = trendProblems(
    windows.filter((x) => x.toS - x.fromS >= sp.windowMs / 2000),
    sp.ratePerSec,
    { windowMs: sp.windowMs },
  );
  for (const p of trend) w.problem(p);
  const answered = windows.reduce((n, x) => n + x.answered, 0);
  w.fault(
    `${minutes} min at ${sp.ratePerSec.toLocaleString('en-US')} commands/s`,
    `${published().toLocaleString('en-US')} commands in ${(publishedS / 60).toFixed(1)} min (${Math.round(published() / publishedS)}/s), ${windows.length} windows of ${sp.windowMs >= 60_000 ? `${sp.windowMs / 60_000} min` : `${sp.windowMs / 1000} s`}; ` +
      `latency measured on ${answered.toLocaleString('en-US')} outcomes (${latency.dropped.toLocaleString('en-US')} ids without an outcome within 2 min of their append: repeats, answered as duplicates); ${(w.stub?.requests.length ?? 0).toLocaleString('en-US')} emails at the stub; ` +
      `trend: ${trend.length === 0 ? 'none' : `${trend.length} problem(s)`}`,
  );
  w.notes.push(
    ...table,
    '',
    `RSS and RSS outside V8's heap (RSS less \`nodejs_heap_size_total_bytes\`): means of samples every ${sp.sampleMs / 1000} s; live heap: the window's lowest sample of the heap used just after the latest full collection (\`proctoring_heap_after_full_gc_bytes\`) / heap used: the mean; latency from the command's append (LogAppendTime) to its outcome event's Kafka timestamp, per window of that timestamp. ` +
      `The trend check ignores the warm-up (window 1, every window starting in the first ${TREND.warmupS} s, and every window until the first whose median command is answered within ${TREND.warmupP50Ms} ms) and allows, from the first window after it to the last: live heap (RSS and RSS outside the V8 heap too on windows of 5 min or more) +${TREND.memoryNetRise * 100} % net and +${TREND.memoryFitRise * 100} % on the least-squares line (at least ${TREND.memoryFloorMb} MiB), ` +
      `p99 ×${TREND.p99Factor} + ${sp.windowMs >= TREND.longWindowMs ? TREND.p99SlackMs : TREND.p99SlackShortMs} ms, backlogs ×${TREND.backlogFactor} (at least ${TREND.backlogFloorSeconds} s of traffic).`,
    '',
    '![soak: memory and p99 over time](reliability-soak.png)',
  );
}

export const soak: ScenarioDef = {
  id: 's9-soak',
  number: '9',
  title: 'soak at 1,000 commands/s with emails: RSS, heap, p99, outbox and ledger per window; no upward trend',
  run: async (infra: Infra, p: Profile) => {
    const broker = await infra.broker();
    const minutes = Number(process.env.FAULTS_SOAK_MINUTES ?? '');
    // FAULTS_SOAK_MINUTES=10: another duration, still 6 windows (each a whole number of samples).
    const windowMs = Math.max(p.soak.sampleMs, Math.round((minutes * 60_000) / 6 / p.soak.sampleMs) * p.soak.sampleMs);
    const sp: SoakProfile = Number.isFinite(minutes) && minutes > 0 ? { ...p.soak, windowMs, durationMs: 6 * windowMs } : p.soak;
    const title = `soak: ${sp.durationMs / 60_000} min at ${sp.ratePerSec.toLocaleString('en-US')} commands/s with emails; RSS, heap, p99, outbox and ledger per ${sp.windowMs >= 60_000 ? `${sp.windowMs / 60_000}-minute` : `${sp.windowMs / 1000}-second`} window; no upward trend`;
    // Its own PostgreSQL, configured like production (autovacuum on, fsync on): half an hour of churn
    // on a server that never vacuums measures that server, not the services (reliability.md, the first attempt).
    const pg = await infra.throwawayPostgres({ durable: true });
    return runScenario({ id: 's9-soak', title, brokers: broker.brokers, commandsStampedByBroker: true, pgServerUrl: pg.url, runDir: infra.runDir, runTag: infra.runTag }, async (w) => {
      const tooBig = memoryProblem(sp);
      if (tooBig) throw new Error(tooBig);
      await soakBody(w, `s9${infra.runTag}`, sp);
      await w.settle({ timeoutMs: 600_000, stallMs: 120_000 });
    });
  },
};
