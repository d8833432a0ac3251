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
  headers: Record<string, string>;
  timestamp: string;
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
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Called each time a batch failed with a fault and will be retried (for metrics). */
  onRetry?: (e: unknown) => void;
}

export type ConsumerState = 'idle' | 'connecting' | 'joined' | 'stopped' | 'crashed';

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

  constructor(private readonly options: KafkaBatchTransportOptions) {
    super();
  }

  get consumerState(): ConsumerState {
    return this.state;
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.start();
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
    const consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs ?? 30000,
      rebalanceTimeout: 60000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10000 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.setState('joined'));
    consumer.on(consumer.events.CRASH, (e) => {
      this.options.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.setState('crashed');
    });
    consumer.on(consumer.events.STOP, () => this.setState('stopped'));
    await consumer.connect();
    // A new group starts at the earliest offset: commands published before the first start are not lost.
    await consumer.subscribe({ topics: o.subscriptions.map((s) => s.topic), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset } = payload;
    const pattern = this.options.subscriptions.find((s) => s.topic === batch.topic)?.pattern ?? batch.topic;
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${batch.topic}`);
    const max = this.options.maxBatchSize ?? 500;
    for (let i = 0; i < batch.messages.length; i += max) {
      if (!isRunning() || isStale() || this.closing) return;
      const slice = batch.messages.slice(i, i + max);
      const inbound: InboundBatch = {
        topic: batch.topic,
        partition: batch.partition,
        messages: slice.map((m) => toInbound(batch.topic, batch.partition, m)),
      };
      const done = await this.handleWithRetry(handler, inbound, () => isRunning() && !isStale(), heartbeat);
      if (!done) return; // shutting down or partition revoked: not committed, redelivered later
      const last = slice[slice.length - 1];
      resolveOffset(last.offset);
      await this.consumer?.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
      await heartbeat();
    }
  }

  private async handleWithRetry(
    handler: NonNullable<ReturnType<Server['getHandlerByPattern']>>,
    inbound: InboundBatch,
    stillOwned: () => boolean,
    heartbeat: () => Promise<void>,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out: unknown = await handler(inbound);
        if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
        return true;
      } catch (e) {
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
      }
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.abort.abort();
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

function toInbound(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    headers[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value,
    headers,
    timestamp: m.timestamp,
  };
}
