import { Kafka, logLevel, type ICustomPartitioner, type LogEntry, type logCreator, type Producer, type ProducerBatch, type ProducerRecord } from 'kafkajs';
import type { KafkaSettings } from '../config/kafka.config';
import type { Logger } from '../logging/logger';
import { javaCompatiblePartitioner } from './murmur2.partitioner';
import { stallDetectingSocketFactory } from './stall-detecting.socket';

/** Routes kafkajs's own log lines into pino (warnings and errors only, unless LOG_LEVEL is debug). */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      const fields = { kafka: rest };
      // Our idempotent producers bound their retries on purpose and are replaced after a failed send.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      if (level === logLevel.ERROR) logger.error(fields, `kafkajs: ${message}`);
      else if (level === logLevel.WARN) logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.INFO) logger.debug(fields, `kafkajs: ${message}`);
      else logger.trace(fields, `kafkajs: ${message}`);
    };
}

export function createKafka(settings: KafkaSettings, logger: Logger, clientId = settings.clientId): Kafka {
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    sasl: settings.sasl,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    // drops a connection that stops answering (kafkajs would time out every retry on it forever)
    socketFactory: stallDetectingSocketFactory(),
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    logLevel: logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
}

/**
 * An idempotent producer (acks=all, one request in flight, so order per partition is kept), using
 * the Java client's murmur2 partitioning (in linear time, see murmur2.partitioner.ts) so keys land
 * where other clients put them. Its retries are bounded so a long broker outage surfaces as an
 * error the caller handles (and then replaces it).
 */
export function connectIdempotentProducer(kafka: Kafka): Promise<Producer> {
  return connectCompleteProducer(kafka, memoisedPartitioner(javaCompatiblePartitioner));
}

/**
 * The longest a send may go unanswered before it fails and the caller sends the batch again with a
 * new producer. kafkajs retries a timed-out request on the same connection to the leader it knew: a
 * send caught by a node cut off the network waited for the heal (fault scenario 6b), while the other
 * nodes had long elected new leaders. Above the request timeout (30 s), so one slow answer is waited for.
 */
export const PRODUCER_SEND_DEADLINE_MS = 40_000;

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to a send within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * An idempotent producer (acks=all, one request in flight) whose sends resolve only when every
 * partition they put messages in was written. kafkajs 2.2.4 retries a send only towards the brokers
 * that have not answered yet, with the messages grouped by the leaders it knows by then: a partition
 * whose leader moved to a broker that had already answered is left out, and the send resolves as if
 * its messages were written (fault scenario 6b, a node cut off the network, lost commands that way).
 * Here the partitioner records where each send put its messages (sends run one at a time), and a
 * result without one of those partitions fails the send: the caller sends the batch again.
 * A send unanswered after `deadlineMs` fails too (see PRODUCER_SEND_DEADLINE_MS).
 */
export async function connectCompleteProducer(kafka: Kafka, createPartitioner: ICustomPartitioner, deadlineMs = PRODUCER_SEND_DEADLINE_MS): Promise<Producer> {
  const placed = new Set<string>();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: () => {
      const partition = createPartitioner();
      return (args) => {
        const p = partition(args);
        placed.add(`${args.topic}\u0000${p}`);
        return p;
      };
    },
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  await producer.connect();
  const sendBatch = producer.sendBatch.bind(producer);
  let turn: Promise<unknown> = Promise.resolve();
  producer.sendBatch = (batch: ProducerBatch) => {
    const sent = turn.then(async () => {
      placed.clear();
      const written = await withDeadline(sendBatch(batch), deadlineMs);
      const got = new Set(written.map((r) => `${r.topicName}\u0000${r.partition}`));
      const missing = [...placed].filter((k) => !got.has(k));
      if (missing.length > 0) throw new Error(`kafkajs resolved a send without writing to ${missing.map((k) => k.replace('\u0000', '/')).join(', ')}`);
      return written;
    });
    turn = sent.catch(() => undefined);
    return sent;
  };
  producer.send = ({ topic, messages, ...rest }: ProducerRecord) => producer.sendBatch({ ...rest, topicMessages: [{ topic, messages }] });
  return producer;
}

/**
 * The given partitioner, remembering the partition of each keyed message per topic and partition
 * count (a keyed message's partition depends on nothing else: murmur2 of the key modulo the count),
 * so a learner's events do not hash the same key again and again. Unkeyed messages, and messages
 * that name their partition, go to the partitioner every time. Forgets everything once it holds `maxKeys` keys.
 */
export function memoisedPartitioner(create: ICustomPartitioner, maxKeys = 100_000): ICustomPartitioner {
  return () => {
    const partition = create();
    const known = new Map<string, number>();
    return (args) => {
      const key = args.message.key;
      if (key === null || key === undefined || args.message.partition !== undefined) return partition(args);
      const k = `${args.topic}\u0000${args.partitionMetadata.length}\u0000${typeof key === 'string' ? key : key.toString('latin1')}`;
      let p = known.get(k);
      if (p === undefined) {
        p = partition(args);
        if (known.size >= maxKeys) known.clear();
        known.set(k, p);
      }
      return p;
    };
  };
}
