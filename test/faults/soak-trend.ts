/**
 * The soak's windows (scenario 9) and its "no upward trend" check, kept apart from the scenario so
 * they can be unit-tested.
 */

/** One window of the soak: means of the samples taken in it, percentiles of the outcomes seen in it. */
export interface SoakWindow {
  index: number;
  fromS: number;
  toS: number;
  /** Commands published in the window. */
  published: number;
  /** Commands whose outcome event was stamped in the window (the latency sample). */
  answered: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean VmRSS (MiB) of the samples in the window. */
  rssMb: { attemptService: number; notifier: number };
  /**
   * Mean RSS outside V8's heap (MiB): VmRSS less the heap's committed size (`nodejs_heap_size_total_bytes`)
   * per sample: native buffers (kafkajs's, pg's), malloc arenas, code. A native leak raises it.
   */
  nativeMb: { attemptService: number; notifier: number };
  /**
   * The live heap (MiB, `proctoring_heap_after_full_gc_bytes`: V8's heap used just after the latest full
   * collection, what a leak raises), the lowest sample in the window.
   */
  liveHeapMb: { attemptService: number; notifier: number };
  /**
   * V8 heap used (MiB, `nodejs_heap_size_used_bytes`), the mean of the window's samples. It swings with
   * the collector (40 → 130 MiB in the attempt-service at 1,000/s, old-space garbage included until the
   * next full collection), so it is reported, not judged: its lowest sample in a 30-second window was
   * 40 MiB in one window and 58 in another with no leak (the reduced soak that failed CI at stop 29).
   */
  heapMeanMb: { attemptService: number; notifier: number };
  /** Largest backlogs seen by the samples: unpublished outbox rows, ledger rows pending or sending, commands not yet consumed. */
  outboxBacklogMax: number;
  ledgerPendingMax: number;
  commandLagMax: number;
  /** Table sizes at the window's end (both keep 7 days of rows by design, so they grow with the traffic). */
  outboxRows: number;
  ledgerRows: number;
  /** The suite's own resident set at the window's end (the reference model lives there). */
  suiteRssMb: number;
}

/*
 * Thresholds. Warm-up is left out of every check: the first window, every window that starts in the
 * first 90 s (`warmupS`), and every window until the first whose median command is answered within a
 * second (`warmupP50Ms`): a start that fell behind the offered rate is a backlog being caught up, not a
 * trend, as long as at least half the windows (and two) are left to judge (CI's reduced soak at stop 30: p50 4.6 / 6.3 / 7.9 / 3.4 s in windows 1–4 with 7–10 k commands
 * behind, then 273 and 242 ms; the notifier's RSS outside the V8 heap grew 86 → 114 MiB while it sent
 * that backlog's emails in window 5, then settled). After the warm-up every window is judged, slow or not. The JIT, the connection pools, kafkajs's buffers, malloc's arenas and V8's old
 * space grow to their working size there by design, and that takes longer than the reduced run's
 * 30-second window: the notifier's RSS outside the V8 heap went 75 → 81 → 101 → 105 → 106 → 106 MiB by
 * window (reduced soak, 2026-12-05), and the first soak after a build answered its first 90 s seconds
 * late (p50 4.4 s in window 1, 2.2 s in window 2, 49 ms in window 4; cause not established). After it, a
 * service at steady state only moves with the collector's sawtooth and malloc's arena reuse. "The first
 * judged window" below is normally window 2 of the full soak and window 4 of the reduced one.
 *
 * Memory is the live heap (the window's lowest sample, see `liveHeapMb`) and, on windows of 5 minutes or
 * more, the RSS outside V8's heap (`nativeMb`) and RSS itself (the window's mean). The notifier's RSS outside
 * the V8 heap settles at either ~70 or ~100–110 MiB, sometimes minutes into a run (CI at 9931e84: 76 → 88 →
 * 98 → 100 → 98 MiB in windows 4–8 with no backlog; 70 MiB flat over the 30-minute soak), so on 30-second
 * windows it is reported, not judged. The first two are
 * RSS without V8's sizing of its heap: V8 grows and shrinks its committed heap with the allocation rate,
 * so a 30-second window's RSS moves by tens of MiB with nothing leaking (the reduced soak of 2026-12-05:
 * notifier RSS 159 → 207 → 173 → 229 → 204 MiB by window while it caught up a backlog, its live heap
 * 37–41 MiB throughout); over 5-minute windows that averages out, and RSS is judged too.
 * - Net rise: the last window's value may exceed the first judged window's by at most 20 % (and at least
 *   16 MiB, so a live heap of 40 MiB is not failed for the work in flight at one full collection). For a
 *   ~200 MiB RSS that is ~40 MiB, above the sawtooth, yet a leak of ~30 bytes per command trips it in
 *   the full soak (1.5 M commands after the first window); the reduced run judges its last 90 k commands,
 *   so only a leak of ~200 bytes per command on the live heap trips it: it catches gross leaks only.
 * - Fitted rise: the least-squares line through the judged windows, times the span it covers, may rise
 *   by at most 15 % of the mean (same 16 MiB floor). It uses every window, so a climb whose end point
 *   happens to fall after a major GC is still seen, and one noisy end point alone does not fail it.
 * - p99: the last window's p99 may be at most twice the first judged window's plus 50 ms. The machine is
 *   shared (2 cores): a neighbour's burst moves p99 by tens of milliseconds, so only a doubling is a
 *   trend (a bloating index or an unbounded queue keeps growing and gets there over 30 minutes). On
 *   30-second windows the slack is 400 ms: such a window's p99 is its ~300th-worst command, set by one
 *   or two of the suite's own collections (four reduced soaks of 2026-12-05, windows 4–6 with no trend:
 *   199 / 521 / 159, 185 / 303 / 345, 381 / 350 / 201, 150 / 495 / 245 ms).
 * - Backlogs: at 1,000 commands/s the outbox, the ledger and the consumer normally hold well under a
 *   second of work. The last window's largest backlog may be at most twice the first judged window's,
 *   or 2 s of traffic (2,000 commands or outbox rows, 500 ledger rows: ~18 % of commands lead to an
 *   email), whichever is larger. Table sizes are reported, not judged: both keep 7 days of rows.
 */
