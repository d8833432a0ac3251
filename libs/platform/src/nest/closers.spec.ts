import { createLogger } from '../logging/logger';
import { closeAll } from './closers';

describe('closeAll', () => {
  it('closes in order, and a failing closer does not keep the next one open', async () => {
    const closed: string[] = [];
    await closeAll(
      [
        { name: 'kafka', close: () => Promise.resolve(void closed.push('kafka')) },
        { name: 'database', close: () => Promise.reject(new Error('already closed')) },
        { name: 'tracing', close: () => Promise.resolve(void closed.push('tracing')) },
      ],
      createLogger('closers-spec', 'silent'),
    );
    expect(closed).toEqual(['kafka', 'tracing']);
  });
});
