import type { Admin } from 'kafkajs';
import type { KafkaAdminAccess } from '../kafka/kafka-admin.client';
import { KafkaClusterHealthIndicator } from './kafka-cluster.health';

describe('KafkaClusterHealthIndicator', () => {
  /** An admin whose describeCluster answers what `next` says (brokers, an error, or never). */
  function admin(next: { brokers?: number; fail?: boolean; hang?: boolean }) {
    const calls = { n: 0 };
    const access: KafkaAdminAccess = {
      use: async <T>(fn: (a: Admin) => Promise<T>) =>
        fn({
          describeCluster: () => {
            calls.n++;
            if (next.hang) return new Promise(() => undefined);
            if (next.fail) return Promise.reject(new Error('connection refused'));
            return Promise.resolve({ brokers: Array.from({ length: next.brokers ?? 1 }, (_, i) => ({ nodeId: i })) });
          },
        } as unknown as Admin),
    };
    return { access, calls };
  }

  it('is up when a broker answers, down when none does', async () => {
    const next: { brokers?: number; fail?: boolean } = { brokers: 1 };
    const { access } = admin(next);
    const indicator = new KafkaClusterHealthIndicator({ admin: access, timeoutMs: 1000, cacheMs: 0 });
    await expect(indicator.check()).resolves.toEqual({ kafka: { status: 'up' } });
    next.fail = true;
    await expect(indicator.check()).resolves.toEqual({ kafka: { status: 'down', message: 'no broker answered a metadata request' } });
    next.fail = false;
    next.brokers = 0;
    await expect(indicator.check()).resolves.toEqual({ kafka: { status: 'down', message: 'no broker answered a metadata request' } });
  });

  it('reuses an answer for cacheMs', async () => {
    const next: { fail?: boolean } = {};
    const { access, calls } = admin(next);
    const indicator = new KafkaClusterHealthIndicator({ admin: access, timeoutMs: 1000, cacheMs: 60_000 });
    await indicator.check();
    next.fail = true;
    await expect(indicator.check()).resolves.toEqual({ kafka: { status: 'up' } });
    expect(calls.n).toBe(1);
  });

  it('is down after timeoutMs, and keeps one request in flight', async () => {
    const { access, calls } = admin({ hang: true });
    const indicator = new KafkaClusterHealthIndicator({ admin: access, timeoutMs: 20, cacheMs: 0 });
    await expect(indicator.check()).resolves.toEqual({ kafka: { status: 'down', message: 'no metadata answer within 20 ms' } });
    await indicator.check();
    expect(calls.n).toBe(1);
  });
});