export const TREND = {
  memoryNetRise: 0.2,
  memoryFitRise: 0.15,
  memoryFloorMb: 16,
  p99Factor: 2,
  p99SlackMs: 50,
  backlogFactor: 2,
  backlogFloorSeconds: 2,
  emailShare: 0.25,
  p99SlackShortMs: 400,
  longWindowMs: 5 * 60_000,
  warmupS: 90,
  warmupP50Ms: 1000,
} as const;

/** The windows after the warm-up (see above): from the first that starts after `warmupS` and answers its median command within `warmupP50Ms`. */
export function judgedWindows<W extends Pick<SoakWindow, 'index' | 'fromS' | 'p50Ms'>>(windows: readonly W[]): W[] {
  const start = windows.findIndex((w) => w.index > 1 && w.fromS >= TREND.warmupS && w.p50Ms <= TREND.warmupP50Ms);
  return start < 0 ? [] : windows.slice(start);
}

/** Slope of the least-squares line through (0, v0), (1, v1), …; 0 for fewer than two points. */
export function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    num += (i - mx) * (v - my);
    den += (i - mx) ** 2;
  });
  return num / den;
}

/** The problems of a soak's windows: one line per violated threshold; empty when there is no upward trend. */
export function trendProblems(windows: readonly SoakWindow[], ratePerSec: number, o: { windowMs: number }): string[] {
  const long = o.windowMs >= TREND.longWindowMs;
  const steady = judgedWindows(windows);
  // At least two windows, and at least half the run: a warm-up may not hide most of it.
  const need = Math.max(2, Math.ceil(windows.length / 2));
  if (steady.length < need) {
    const slow = windows.filter((w) => w.index > 1 && w.fromS >= TREND.warmupS && !(w.p50Ms <= TREND.warmupP50Ms) && (steady.length === 0 || w.index < steady[0].index));
    const why =
      slow.length === 0
        ? ''
        : steady.length === 0
          ? ` (the median command waited over ${TREND.warmupP50Ms} ms in every window after the first ${TREND.warmupS} s: the services never kept up with the offered rate)`
          : ` (the median command waited over ${TREND.warmupP50Ms} ms until window ${slow[slow.length - 1].index}: the services caught up with the offered rate too late)`;
    return [`soak: ${steady.length} of ${windows.length} window(s) measured after the warm-up${why}, at least ${need} are needed to judge a trend`];
  }
  const problems: string[] = [];
  const first = steady[0];
  const last = steady[steady.length - 1];
  const memory: [string, (w: SoakWindow) => number][] = [
    ...(long
      ? ([
          ['attempt-service RSS', (w) => w.rssMb.attemptService],
          ['notifier RSS', (w) => w.rssMb.notifier],
          ['attempt-service RSS outside the V8 heap', (w) => w.nativeMb.attemptService],
          ['notifier RSS outside the V8 heap', (w) => w.nativeMb.notifier],
        ] as [string, (w: SoakWindow) => number][])
      : []),
    ['attempt-service live heap', (w) => w.liveHeapMb.attemptService],
    ['notifier live heap', (w) => w.liveHeapMb.notifier],
  ];
  for (const [name, of] of memory) {
    const values = steady.map(of);
    if (values.some((v) => !Number.isFinite(v))) {
      problems.push(`soak: ${name} was not measured in every window`);
      continue;
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const net = of(last) - of(first);
    const netLimit = Math.max(TREND.memoryNetRise * of(first), TREND.memoryFloorMb);
    if (net > netLimit)
      problems.push(`soak: ${name} rose ${net.toFixed(1)} MiB from window ${first.index} to window ${last.index} (${of(first).toFixed(1)} → ${of(last).toFixed(1)} MiB; limit ${netLimit.toFixed(1)})`);
    const fitted = slope(values) * (values.length - 1);
    const fitLimit = Math.max(TREND.memoryFitRise * mean, TREND.memoryFloorMb);
    if (fitted > fitLimit)
      problems.push(`soak: ${name} climbs: the least-squares line over windows ${first.index}..${last.index} rises ${fitted.toFixed(1)} MiB (limit ${fitLimit.toFixed(1)})`);
  }
  const p99Limit = TREND.p99Factor * first.p99Ms + (long ? TREND.p99SlackMs : TREND.p99SlackShortMs);
  if (!(last.p99Ms <= p99Limit)) problems.push(`soak: p99 rose from ${first.p99Ms} ms (window ${first.index}) to ${last.p99Ms} ms (window ${last.index}; limit ${p99Limit.toFixed(0)} ms)`);
  const floor = TREND.backlogFloorSeconds * ratePerSec;
  const backlogs: [string, (w: SoakWindow) => number, number][] = [
    ['outbox backlog', (w) => w.outboxBacklogMax, floor],
    ['ledger pending', (w) => w.ledgerPendingMax, floor * TREND.emailShare],
    ['commands lag', (w) => w.commandLagMax, floor],
  ];
  for (const [name, of, min] of backlogs) {
    const limit = Math.max(TREND.backlogFactor * of(first), min);
    if (!(of(last) <= limit)) problems.push(`soak: ${name} grew to ${of(last)} in window ${last.index} (window ${first.index}: ${of(first)}; limit ${limit})`);
  }
  return problems;
}

const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const n1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');

/** The window table, as Markdown. */
export function windowTable(windows: readonly SoakWindow[]): string[] {
  const head = [
    'Window',
    'Commands',
    'p50 / p99 / max ms',
    'RSS / outside the V8 heap MiB (service; notifier)',
    'Live heap / heap mean MiB (service; notifier)',
    'Outbox backlog max',
    'Ledger pending max',
    'Commands lag max',
    'Outbox rows (est.)',
    'Ledger rows (est.)',
    'Suite RSS MiB',
  ];
  const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
  const rows = windows.map((w) => [
    `${w.index} (${mmss(w.fromS)}–${mmss(w.toS)})`,
    n0(w.published),
    `${n1(w.p50Ms)} / ${n1(w.p99Ms)} / ${n1(w.maxMs)}`,
    `${n1(w.rssMb.attemptService)} / ${n1(w.nativeMb.attemptService)}; ${n1(w.rssMb.notifier)} / ${n1(w.nativeMb.notifier)}`,
    `${n1(w.liveHeapMb.attemptService)} / ${n1(w.heapMeanMb.attemptService)}; ${n1(w.liveHeapMb.notifier)} / ${n1(w.heapMeanMb.notifier)}`,
    n0(w.outboxBacklogMax),
    n0(w.ledgerPendingMax),
    n0(w.commandLagMax),
    n0(w.outboxRows),
    n0(w.ledgerRows),
    n0(w.suiteRssMb),
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)];
}
