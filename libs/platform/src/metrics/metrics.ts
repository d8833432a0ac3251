import { constants, PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The one metrics set-up of both services (docs/operations.md, "Metrics"): a Prometheus registry per
 * service process whose every series carries the label `service` (`attempt-service`, `notifier`), with
 * prom-client's process metrics under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`, …, never prefixed), so one dashboard or rule reads both services.
 * To those it adds `proctoring_heap_after_full_gc_bytes` (see `heapAfterFullGc`).
 * `processMetrics: false` leaves those out (unit tests that build many registries).
 */
export function createRegistry(service: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    heapAfterFullGc(); // starts watching now, not at the first scrape
    gauge(
      registry,
      'proctoring_heap_after_full_gc_bytes',
      'V8 heap used just after the latest full (mark-compact) collection: the live heap, what a leak raises (NaN before the first)',
      [],
      function collect() {
        this.set(heapAfterFullGc());
      },
    );
  }
  return registry;
}

let lastFullGc: { bytes: number } | undefined;

/**
 * V8's heap used as read just after the process's latest full (mark-compact) collection, in bytes;
 * NaN until the first one. `nodejs_heap_size_used_bytes` swings with the collector (40 → 130 MiB
 * between collections in the attempt-service at 1,000 commands/s, old-space garbage included until the
 * next full collection), so neither its lowest nor its mean sample over a minute says whether the live
 * heap grows; this does. The first call (`createRegistry`'s) starts one observer of the process's
 * collections (a GC callback of perf_hooks, delivered on the event loop shortly after the collection).
 */
export function heapAfterFullGc(): number {
  if (!lastFullGc) {
    const state = { bytes: Number.NaN };
    new PerformanceObserver((list) => {
      const full = (e: PerformanceEntry) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
      if (list.getEntries().some(full)) state.bytes = getHeapStatistics().used_heap_size;
    }).observe({ entryTypes: ['gc'] });
    lastFullGc = state;
  }
  return lastFullGc.bytes;
}

export function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/** A gauge; `collect` (if given) runs at every scrape, to set it from a source read then. */
export function gauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  collect?: (this: Gauge<L>) => Promise<void> | void,
): Gauge<L> {
  return new Gauge({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  buckets: number[],
  labelNames: readonly L[] = [],
): Histogram<L> {
  return new Histogram({ name, help, buckets, labelNames, registers: [registry] });
}

/**
 * `proctoring_ready{check}`: 1 while a `/health/ready` check passes, 0 while it fails. The same name,
 * help and label in both services (ops/prometheus/alerts.yml's ProctoringNotReady reads it).
 */
export function readinessGauge(registry: Registry): Gauge<'check'> {
  return gauge(
    registry,
    'proctoring_ready',
    'Readiness checks of /health/ready: 1 passing, 0 failing, by check (evaluated on each call and every 5 s)',
    ['check'],
  );
}
