import { WorkerHealthIndicator } from './worker.health';

describe('WorkerHealthIndicator', () => {
  it('is up while the worker runs and down once it stopped, under its key', async () => {
    let running = true;
    const indicator = new WorkerHealthIndicator('worker', () => running);
    await expect(indicator.check()).resolves.toEqual({ worker: { status: 'up', state: 'running' } });
    running = false;
    await expect(indicator.check()).resolves.toEqual({ worker: { status: 'down', state: 'stopped' } });
  });
});
