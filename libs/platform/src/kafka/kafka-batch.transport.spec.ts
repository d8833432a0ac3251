import { EventEmitter } from 'node:events';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { createLogger } from '../logging/logger';
import { KafkaBatchTransport, type ConsumerState } from './kafka-batch.transport';

/*
 * The watchdog and crash recovery of the transport, against a scripted stand-in for kafkajs's
 * consumer (the broker-facing behaviour is covered by the integration and fault suites; here the
 * point is what the transport does when kafkajs goes silent or gives up, which a real broker cannot
 * be made to do on demand).
 */

const EVENTS = {
  GROUP_JOIN: 'consumer.group_join',
  FETCH_START: 'consumer.fetch_start',
  FETCH: 'consumer.fetch',
  HEARTBEAT: 'consumer.heartbeat',
  CRASH: 'consumer.crash',
  STOP: 'consumer.stop',
  REBALANCING: 'consumer.rebalancing',
};

type Offset = { topic: string; partition: number; offset: string };

class ScriptedConsumer extends EventEmitter {
  readonly events = EVENTS;
  disconnected = false;
  eachBatch: ((p: EachBatchPayload) => Promise<void>) | null = null;
  /** Every commit request, in order; `failCommits` of them are refused first. */
  readonly commits: Offset[][] = [];
  failCommits = 0;
  constructor(
    readonly hangOnDisconnect: boolean,
    readonly hangOnCommit: boolean,
  ) {
    super();
  }
  connect = () => Promise.resolve();
  subscribe = () => Promise.resolve();
  run = (o: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
    this.eachBatch = o.eachBatch;
    setImmediate(() => this.emit(EVENTS.GROUP_JOIN, {}));
    return Promise.resolve();
  };
  commitOffsets = (offsets: Offset[]) => {
    if (this.hangOnCommit) return new Promise<void>(() => undefined);
    if (this.failCommits > 0) {
      this.failCommits--;
      return Promise.reject(new Error('The coordinator is loading'));
    }
    this.commits.push(offsets);
    return Promise.resolve();
  };
  disconnects = 0;
  disconnect = () => {
    this.disconnected = true;
    this.disconnects++;
    return this.hangOnDisconnect ? new Promise<void>(() => undefined) : Promise.resolve();
  };
  /** Emits a fetch, as a healthy kafkajs consumer does at least every maxWaitTime. */
  fetch(): void {
    this.emit(EVENTS.FETCH_START, {});
  }
  rejoin(): void {
    this.emit(EVENTS.GROUP_JOIN, {});
  }
  crash(restart: boolean): void {
    this.emit(EVENTS.CRASH, { payload: { error: new Error('boom'), restart } });
  }
}

function harness(
  o: { hangOnDisconnect?: boolean; hangOnCommit?: boolean; stallTimeoutMs?: number; commitIntervalMs?: number } = {},
) {
  const consumers: ScriptedConsumer[] = [];
  const kafka = {
    consumer: () => {
      // only the first (stalled) consumer hangs on disconnect; its replacement leaves normally
      const first = consumers.length === 0;
      const c = new ScriptedConsumer(
        (o.hangOnDisconnect ?? false) && first,
        (o.hangOnCommit ?? false) && first,
      );
      consumers.push(c);
      return c as unknown as Consumer;
    },
  } as unknown as Kafka;
  const restarts: string[] = [];
  const states: ConsumerState[] = [];
  const transport = new KafkaBatchTransport({
    kafka,
    groupId: 'g',
    subscriptions: [{ topic: 't', pattern: 'p' }],
    logger: createLogger('test', 'silent'),
    stallTimeoutMs: o.stallTimeoutMs ?? 300,
    commitTimeoutMs: 200,
    commitIntervalMs: o.commitIntervalMs,
    retryInitialMs: 10,
    retryMaxMs: 20,
    onRestart: (r) => restarts.push(r),
  });
  transport.on('state', (s: ConsumerState) => states.push(s));
  return { transport, consumers, restarts, states };
}

function batchOf(partition: number, offsets: string[]): EachBatchPayload {
  return {
    batch: {
      topic: 't',
      partition,
      messages: offsets.map((offset) => ({ offset, key: null, value: Buffer.from('x'), headers: {}, timestamp: '0' })),
    },
    isRunning: () => true,
    isStale: () => false,
    heartbeat: () => Promise.resolve(),
    resolveOffset: () => undefined,
  } as unknown as EachBatchPayload;
}

const oneMessage = batchOf(0, ['0']);

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick(10);
  }
}

const started: KafkaBatchTransport[] = [];
afterEach(async () => {
  for (const t of started.splice(0)) await t.close();
});

async function listen(h: ReturnType<typeof harness>, handler: (b: unknown) => Promise<void> = () => Promise.resolve()) {
  h.transport.addHandler('p', handler, true);
  started.push(h.transport);
  await new Promise<void>(
    (resolve, reject) =>
      void h.transport.listen((e?: unknown) => (e instanceof Error ? reject(e) : e ? reject(new Error('listen failed')) : resolve())),
  );
  await until(() => h.transport.consumerState === 'joined');
}

