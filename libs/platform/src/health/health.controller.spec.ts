import type { INestApplication } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { answer, healthApp } from '../../../../test/support/health.fixture';
import { Readiness, type ReadinessIndicator } from './readiness';

describe('HealthController: /health/live and /health/ready in terminus shape', () => {
  const indicators = new HealthIndicatorService();
  const state = { database: true, worker: true };
  const readiness = new Readiness([
    {
      key: 'database',
      check: async () => (state.database ? indicators.check('database').up() : indicators.check('database').down({ message: 'no answer within 5 ms' })),
    } satisfies ReadinessIndicator,
    {
      key: 'worker',
      check: async () => (state.worker ? indicators.check('worker').up({ state: 'running' }) : indicators.check('worker').down({ state: 'stopped' })),
    } satisfies ReadinessIndicator,
  ]);
  let app: INestApplication;
  let controller: Awaited<ReturnType<typeof healthApp>>['controller'];

  beforeAll(async () => {
    ({ app, controller } = await healthApp(readiness));
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    state.database = true;
    state.worker = true;
  });

  it('answers liveness ok with no details', async () => {
    await expect(answer(() => controller.live())).resolves.toEqual({ code: 200, body: { status: 'ok', info: {}, error: {}, details: {} } });
  });

  it('answers readiness 200 with every check under info and details', async () => {
    await expect(answer(() => controller.ready())).resolves.toEqual({
      code: 200,
      body: {
        status: 'ok',
        info: { database: { status: 'up' }, worker: { status: 'up', state: 'running' } },
        error: {},
        details: { database: { status: 'up' }, worker: { status: 'up', state: 'running' } },
      },
    });
  });

  it('answers 503 naming the failing check under error', async () => {
    state.worker = false;
    await expect(answer(() => controller.ready())).resolves.toEqual({
      code: 503,
      body: {
        status: 'error',
        info: { database: { status: 'up' } },
        error: { worker: { status: 'down', state: 'stopped' } },
        details: { database: { status: 'up' }, worker: { status: 'down', state: 'stopped' } },
      },
    });
  });

  it('answers 503 shutting_down on both endpoints once the app shuts down', async () => {
    const other = await healthApp(readiness);
    const closing = other.app.close();
    await closing;
    await expect(answer(() => other.controller.live())).resolves.toMatchObject({ code: 503, body: { status: 'shutting_down' } });
    await expect(answer(() => other.controller.ready())).resolves.toMatchObject({ code: 503, body: { status: 'shutting_down' } });
  });
});
