import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Logger } from '../logging/logger';
import { backoffDelay, sleep } from './backoff';

export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** The first value of each header, as UTF-8 text. */
  headers: Record<string, string>;
  timestamp: string;
  /** Sizes as received, so a consumer can bound every part before any work (SPEC §8.5). */
  size: InboundSize;
}

export interface InboundSize {
  keyBytes: number;
  /** Header values received (a header repeated under one name counts once per value). */
  headerCount: number;
  /** Header names and values, in bytes. */
  headerBytes: number;
  valueBytes: number;
}

/** A slice of one partition's fetched batch, handed to the `@EventPattern(topic)` handler at once. */
export interface InboundBatch {
  topic: string;
  partition: number;
  messages: InboundMessage[];
}

export interface KafkaBatchTransportOptions {
  kafka: Kafka;
  /** Consumer group id, used exactly as given (no suffix). */
  groupId: string;
  /** Topic → the `@EventPattern` that handles it (topic names are configuration, patterns are code). */
  subscriptions: { topic: string; pattern: string }[];
  logger: Logger;
  /** Largest slice handed to a handler (one database transaction). */
  maxBatchSize?: number;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * The broker answers a fetch once this many bytes are there or `fetchMaxWaitMs` has passed. Above 1,
   * a quiet stream is taken in fewer, larger batches (fewer transactions and round trips per message)
   * at the cost of up to `fetchMaxWaitMs` of latency. Defaults: 1 byte, 5,000 ms (kafkajs').
   */
  fetchMinBytes?: number;
  fetchMaxWaitMs?: number;
  /**
   * Most bytes fetched per partition at once (default 1 MiB, ~3,000 commands). A fetch is decoded
   * and held in memory until all its slices are handled, so this bounds the consumer's working set.
   */
  fetchMaxBytesPerPartition?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called each time a batch failed with a fault and will be retried (for metrics). */
  onRetry?: (e: unknown) => void;
  /**
   * A running consumer that shows no sign of life (no fetch, heartbeat or batch) for this long
   * outside a handler call is stalled: it is abandoned and a new one joins the group (see
   * `watchdog`). Default: twice the session timeout, at least 60 s.
   */
  stallTimeoutMs?: number;
  /** An offset commit still pending after this long abandons the consumer (default 20 s). */
  commitTimeoutMs?: number;
  /**
   * 0 (default): offsets are committed after every handled slice, before the next fetch. Above 0:
   * handled offsets are collected and committed together at most once per this many milliseconds
   * (one request for every partition, off the fetch path), and always before a graceful stop. Only
   * for handlers that make redelivery harmless (an inbox): a crash redelivers up to this much more.
   */
  commitIntervalMs?: number;
  /** Called when the watchdog (or a crash kafkajs does not restart) replaces the consumer (for metrics). */
  onRestart?: (reason: string) => void;
}

export type ConsumerState = 'idle' | 'connecting' | 'joined' | 'stopped' | 'crashed' | 'stalled';

/** Where the consumer was when it last showed a sign of life (logged when it stalls). */
type Phase = 'starting' | 'fetching' | 'handling' | 'committing' | 'heartbeat' | 'retry-wait';

/**
 * Nest transport strategy on kafkajs for effectively-once processing:
 * - the handler gets batches (so a use case can apply many messages in one transaction);
 * - offsets are committed only after the handler's promise resolves;
 * - a handler error is an infrastructure fault: the same batch is retried with backoff, never skipped
 *   (expected outcomes such as invalid input are values inside the handler, not errors);
 * - close() stops fetching, lets the in-flight batch finish and commit, then disconnects.
 * Nest's built-in ServerKafka handles one message at a time and appends `-server` to ids; this does not.
 */
export class KafkaBatchTransport extends Server implements CustomTransportStrategy {
  private consumer: Consumer | null = null;
  private closing = false;
  private readonly abort = new AbortController();
  private state: ConsumerState = 'idle';
  private readonly stateListeners: ((s: ConsumerState) => void)[] = [];
  private lastSignOfLife = Date.now();
  private phase: Phase = 'starting';
  private watchdogTimer: NodeJS.Timeout | null = null;
  private restarting: Promise<void> | null = null;
  private handlersInFlight = 0;
  /** Incremented per consumer started; batches of an abandoned consumer stop at their next step. */
  private generation = 0;
  /** Handled but not yet committed offsets (the next offset to read), per topic and partition. */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private commitTimer: NodeJS.Timeout | null = null;
  private lastCommitAt = 0;
  /**
   * The current consumer is a member of the group (joined, not crashed): commits wait for this. A
   * commit sent while kafkajs restarts a crashed consumer can hang on a coordinator that is still
   * loading (seen in the fault suite's broker kill -9), and would then abandon a consumer for nothing.
   */
  private member = false;
  private committing: Promise<boolean> = Promise.resolve(true);

