import type { Admin } from 'kafkajs';
import { createLogger } from '../logging/logger';
import { ConsumerLagMonitor, partitionLags } from './consumer-lag.monitor';

describe('partitionLags', () => {
  it('is the end offset minus the committed offset, per partition', () => {
    expect(
      partitionLags(
        't',
        [
          { partition: 1, low: '0', high: '10' },
          { partition: 0, low: '0', high: '7' },
        ],
        [
          { partition: 0, offset: '7' },
          { partition: 1, offset: '4' },
        ],
      ),
    ).toEqual([
      { topic: 't', partition: 0, lag: 0 },
      { topic: 't', partition: 1, lag: 6 },
    ]);
  });

  it('counts from the earliest stored offset when the group has not committed yet', () => {
    expect(partitionLags('t', [{ partition: 0, low: '5', high: '12' }], [{ partition: 0, offset: '-1' }])).toEqual([
      { topic: 't', partition: 0, lag: 7 },
    ]);
    expect(partitionLags('t', [{ partition: 0, low: '5', high: '12' }], [])).toEqual([{ topic: 't', partition: 0, lag: 7 }]);
  });

  it('never reports a negative lag (committed past a truncated end)', () => {
    expect(partitionLags('t', [{ partition: 0, low: '0', high: '3' }], [{ partition: 0, offset: '9' }])).toEqual([
      { topic: 't', partition: 0, lag: 0 },
    ]);
  });
});

describe('ConsumerLagMonitor.refresh', () => {
  it('reads every topic of the group and writes each partition to the gauge', async () => {
    const fake = {
      fetchTopicOffsets: jest.fn(async (topic: string) =>
        topic === 'a' ? [{ partition: 0, offset: '9', low: '0', high: '9' }] : [{ partition: 0, offset: '4', low: '2', high: '4' }],
      ),
      fetchOffsets: jest.fn(async () => [
        { topic: 'a', partitions: [{ partition: 0, offset: '3', metadata: null }] },
        { topic: 'b', partitions: [{ partition: 0, offset: '-1', metadata: null }] },
      ]),
    };
    const set = jest.fn();
    const monitor = new ConsumerLagMonitor({
      admin: { use: (fn) => fn(fake as unknown as Admin) },
      groupId: 'g',
      topics: ['a', 'b'],
      gauge: { set },
      logger: createLogger('test', 'silent'),
      intervalMs: 0,
    });
    await expect(monitor.refresh()).resolves.toEqual([
      { topic: 'a', partition: 0, lag: 6 },
      { topic: 'b', partition: 0, lag: 2 },
    ]);
    expect(fake.fetchOffsets).toHaveBeenCalledWith({ groupId: 'g', topics: ['a', 'b'] });
    expect(set.mock.calls).toEqual([
      [{ topic: 'a', partition: '0' }, 6],
      [{ topic: 'b', partition: '0' }, 2],
    ]);
    monitor.start(); // interval 0: no loop
    await monitor.stop();
  });
});
