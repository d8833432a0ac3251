import type { Consumer, Kafka } from 'kafkajs';
import { ArrivalLog } from './stats';

/** What the observer extracts from each event without a full JSON parse. */
export interface ObservedEvent {
  type: string | undefined;
  causationId: string | undefined;
  /** The event's `time` (when the service applied the change, by its clock), as text. */
  time: string | undefined;
  value: Buffer;
}

/** Called for every event with the `performance.now()` time its batch arrived. */
export type EventListener = (e: ObservedEvent, at: number) => void;

// The envelope attributes come before `data` in every event the service writes, so the first match
// is the envelope's; ids are plain strings (no escapes) in every message the bench produces.
const TYPE = /"type":"([A-Za-z]+)"/;
const CAUSATION = /"causationid":"([^"\\]+)"/;
const TIME = /"time":"([^"]+)"/;

/**
 * A consumer on an output topic, in the bench process, that timestamps every message as it arrives.
 * With `decode`, it extracts the CloudEvents `type` and `causationid` (cheaply, by pattern) and
 * passes them to the current listener; without it, it only counts (raw pass-through output).
 */
export class TopicObserver {
  readonly arrivals = new ArrivalLog();
  private consumer: Consumer | null = null;
  private listener: EventListener | null = null;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    readonly groupId: string,
    private readonly decode: boolean,
  ) {}

  get count(): number {
    return this.arrivals.total;
  }

  setListener(listener: EventListener | null): void {
    this.listener = listener;
  }

  async start(): Promise<void> {
    // A short fetch wait only matters when the topic is idle (data is returned as soon as it arrives);
    // it lets the observer disconnect in well under the default 5 s.
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 500,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        const at = performance.now();
        this.arrivals.add(batch.messages.length, at);
        const listener = this.listener;
        if (!this.decode || !listener) return;
        for (const m of batch.messages) {
          if (!m.value) continue;
          const text = m.value.toString('utf8');
          listener(
            {
              type: TYPE.exec(text)?.[1],
              causationId: CAUSATION.exec(text)?.[1],
              time: TIME.exec(text)?.[1],
              value: m.value,
            },
            at,
          );
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}