  constructor(private readonly options: KafkaBatchTransportOptions) {
    super();
  }

  get consumerState(): ConsumerState {
    return this.state;
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.start();
      this.startWatchdog();
      callback();
    } catch (e) {
      callback(e);
    }
  }

  private async start(): Promise<void> {
    const o = this.options;
    for (const { topic, pattern } of o.subscriptions) {
      if (!this.getHandlerByPattern(pattern)) throw new Error(`no @EventPattern('${pattern}') handler for topic ${topic}`);
    }
    this.setState('connecting');
    this.alive('starting');
    const generation = ++this.generation;
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30000,
      rebalanceTimeout: 60000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: o.fetchMaxBytesPerPartition ?? 1024 * 1024,
      minBytes: o.fetchMinBytes ?? 1,
      maxWaitTimeInMs: o.fetchMaxWaitMs ?? 5000,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10000 },
    });
    this.consumer = consumer;
    const mine = () => generation === this.generation;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (!mine()) return;
      this.member = true;
      this.alive('fetching');
      this.setState('joined');
      if (this.uncommitted.size > 0 && this.commitsBatched()) this.scheduleCommit();
    });
    for (const sign of [consumer.events.FETCH_START, consumer.events.FETCH, consumer.events.HEARTBEAT]) {
      consumer.on(sign, () => {
        if (mine()) this.alive(this.handlersInFlight > 0 ? 'handling' : 'fetching');
      });
    }
    consumer.on(consumer.events.CRASH, (e) => {
      if (!mine()) return;
      this.member = false;
      this.options.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (e.payload.restart) return; // kafkajs starts it again itself
      // kafkajs gives up on errors it does not deem retriable; for this service any broker-side error
      // is a fault to outlast, so a fresh consumer takes over after a pause.
      this.setState('crashed');
      void sleep(backoffDelay(3, this.options.retryInitialMs ?? 200, this.options.retryMaxMs ?? 10000), this.abort.signal).then(() =>
        this.replaceConsumer(`crashed: ${e.payload.error.message}`),
      );
    });
    // Partitions may move: hand over what was handled so far (the old generation may still commit).
    consumer.on(consumer.events.REBALANCING, () => {
      if (mine()) void this.commitHandled();
    });
    consumer.on(consumer.events.STOP, () => {
      if (mine() && !this.restarting) this.setState('stopped');
    });
    await consumer.connect();
    // A new group starts at the earliest offset: commands published before the first start are not lost.
    await consumer.subscribe({ topics: o.subscriptions.map((s) => s.topic), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => (mine() ? this.onBatch(payload, mine) : this.stopAbandoned(consumer)),
    });
  }

  /**
   * An abandoned consumer that kafkajs brought back (a restart scheduled before it was abandoned) is
   * a group member that would hold its partitions without handling them: make it leave again.
   */
  private stopAbandoned(consumer: Consumer): Promise<void> {
    this.options.logger.warn('an abandoned consumer is consuming again; disconnecting it');
    void consumer.disconnect().catch(() => undefined);
    return Promise.resolve();
  }

  private async onBatch(payload: EachBatchPayload, mine: () => boolean): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset } = payload;
    const pattern = this.options.subscriptions.find((s) => s.topic === batch.topic)?.pattern ?? batch.topic;
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${batch.topic}`);
    const max = this.options.maxBatchSize ?? 500;
    for (let i = 0; i < batch.messages.length; i += max) {
      if (!isRunning() || isStale() || this.closing || !mine()) return;
      const slice = batch.messages.slice(i, i + max);
      const inbound: InboundBatch = {
        topic: batch.topic,
        partition: batch.partition,
        messages: slice.map((m) => toInbound(batch.topic, batch.partition, m)),
      };
      const done = await this.handleWithRetry(handler, inbound, () => isRunning() && !isStale() && mine(), heartbeat);
      if (!done || !mine()) return; // shutting down, partition revoked or consumer replaced: redelivered later
      const last = slice[slice.length - 1];
      resolveOffset(last.offset);
      this.keepForCommit({ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() });
      if (this.commitsBatched()) this.scheduleCommit();
      else {
        this.alive('committing');
        if (!(await this.commitHandled()) || !mine()) return;
      }
      this.alive('heartbeat');
      await heartbeat();
      this.alive('fetching');
    }
  }

  private async handleWithRetry(
    handler: NonNullable<ReturnType<Server['getHandlerByPattern']>>,
    inbound: InboundBatch,
    stillOwned: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      this.handlersInFlight++;
      try {
        this.alive('handling');
        const out: unknown = await handler(inbound);
        if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
        this.alive('committing');
        return true;
      } catch (e) {
        this.alive('retry-wait');
        const delay = backoffDelay(attempt, this.options.retryInitialMs ?? 200, this.options.retryMaxMs ?? 10000);
        this.options.onRetry?.(e);
        this.options.logger.warn(
          { err: e, topic: inbound.topic, partition: inbound.partition, attempt, retryInMs: delay },
          'batch failed with an infrastructure fault; retrying',
        );
        if (this.closing) return false;
        await sleep(delay, this.abort.signal);
        if (this.closing || !stillOwned()) return false;
        await heartbeat().catch(() => undefined);
      } finally {
        this.handlersInFlight--;
      }
    }
  }

  /**
   * The watchdog: kafkajs can be left running without consuming after a broker dies (seen with the
   * group coordinator killed -9 on a 3-node cluster: no error, no crash event, the member expired
   * from the group, lag growing). A consumer with no sign of life for `stallTimeoutMs`, outside a
   * handler call (a slow handler is not a stall; its retries are signs of life), is abandoned and a
   * new one joins. Nothing is lost: offsets are committed only after the handler, so the new member
   * re-reads what was not committed, and the handler is idempotent.
   */
  private startWatchdog(): void {
    const timeout = this.stallTimeoutMs();
    this.watchdogTimer = setInterval(() => {
      if (this.closing || this.restarting || this.handlersInFlight > 0 || this.state === 'crashed') return;
      const silentFor = Date.now() - this.lastSignOfLife;
      if (silentFor < timeout) return;
      this.options.logger.error(
        { silentForMs: silentFor, phase: this.phase, state: this.state },
        'consumer stalled: no fetch, heartbeat or batch; replacing it',
      );
      this.setState('stalled');
      void this.replaceConsumer(`stalled in ${this.phase} for ${Math.round(silentFor / 1000)} s`);
    }, Math.min(5000, Math.max(100, Math.floor(timeout / 4))));
    this.watchdogTimer.unref();
  }

  private commitsBatched(): boolean {
    return (this.options.commitIntervalMs ?? 0) > 0;
  }

  /** Records a partition's next offset for the next commit; `replace` false keeps a newer one already there. */
  private keepForCommit(o: { topic: string; partition: number; offset: string }, replace = true): void {
    const k = `${o.topic}\u0000${o.partition}`;
    if (replace || !this.uncommitted.has(k)) this.uncommitted.set(k, o);
  }

  /** Commits the collected offsets once `commitIntervalMs` has passed since the last commit. */
  private scheduleCommit(): void {
    if (this.commitTimer || this.closing) return;
    const delay = Math.max(0, this.lastCommitAt + (this.options.commitIntervalMs ?? 0) - Date.now());
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      void this.commitHandled();
    }, delay);
  }

  /**
   * Commits every collected offset in one request (commits run one at a time). Resolves false when
   * the commit failed or hung: a failed commit's offsets are kept for the next one (a newer offset
   * of the same partition replaces them); a hung one abandons the consumer (see `watchdog`).
   */
  private commitHandled(): Promise<boolean> {
    this.committing = this.committing.then(async () => {
      const consumer = this.consumer;
      if (this.uncommitted.size === 0 || !consumer || !this.member) return true; // kept for the next one
      const offsets = [...this.uncommitted.values()];
      this.uncommitted.clear();
      this.lastCommitAt = Date.now();
      const commit = consumer.commitOffsets(offsets);
      try {
        if (await settlesWithin(commit, this.commitTimeoutMs())) return true;
      } catch (e) {
        this.options.logger.warn({ err: e, offsets }, 'offset commit failed; retrying with the next commit');
        for (const o of offsets) this.keepForCommit(o, false);
        if (this.commitsBatched()) this.scheduleCommit();
        return false;
      }
      // kafkajs can wait forever on a commit to a coordinator that was killed; the work is done
      // and idempotent, so a new member re-reading these messages costs nothing but time.
      commit.catch(() => undefined);
      if (!this.closing) void this.replaceConsumer(`offset commit did not finish within ${this.commitTimeoutMs()} ms`);
      return false;
    });
    return this.committing;
  }

  private commitTimeoutMs(): number {
    return this.options.commitTimeoutMs ?? 20000;
  }

  private stallTimeoutMs(): number {
    return this.options.stallTimeoutMs ?? Math.max(60000, 2 * (this.options.sessionTimeoutMs ?? 30000));
  }

  /** Abandons the current consumer (disconnecting it, but not waiting long for that) and starts a new one. */
  private replaceConsumer(reason: string): Promise<void> {
    if (this.closing || this.restarting) return this.restarting ?? Promise.resolve();
    this.restarting = (async () => {
      this.options.onRestart?.(reason);
      const old = this.consumer;
      this.consumer = null;
      this.member = false;
      this.generation++; // the old consumer's batches stop at their next step and commit nothing
      if (old) {
        const gone = await Promise.race([
          old.disconnect().then(
            () => true,
            () => true,
          ),
          sleep(10000, this.abort.signal).then(() => false),
        ]);
        if (!gone) this.options.logger.warn('the abandoned consumer did not disconnect within 10 s; starting a new one anyway');
      }
      for (let attempt = 1; !this.closing; attempt++) {
        try {
          await this.start();
          this.options.logger.warn({ reason }, 'consumer replaced');
          return;
        } catch (e) {
          const delay = backoffDelay(attempt, this.options.retryInitialMs ?? 200, this.options.retryMaxMs ?? 10000);
          this.options.logger.warn({ err: e, attempt, retryInMs: delay }, 'could not start the replacement consumer; retrying');
          const failed = this.consumer as Consumer | null;
          this.consumer = null;
          await failed?.disconnect().catch(() => undefined);
          await sleep(delay, this.abort.signal);
        }
      }
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  private alive(phase: Phase): void {
    this.lastSignOfLife = Date.now();
    this.phase = phase;
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.abort.abort();
    await this.restarting;
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = null;
    await this.commitHandled();
    // kafkajs waits for the in-flight eachBatch to return before leaving the group.
    await this.consumer?.disconnect();
    this.consumer = null;
    this.setState('stopped');
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- the signature Nest's Server declares
  on<EventKey extends string = string, EventCallback extends Function = Function>(event: EventKey, callback: EventCallback): void {
    if (event === 'state') this.stateListeners.push(callback as unknown as (s: ConsumerState) => void);
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('the Kafka consumer is not started');
    return this.consumer as T;
  }

  private setState(s: ConsumerState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }
}

/** Resolves true when `p` settles (rejections propagate) within `ms`, false when it does not. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([p.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

export function toInbound(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  const headers: Record<string, string> = {};
  let headerCount = 0;
  let headerBytes = 0;
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headerCount += values.length;
    for (const one of values) headerBytes += Buffer.byteLength(k) + byteLength(one);
    const first = values[0];
    headers[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value,
    headers,
    timestamp: m.timestamp,
    size: { keyBytes: m.key?.length ?? 0, headerCount, headerBytes, valueBytes: m.value?.length ?? 0 },
  };
}

function byteLength(v: Buffer | string | undefined): number {
  if (v === undefined) return 0;
  return Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v);
}
