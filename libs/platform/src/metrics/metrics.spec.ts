import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expectEventually } from '../../../../test/support/expect-eventually';
import { counter, createRegistry, gauge, readinessGauge } from './metrics';

describe('createRegistry (the one metrics set-up of both services)', () => {
  it('labels every series with the service and exports the process metrics under their standard names', async () => {
    const registry = createRegistry('notifier');
    counter(registry, 'notifier_events_total', 'events', ['result']).inc({ result: 'recorded' });
    const text = await registry.metrics();
    expect(text).toContain('notifier_events_total{result="recorded",service="notifier"} 1');
    expect(text).toMatch(/^process_cpu_seconds_total\{service="notifier"\} [\d.e+-]+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{service="notifier"\} \d+$/m);
    expect(text).not.toMatch(/^[a-z]+_(process|nodejs)_/m);
  });

  it('leaves the process metrics out on request', async () => {
    const text = await createRegistry('attempt-service', { processMetrics: false }).metrics();
    expect(text).not.toContain('process_cpu_seconds_total');
    expect(text).not.toContain('nodejs_');
  });

  it('gives both services the same readiness gauge', async () => {
    const texts = await Promise.all(
      ['attempt-service', 'notifier'].map(async (service) => {
        const registry = createRegistry(service, { processMetrics: false });
        readinessGauge(registry).set({ check: 'database' }, 1);
        return registry.metrics();
      }),
    );
    expect(texts[0]).toContain('proctoring_ready{check="database",service="attempt-service"} 1');
    expect(texts[1]).toContain('proctoring_ready{check="database",service="notifier"} 1');
    expect(texts[0].replace(/attempt-service/g, 'notifier')).toBe(texts[1]);
  });

  it('sets a gauge from its source at each scrape', async () => {
    const registry = createRegistry('notifier', { processMetrics: false });
    let backlog = 3;
    gauge(registry, 'notifier_ledger_backlog', 'rows', ['status'], function collect() {
      this.set({ status: 'pending' }, backlog);
    });
    expect(await registry.metrics()).toContain('notifier_ledger_backlog{status="pending",service="notifier"} 3');
    backlog = 0;
    expect(await registry.metrics()).toContain('notifier_ledger_backlog{status="pending",service="notifier"} 0');
  });
});

describe('proctoring_heap_after_full_gc_bytes', () => {
  it('reads the live heap after each full collection', async () => {
    const registry = createRegistry('attempt-service');
    const read = async () => Number(/^proctoring_heap_after_full_gc_bytes\{service="attempt-service"\} (\S+)$/m.exec(await registry.metrics())?.[1]);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held: number[][] = Array.from({ length: 2_500 }, (_, i) => new Array<number>(1_000).fill(i + 0.5)); // ≥ 20 MB live
    gc();
    await expectEventually(async () => expect(await read()).toBeGreaterThan(20 * 2 ** 20));
    const withHeld = await read();
    held.length = 0; // let them go
    gc();
    await expectEventually(async () => expect(await read()).toBeLessThan(withHeld - 15 * 2 ** 20));
  });
});
