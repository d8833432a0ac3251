import type { INestApplication } from '@nestjs/common';
import type { Pool } from 'pg';
import { answer, healthApp, readyGauge } from '../../../../test/support/health.fixture';
import type { HealthController } from '../../../../libs/platform/src/health/health.controller';
import type { KafkaAdminClient } from '../../../../libs/platform/src/kafka/kafka-admin.client';
import type { ConsumerState } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { attemptServiceReadiness } from './attempt-service.readiness';

describe('attempt-service readiness: /health/ready and proctoring_ready{check}', () => {
  /** Read at each evaluation: change it to change what the checks see. */
  const state: { dbUp: boolean; consumer: ConsumerState; parked: number } = { dbUp: true, consumer: 'joined', parked: 0 };
  const metrics = new AttemptServiceMetrics();
  const pool = {
    query: async (sql: string) => {
      if (!state.dbUp) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      return sql === 'SELECT 1' ? { rows: [] } : { rows: [{ parked: state.parked, oldest_ms: null }] };
    },
  } as unknown as Pool;
  const admin = { use: async () => ({ brokers: [{ nodeId: 1 }] }) } as unknown as KafkaAdminClient;
  const readiness = attemptServiceReadiness({
    pool,
    consumerState: () => state.consumer,
    admin,
    dbTimeoutMs: 1000,
    kafkaTimeoutMs: 1000,
    kafkaCacheMs: 0,
    outboxMaxAgeMs: 60_000,
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

  beforeEach(() => Object.assign(state, { dbUp: true, consumer: 'joined', parked: 0 }));

  const gauge = () => readyGauge(metrics.ready);

  it('answers 200 with the four checks and sets 1 for each', async () => {
    await expect(answer(() => controller.ready())).resolves.toEqual({
      code: 200,
      body: {
        status: 'ok',
        info: expect.any(Object),
        error: {},
        details: {
          database: { status: 'up', responseTime: expect.any(Number) },
          consumer: { status: 'up', state: 'joined' },
          kafka: { status: 'up' },
          outbox: { status: 'up' },
        },
      },
    });
    expect(await gauge()).toEqual({ database: 1, consumer: 1, kafka: 1, outbox: 1 });
  });

  it('answers 503 naming each failing check, and sets 0 for it', async () => {
    state.consumer = 'stalled';
    state.parked = 2;
    const { code, body } = await answer(() => controller.ready());
    expect(code).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      error: { consumer: { status: 'down', state: 'stalled' }, outbox: { status: 'down', message: '2 parked rows' } },
    });
    expect(Object.keys((body as { error: object }).error).sort()).toEqual(['consumer', 'outbox']);
    expect(await gauge()).toEqual({ database: 1, consumer: 0, kafka: 1, outbox: 0 });
  });

  it('counts an unknown outbox (its query failed) only against the database', async () => {
    state.dbUp = false;
    const { code, body } = await answer(() => controller.ready());
    expect(code).toBe(503);
    expect((body as { error: object }).error).toEqual({ database: { status: 'down', message: 'the query failed (ECONNREFUSED)' } });
    expect((body as { details: object }).details).toMatchObject({ outbox: { status: 'up', state: 'unknown' } });
    expect(await gauge()).toEqual({ database: 0, consumer: 1, kafka: 1, outbox: 1 });
  });
});
