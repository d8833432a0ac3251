import type { DeliveryWorker } from '../application/delivery.worker';
import { NotifierMetrics } from '../application/notifier.metrics';
import type { DeliveryLedgerRepository } from '../persistence/delivery-ledger.repository';
import { NotifierReadinessProbe } from './readiness.probe';

describe('NotifierReadinessProbe: proctoring_ready{check}', () => {
  async function gauge(metrics: NotifierMetrics): Promise<Record<string, number>> {
    const { values } = await metrics.ready.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.check), v.value]));
  }

  function probe(state: { dbUp: boolean; running: boolean }) {
    const metrics = new NotifierMetrics(undefined, { processMetrics: false });
    const ledger = {
      ping: async () => {
        if (!state.dbUp) throw new Error('connection refused');
      },
    } as unknown as DeliveryLedgerRepository;
    const worker = {
      get isRunning() {
        return state.running;
      },
    } as unknown as DeliveryWorker;
    return { p: new NotifierReadinessProbe(ledger, worker, metrics), metrics };
  }

  it('reports the database and the worker, and sets the gauge each time', async () => {
    const state = { dbUp: true, running: true };
    const { p, metrics } = probe(state);
    await expect(p.check()).resolves.toEqual({ database: 'up', worker: 'running' });
    expect(await gauge(metrics)).toEqual({ database: 1, worker: 1 });
    state.dbUp = false;
    state.running = false;
    await expect(p.check()).resolves.toEqual({ database: 'down', worker: 'stopped' });
    expect(await gauge(metrics)).toEqual({ database: 0, worker: 0 });
  });

  it('refreshes every 5 s between bootstrap and shutdown', async () => {
    jest.useFakeTimers();
    try {
      const state = { dbUp: true, running: true };
      const { p, metrics } = probe(state);
      p.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(5000);
      expect(await gauge(metrics)).toEqual({ database: 1, worker: 1 });
      state.running = false;
      await jest.advanceTimersByTimeAsync(5000);
      expect((await gauge(metrics)).worker).toBe(0);
      p.beforeApplicationShutdown();
      state.running = true;
      await jest.advanceTimersByTimeAsync(15_000);
      expect((await gauge(metrics)).worker).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('exports the counters the alert rules take increase() of at 0 from the start', async () => {
    const { metrics } = probe({ dbUp: true, running: true });
    const text = await metrics.registry.metrics();
    expect(text).toContain('notifier_emails_total{outcome="failed_permanent",service="notifier"} 0');
    expect(text).toContain('notifier_emails_total{outcome="unknown",service="notifier"} 0');
    expect(text).toContain('notifier_consumer_restarts_total{service="notifier"} 0');
  });
});
