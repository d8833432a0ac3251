import type { INestApplication } from '@nestjs/common';
import { answer, healthApp, readyGauge } from '../../../../test/support/health.fixture';
import type { HealthController } from '../../../../libs/platform/src/health/health.controller';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { BridgeMetrics } from '../application/bridge.metrics';
import { bridgeReadiness } from './bridge.readiness';

describe('openedx-bridge readiness: /health/ready and proctoring_ready{check}', () => {
  const state: { dbUp: boolean; consumerState: ConsumerState } = { dbUp: true, consumerState: 'joined' };
  const metrics = new BridgeMetrics();
  const readiness = bridgeReadiness({
    ping: async () => {
      if (!state.dbUp) throw new Error('connection refused');
    },
    consumer: state,
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

  it('answers 200 with the database and the consumer', async () => {
    await expect(answer(() => controller.ready())).resolves.toMatchObject({
      code: 200,
      body: { status: 'ok', error: {}, details: { database: { status: 'up' }, consumer: { status: 'up', state: 'joined' } } },
    });
    expect(await gauge()).toEqual({ database: 1, consumer: 1 });
  });

  it('answers 503 naming what is down', async () => {
    state.consumerState = 'crashed';
    state.dbUp = false;
    const { code, body } = await answer(() => controller.ready());
    expect(code).toBe(503);
    expect((body as { error: unknown }).error).toEqual({
      database: { status: 'down', message: 'the query failed' },
      consumer: { status: 'down', state: 'crashed' },
    });
    expect(await gauge()).toEqual({ database: 0, consumer: 0 });
  });
});
