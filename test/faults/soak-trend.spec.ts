import { slope, trendProblems, windowTable, type SoakWindow } from './soak-trend';

function window(index: number, o: { rss?: number; native?: number; heap?: number; p99?: number; backlog?: number } = {}): SoakWindow {
  return {
    index,
    fromS: (index - 1) * 300,
    toS: index * 300,
    published: 300_000,
    answered: 290_000,
    p50Ms: 10,
    p99Ms: o.p99 ?? 40,
    maxMs: 120,
    rssMb: { attemptService: o.rss ?? 250, notifier: 180 },
    nativeMb: { attemptService: o.native ?? 110, notifier: 90 },
    liveHeapMb: { attemptService: o.heap ?? 60, notifier: 40 },
    heapMeanMb: { attemptService: (o.heap ?? 60) + 30, notifier: 60 },
    outboxBacklogMax: o.backlog ?? 300,
    ledgerPendingMax: 50,
    commandLagMax: 400,
    outboxRows: index * 700_000,
    ledgerRows: index * 55_000,
    suiteRssMb: 900,
  };
}

const RSS = { windowMs: 300_000 };

describe('soak trend check', () => {
  it('fits a least-squares slope', () => {
    expect(slope([1, 2, 3, 4])).toBeCloseTo(1);
    expect(slope([5, 5, 5])).toBe(0);
    expect(slope([7])).toBe(0);
  });

  it('passes a flat soak with noise, and ignores a warm-up first window', () => {
    const rss = [150, 250, 262, 241, 255, 248];
    const heap = [30, 60, 66, 55, 63, 58];
    const windows = rss.map((r, i) => window(i + 1, { rss: r, heap: heap[i], p99: 35 + (i % 2) * 10 }));
    expect(trendProblems(windows, 1000, RSS)).toEqual([]);
  });

  it('fails a leak: a net rise beyond 20 %', () => {
    const windows = [200, 250, 260, 275, 290, 310].map((r, i) => window(i + 1, { rss: r }));
    const problems = trendProblems(windows, 1000, RSS);
    expect(problems.some((p) => p.startsWith('soak: attempt-service RSS rose 60.0 MiB from window 2 to window 6'))).toBe(true);
  });

  it('judges RSS and the RSS outside the V8 heap only on windows of 5 minutes or more', () => {
    const windows = [200, 250, 260, 275, 290, 310].map((r, i) => window(i + 1, { rss: r }));
    expect(trendProblems(windows, 1000, { windowMs: 30_000 })).toEqual([]);
    const native = [100, 110, 120, 130, 140, 150].map((n, i) => window(i + 1, { native: n }));
    expect(trendProblems(native, 1000, { windowMs: 30_000 })).toEqual([]);
    const problems = trendProblems(native, 1000, RSS);
    expect(problems).toContain('soak: attempt-service RSS outside the V8 heap rose 40.0 MiB from window 2 to window 6 (110.0 → 150.0 MiB; limit 22.0)');
  });

  it('fails a steady climb hidden by a low last window (least-squares line)', () => {
    const heap = [40, 60, 75, 90, 105, 70];
    const problems = trendProblems(
      heap.map((h, i) => window(i + 1, { heap: h })),
      1000,
      RSS,
    );
    expect(problems.some((p) => p.includes('attempt-service live heap climbs'))).toBe(true);
    expect(problems.some((p) => p.includes('attempt-service live heap rose'))).toBe(false);
  });

  it('fails a p99 that more than doubles, and a growing backlog', () => {
    const windows = [1, 2, 3, 4].map((i) => window(i, { p99: i === 4 ? 200 : 40, backlog: i === 4 ? 9000 : 500 }));
    const problems = trendProblems(windows, 1000, RSS);
    expect(problems).toContain('soak: p99 rose from 40 ms (window 2) to 200 ms (window 4; limit 130 ms)');
    expect(problems).toContain('soak: outbox backlog grew to 9000 in window 4 (window 2: 500; limit 2000)');
  });

  it('needs two windows after the warm-up', () => {
    expect(trendProblems([window(1), window(2)], 1000, RSS)).toEqual(['soak: 1 of 2 window(s) measured after the warm-up, at least 2 are needed to judge a trend']);
  });

  it('leaves the first 90 s out as warm-up when windows are short', () => {
    const short = (index: number, native: number, p99: number) => ({ ...window(index, { native, p99 }), fromS: (index - 1) * 30, toS: index * 30 });
    const windows = [75, 81, 101, 105, 106, 106].map((n, i) => short(i + 1, n, i < 3 ? 2000 : 200));
    expect(trendProblems(windows, 1000, { windowMs: 30_000 })).toEqual([]);
    // 30-second windows: p99 may go from 150 to 700 ms (one of the suite's collections), not beyond.
    const p99 = (last: number) => [2000, 900, 700, 150, 495, last].map((v, i) => short(i + 1, 100, v));
    expect(trendProblems(p99(700), 1000, { windowMs: 30_000 })).toEqual([]);
    expect(trendProblems(p99(701), 1000, { windowMs: 30_000 })).toEqual(['soak: p99 rose from 150 ms (window 4) to 701 ms (window 6; limit 700 ms)']);
    expect(trendProblems(windows.slice(0, 4), 1000, { windowMs: 30_000 })).toEqual(['soak: 1 of 4 window(s) measured after the warm-up, at least 2 are needed to judge a trend']);
    const leak = [30, 35, 40, 50, 60, 70].map((h, i) => ({ ...short(i + 1, 100, 200), liveHeapMb: { attemptService: h, notifier: 40 } }));
    expect(trendProblems(leak, 1000, { windowMs: 30_000 })).toEqual([
      'soak: attempt-service live heap rose 20.0 MiB from window 4 to window 6 (50.0 → 70.0 MiB; limit 16.0)',
      'soak: attempt-service live heap climbs: the least-squares line over windows 4..6 rises 20.0 MiB (limit 16.0)',
    ]);
  });

  it('counts a start that fell behind as warm-up until the median command is answered within a second', () => {
    // CI's reduced soak at stop 30: four windows 3–8 s behind, then caught up; the notifier's native
    // memory grew while it sent that backlog's emails (window 5), then settled.
    const ci = (index: number, p50: number, notifierNative: number) => {
      const w = { ...window(index), fromS: (index - 1) * 30, toS: index * 30, p50Ms: p50, p99Ms: p50 * 2 };
      return { ...w, nativeMb: { ...w.nativeMb, notifier: notifierNative } };
    };
    const p50 = [4554, 6281, 7859, 3360, 273, 242, 230, 250];
    const native = [68.3, 72.0, 70.8, 86.5, 114.1, 107.7, 108.2, 109.0];
    const windows = p50.map((v, i) => ci(i + 1, v, native[i]));
    expect(trendProblems(windows, 1000, { windowMs: 30_000 })).toEqual([]);
    // The same native memory judged from window 4 on, were it judged on these windows (5-minute ones), fails.
    const judgedFrom4 = windows.map((w) => ({ ...w, p50Ms: 100 }));
    expect(trendProblems(judgedFrom4, 1000, { windowMs: 300_000 }).some((p) => p.startsWith('soak: notifier RSS outside the V8 heap rose 22.5 MiB from window 4'))).toBe(true);
    // After the warm-up a slow window is judged like any other.
    const slowAgain = [...windows.slice(0, 7), ci(8, 3000, 109)];
    expect(trendProblems(slowAgain, 1000, { windowMs: 30_000 })).toEqual(['soak: p99 rose from 546 ms (window 5) to 6000 ms (window 8; limit 1492 ms)']);
    // Caught up too late (fewer than half the windows left), or never: the reason is given.
    expect(trendProblems(windows.slice(0, 6), 1000, { windowMs: 30_000 })).toEqual([
      'soak: 2 of 6 window(s) measured after the warm-up (the median command waited over 1000 ms until window 4: the services caught up with the offered rate too late), at least 3 are needed to judge a trend',
    ]);
    expect(trendProblems(windows.slice(0, 4), 1000, { windowMs: 30_000 })).toEqual([
      'soak: 0 of 4 window(s) measured after the warm-up (the median command waited over 1000 ms in every window after the first 90 s: the services never kept up with the offered rate), at least 2 are needed to judge a trend',
    ]);
  });

  it('renders the window table', () => {
    const t = windowTable([window(1), window(2)]);
    expect(t).toHaveLength(4);
    expect(t[2]).toContain('| 1 (0:00–5:00) | 300,000 | 10.0 / 40.0 / 120.0 | 250.0 / 110.0; 180.0 / 90.0 | 60.0 / 90.0; 40.0 / 60.0 |');
  });
});
