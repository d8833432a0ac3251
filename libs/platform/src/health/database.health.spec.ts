import { DatabaseHealthIndicator } from './database.health';

describe('DatabaseHealthIndicator', () => {
  it('is up with the response time when the ping answers', async () => {
    const result = await new DatabaseHealthIndicator(async () => undefined, 1000).check();
    expect(result).toEqual({ database: { status: 'up', responseTime: expect.any(Number) } });
  });

  it('is down naming the time limit when the ping does not answer in time', async () => {
    const result = await new DatabaseHealthIndicator(() => new Promise(() => undefined), 20).check();
    expect(result).toEqual({ database: { status: 'down', message: 'no answer within 20 ms' } });
  });

  it('is down with the error code, never the driver message (it may name hosts and users)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED db.internal:5432'), { code: 'ECONNREFUSED' });
    await expect(new DatabaseHealthIndicator(() => Promise.reject(refused), 1000).check()).resolves.toEqual({
      database: { status: 'down', message: 'the query failed (ECONNREFUSED)' },
    });
    const odd = Object.assign(new Error('password authentication failed for user "x"'), { code: 'not a code: x' });
    await expect(new DatabaseHealthIndicator(() => Promise.reject(odd), 1000).check()).resolves.toEqual({
      database: { status: 'down', message: 'the query failed' },
    });
  });
});
