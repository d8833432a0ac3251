/** Small statistics helpers: percentiles, arrival logs and steady-state rates. */

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarizeLatencies(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50), 1),
    p95Ms: round(percentile(sorted, 95), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN, 1),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN, 1),
  };
}

/**
 * When messages arrived: one entry per delivery (a fetched batch, an HTTP request), with the running
 * total. Times are `performance.now()` milliseconds.
 */
export class ArrivalLog {
  private readonly totals: number[] = [];
  private readonly times: number[] = [];
  total = 0;

  add(count: number, at: number): void {
    if (count <= 0) return;
    this.total += count;
    this.totals.push(this.total);
    this.times.push(at);
  }

  get first(): number | undefined {
    return this.times[0];
  }

  get last(): number | undefined {
    return this.times[this.times.length - 1];
  }

  /** Index of the first delivery after which at least `count` messages had arrived. */
  private indexOf(count: number): number {
    let lo = 0;
    let hi = this.totals.length - 1;
    if (hi < 0 || this.totals[hi] < count) return -1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.totals[mid] >= count) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** When the `count`-th message arrived. */
  timeOf(count: number): number | undefined {
    const i = this.indexOf(count);
    return i < 0 ? undefined : this.times[i];
  }

  /**
   * Steady-state rate over the middle of a run of `expected` messages: the messages that arrived after
   * the delivery that crossed `lo` × expected, up to the one that crossed `hi` × expected, divided by
   * the time between those two deliveries. Start-up and the tail are left out.
   */
  steadyRate(
    expected: number,
    lo = 0.05,
    hi = 0.95,
  ): { perSecond: number; windowMs: number; messages: number } | null {
    const a = this.indexOf(Math.max(1, Math.ceil(expected * lo)));
    const b = this.indexOf(Math.max(1, Math.ceil(expected * hi)));
    if (a < 0 || b < 0 || b <= a) return null;
    const windowMs = this.times[b] - this.times[a];
    const messages = this.totals[b] - this.totals[a];
    if (windowMs <= 0) return null;
    return { perSecond: (messages / windowMs) * 1000, windowMs, messages };
  }
}

export function round(n: number, digits = 0): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtNum(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
