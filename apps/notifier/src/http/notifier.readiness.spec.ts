import type { INestApplication } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { answer, healthApp, readyGauge } from '../../../../test/support/health.fixture';
import type { HealthController } from '../../../../libs/platform/src/health/health.controller';
import { KafkaBatchTransport } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { createLogger } from '../../../../libs/platform/src/logging/logger';
import { NotifierMetrics } from '../application/notifier.metrics';
import { notifierReadiness } from './notifier.readiness';

describe('notifier readiness: /health/ready and proctoring_ready{check}', () => {
  const state = { dbUp: true, running: true };
  const metrics = new NotifierMetrics(undefined, { processMetrics: false });
  // The real transport, never started: `idle` until it joins, `stopped` once closed.
  const transport = new KafkaBatchTransport({
    kafka: {} as Kafka,
    groupId: 'notifier.spec',
    subscriptions: [],
    logger: createLogger('notifier-spec', 'silent'),
  });
  let joined = true;
  const consumer = {
    get consumerState() {
      return joined ? 'joined' : transport.consumerState;
    },
  };
  const worker = {
    get isRunning() {
      return state.running;
    },
  };
  const readiness = notifierReadiness({
    ping: async () => {
      if (!state.dbUp) throw new Error('connection refused');
    },
    consumer,
    worker,
    gauge: metrics.ready,
  });
  let app: INestApplication;
  let controller: HealthController;

  beforeAll(async () => {
    ({ app, controller } = await healthApp(readiness));
  });

  afterAll(async () => {
    await app?.close();
  });

  const gauge = () => readyGauge(metrics.ready);

  it('answers 200 with the database, the consumer and the worker', async () => {
    await expect(answer(() => controller.ready())).resolves.toMatchObject({
      code: 200,
      body: {
        status: 'ok',
        error: {},
        details: { database: { status: 'up' }, consumer: { status: 'up', state: 'joined' }, worker: { status: 'up', state: 'running' } },
      },
    });
    expect(await gauge()).toEqual({ database: 1, consumer: 1, worker: 1 });
  });

  it('answers 503 naming the worker when the delivery worker is stopped', async () => {
    state.running = false;
    try {
      await expect(answer(() => controller.ready())).resolves.toMatchObject({
        code: 503,
        body: { status: 'error', error: { worker: { status: 'down', state: 'stopped' } } },
      });
      expect(await gauge()).toEqual({ database: 1, consumer: 1, worker: 0 });
    } finally {
      state.running = true;
    }
  });

  it('answers 503 naming the consumer when the consumer is stopped', async () => {
    joined = false;
    await transport.close();
    const { code, body } = await answer(() => controller.ready());
    expect(code).toBe(503);
    expect((body as { error: unknown }).error).toEqual({ consumer: { status: 'down', state: 'stopped' } });
    expect(await gauge()).toEqual({ database: 1, consumer: 0, worker: 1 });
  });

  it('exports the counters the alert rules take increase() of at 0 from the start', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toContain('notifier_emails_total{outcome="failed_permanent",service="notifier"} 0');
    expect(text).toContain('notifier_emails_total{outcome="unknown",service="notifier"} 0');
    expect(text).toContain('notifier_consumer_restarts_total{service="notifier"} 0');
  });
});
