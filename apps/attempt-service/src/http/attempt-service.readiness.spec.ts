import type { Pool } from 'pg';
import type { KafkaAdminClient } from '../../../../libs/platform/src/kafka/kafka-admin.client';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { ReadinessProbe } from './readiness.probe';

describe('ReadinessProbe: proctoring_ready{check}', () => {
  /** `o` is read at each evaluation: change it to change what the probe sees. */
  function probe(o: { dbUp: boolean; consumer: ConsumerState; parked: number }) {
    const metrics = new AttemptServiceMetrics();
    const pool = {
      query: async (sql: string) => {
        if (!o.dbUp) throw new Error('connection refused');
        return sql === 'SELECT 1' ? { rows: [] } : { rows: [{ parked: o.parked, oldest_ms: null }] };
      },
    } as unknown as Pool;
    const admin = { use: async () => ({ brokers: [{ nodeId: 1 }] }) } as unknown as KafkaAdminClient;
    const p = new ReadinessProbe({
      pool,
      consumerState: () => o.consumer,
      admin,
      dbTimeoutMs: 1000,
      kafkaTimeoutMs: 1000,
      kafkaCacheMs: 0,
      outboxMaxAgeMs: 60_000,
      readyGauge: metrics.ready,
    });
    return { p, metrics };
  }

  async function gauge(metrics: AttemptServiceMetrics): Promise<Record<string, number>> {
    const { values } = await metrics.ready.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.check), v.value]));
  }

  it('sets 1 for every passing check', async () => {
    const { p, metrics } = probe({ dbUp: true, consumer: 'joined', parked: 0 });
    expect((await p.check()).status).toBe('ready');
    expect(await gauge(metrics)).toEqual({ database: 1, consumer: 1, kafka: 1, outbox: 1 });
  });

  it('sets 0 for each failing check, on every evaluation', async () => {
    const { p, metrics } = probe({ dbUp: true, consumer: 'stalled', parked: 2 });
    expect((await p.check()).failing).toEqual(['consumer', 'outbox']);
    expect(await gauge(metrics)).toEqual({ database: 1, consumer: 0, kafka: 1, outbox: 0 });
  });

  it('counts an unknown outbox (its query failed) only against the database', async () => {
    const { p, metrics } = probe({ dbUp: false, consumer: 'joined', parked: 0 });
    expect((await p.check()).failing).toEqual(['database']);
    expect(await gauge(metrics)).toEqual({ database: 0, consumer: 1, kafka: 1, outbox: 1 });
  });

  it('refreshes the gauge on an interval until stopped', async () => {
    jest.useFakeTimers();
    try {
      const state: { dbUp: boolean; consumer: ConsumerState; parked: number } = {
        dbUp: true,
        consumer: 'joined',
        parked: 0,
      };
      const { p, metrics } = probe(state);
      p.start(1000);
      await jest.advanceTimersByTimeAsync(1000);
      expect((await gauge(metrics)).consumer).toBe(1);
      state.consumer = 'crashed';
      await jest.advanceTimersByTimeAsync(1000);
      expect((await gauge(metrics)).consumer).toBe(0);
      p.stop();
      state.consumer = 'joined';
      await jest.advanceTimersByTimeAsync(3000);
      expect((await gauge(metrics)).consumer).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