describe('KafkaBatchTransport: offset commits', () => {
  it('by default commits each handled slice before the next fetch', async () => {
    const h = harness({ stallTimeoutMs: 60_000 });
    await listen(h);
    await h.consumers[0].eachBatch?.(batchOf(0, ['4', '5']));
    expect(h.consumers[0].commits).toEqual([[{ topic: 't', partition: 0, offset: '6' }]]);
    await h.consumers[0].eachBatch?.(batchOf(1, ['9']));
    expect(h.consumers[0].commits).toHaveLength(2);
  });

  it('with an interval, commits the partitions handled meanwhile together, once per interval, and the rest on close', async () => {
    const h = harness({ stallTimeoutMs: 60_000, commitIntervalMs: 300 });
    await listen(h);
    const c = h.consumers[0];
    await Promise.all([c.eachBatch?.(batchOf(0, ['1', '2'])), c.eachBatch?.(batchOf(1, ['7'])), c.eachBatch?.(batchOf(2, ['3']))]);
    await c.eachBatch?.(batchOf(0, ['3']));
    // the batches returned without waiting for a commit; one request carries the newest offset of each
    await until(() => c.commits.length === 1);
    expect(c.commits[0]).toEqual(
      expect.arrayContaining([
        { topic: 't', partition: 0, offset: '4' },
        { topic: 't', partition: 1, offset: '8' },
        { topic: 't', partition: 2, offset: '4' },
      ]),
    );
    expect(c.commits[0]).toHaveLength(3);
    const firstAt = Date.now();
    await c.eachBatch?.(batchOf(1, ['8']));
    await until(() => c.commits.length === 2);
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(250);
    expect(c.commits[1]).toEqual([{ topic: 't', partition: 1, offset: '9' }]);
    // handled just before a graceful stop: committed by close(), not left for redelivery
    await c.eachBatch?.(batchOf(2, ['4']));
    await h.transport.close();
    expect(c.commits[2]).toEqual([{ topic: 't', partition: 2, offset: '5' }]);
  });

  it('holds commits while kafkajs restarts a crashed consumer, and sends them once it has rejoined', async () => {
    const h = harness({ stallTimeoutMs: 60_000, commitIntervalMs: 100 });
    await listen(h);
    const c = h.consumers[0];
    await c.eachBatch?.(batchOf(0, ['1']));
    c.crash(true); // kafkajs restarts it itself; the coordinator may still be loading
    await tick(300);
    expect(c.commits).toEqual([]);
    c.rejoin();
    await until(() => c.commits.length === 1);
    expect(c.commits[0]).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    expect(h.consumers).toHaveLength(1);
  });

  it('keeps the offsets of a refused commit for the next one', async () => {
    const h = harness({ stallTimeoutMs: 60_000, commitIntervalMs: 50 });
    await listen(h);
    const c = h.consumers[0];
    c.failCommits = 1;
    await c.eachBatch?.(batchOf(0, ['1']));
    await until(() => c.commits.length === 1);
    expect(c.commits[0]).toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    expect(h.consumers).toHaveLength(1);
  });
});

describe('KafkaBatchTransport: a consumer that stops consuming is replaced', () => {
  it('replaces a consumer that shows no sign of life, and says so in its state', async () => {
    const h = harness();
    await listen(h);
    await until(() => h.consumers.length === 2);
    expect(h.consumers[0].disconnected).toBe(true);
    expect(h.restarts[0]).toMatch(/^stalled/);
    expect(h.states).toContain('stalled');
    await until(() => h.transport.consumerState === 'joined');
  });

  it('leaves a consumer alone while it keeps fetching', async () => {
    const h = harness();
    await listen(h);
    const timer = setInterval(() => h.consumers[0].fetch(), 50);
    await tick(900);
    clearInterval(timer);
    expect(h.consumers).toHaveLength(1);
    expect(h.restarts).toEqual([]);
  });

  it('does not take a slow handler for a stall', async () => {
    const h = harness();
    let release: () => void = () => undefined;
    await listen(h, () => new Promise<void>((r) => (release = r)));
    const batch = h.consumers[0].eachBatch?.(oneMessage);
    await tick(900);
    expect(h.consumers).toHaveLength(1);
    release();
    await batch;
  });

  it('abandons a consumer whose offset commit never finishes (a killed coordinator), once the handler is done', async () => {
    const h = harness({ hangOnCommit: true, stallTimeoutMs: 60_000 });
    const handled: unknown[] = [];
    await listen(h, (b) => {
      handled.push(b);
      return Promise.resolve();
    });
    await h.consumers[0].eachBatch?.(oneMessage);
    expect(handled).toHaveLength(1);
    await until(() => h.consumers.length === 2);
    expect(h.restarts[0]).toMatch(/offset commit did not finish/);
  });

  it('makes an abandoned consumer that kafkajs brings back leave again, without handing it anything', async () => {
    const h = harness();
    const handled: unknown[] = [];
    await listen(h, (b) => {
      handled.push(b);
      return Promise.resolve();
    });
    await until(() => h.consumers.length === 2);
    expect(h.consumers[0].disconnects).toBe(1);
    await h.consumers[0].eachBatch?.(oneMessage);
    expect(handled).toEqual([]);
    expect(h.consumers[0].disconnects).toBe(2);
  });

  it('starts a new consumer even when the stalled one never finishes disconnecting', async () => {
    const h = harness({ hangOnDisconnect: true });
    await listen(h);
    // 300 ms to notice, then up to 10 s waiting for the old consumer to leave
    await until(() => h.consumers.length === 2, 13_000);
    await until(() => h.transport.consumerState === 'joined');
  }, 20_000);

  it('replaces a consumer after a crash kafkajs will not restart, but not after one it restarts itself', async () => {
    const h = harness({ stallTimeoutMs: 60_000 });
    await listen(h);
    h.consumers[0].crash(true);
    await tick(200);
    expect(h.consumers).toHaveLength(1);
    h.consumers[0].crash(false);
    expect(h.transport.consumerState).toBe('crashed');
    await until(() => h.consumers.length === 2);
    expect(h.restarts[0]).toMatch(/^crashed: boom/);
    await until(() => h.transport.consumerState === 'joined');
  });
});
