import { HealthIndicatorService } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import type { Logger } from '../logging/logger';
import { readinessGauge } from '../metrics/metrics';
import { Readiness, type ReadinessIndicator } from './readiness';

describe('Readiness', () => {
  const indicators = new HealthIndicatorService();
  function indicator(key: string, up: () => boolean): ReadinessIndicator {
    return { key, check: async () => (up() ? indicators.check(key).up() : indicators.check(key).down({ message: `${key} is down` })) };
  }

  function setUp(state: { a: boolean; b: boolean }, logger?: Logger) {
    const gauge = readinessGauge(new Registry());
    const readiness = new Readiness([indicator('a', () => state.a), indicator('b', () => state.b)], { gauge, logger });
    const values = async () => Object.fromEntries((await gauge.get()).values.map((v) => [String(v.labels.check), v.value]));
    return { readiness, values };
  }

  it('merges the indicators and sets proctoring_ready{check} to 1 for up and 0 for down', async () => {
    const state = { a: true, b: false };
    const { readiness, values } = setUp(state);
    await expect(readiness.evaluate()).resolves.toEqual({ a: { status: 'up' }, b: { status: 'down', message: 'b is down' } });
    expect(await values()).toEqual({ a: 1, b: 0 });
  });

  it('sets the gauge through the functions it gives HealthCheckService as well', async () => {
    const state = { a: false, b: true };
    const { readiness, values } = setUp(state);
    const [checkA] = readiness.healthChecks();
    await expect((checkA as () => Promise<unknown>)()).resolves.toEqual({ a: { status: 'down', message: 'a is down' } });
    expect(await values()).toEqual({ a: 0 });
  });

  it('turns an indicator that throws into down', async () => {
    const gauge = readinessGauge(new Registry());
    const readiness = new Readiness([{ key: 'x', check: () => Promise.reject(new Error('bug')) }], { gauge });
    await expect(readiness.evaluate()).resolves.toEqual({ x: { status: 'down', message: 'the check failed unexpectedly' } });
    expect((await gauge.get()).values[0].value).toBe(0);
  });

  it('logs a check once when it starts failing and once when it recovers', async () => {
    const warn = jest.fn();
    const info = jest.fn();
    const state = { a: true, b: true };
    const { readiness } = setUp(state, { warn, info } as unknown as Logger);
    await readiness.evaluate();
    state.a = false;
    await readiness.evaluate();
    await readiness.evaluate();
    state.a = true;
    await readiness.evaluate();
    expect(warn.mock.calls).toEqual([[{ check: 'a', detail: { status: 'down', message: 'a is down' } }, 'readiness check failing']]);
    expect(info.mock.calls).toEqual([[{ check: 'a' }, 'readiness check passing again']]);
  });

  it('refreshes on an interval until stopped', async () => {
    jest.useFakeTimers();
    try {
      const state = { a: true, b: true };
      const { readiness, values } = setUp(state);
      readiness.start(1000);
      await jest.advanceTimersByTimeAsync(1000);
      expect(await values()).toEqual({ a: 1, b: 1 });
      state.b = false;
      await jest.advanceTimersByTimeAsync(1000);
      expect((await values()).b).toBe(0);
      readiness.stop();
      state.b = true;
      await jest.advanceTimersByTimeAsync(3000);
      expect((await values()).b).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
