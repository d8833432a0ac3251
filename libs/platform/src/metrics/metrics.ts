import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The one metrics set-up of both services (docs/operations.md, "Metrics"): a Prometheus registry per
 * service process whose every series carries the label `service` (`attempt-service`, `notifier`), with
 * prom-client's process metrics under their standard names (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`, …, never prefixed), so one dashboard or rule reads both services.
 * `processMetrics: false` leaves those out (unit tests that build many registries).
 */
export function createRegistry(service: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
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
