/**
 * Baseline (a) with the native client: the same consume → produce pass-through as
 * bench/phases/raw-kafka-relay.main.ts, written against @confluentinc/kafka-javascript's KafkaJS-compatible
 * API (librdkafka underneath): eachBatch on 3 partitions concurrently, slices of COMMAND_BATCH_SIZE, each
 * slice produced to the same partition of the output topic by one idempotent producer with acks=all and
 * awaited, then its offset committed. The differences are the ones the compatible API imposes: acks is
 * the producer's setting (not per send), and the consumer hands over at most `js.consumer.max.batch.size`
 * messages per batch (here -1: everything fetched for the partition, as kafkajs does).
 *
 * Bench-only (bench/native-client is its own npm package, outside the root build): run by the bench through
 * ts-node/transpile-only, so it needs the package installed (`npm run bench:native-setup`) but not its types.
 *
 * Env: as the kafkajs relay: KAFKA_BROKERS, KAFKA_SASL_*, RAW_IN, RAW_OUT, RAW_GROUP, COMMAND_BATCH_SIZE (500),
 * PARTITIONS_CONSUMED_CONCURRENTLY (3); and RAW_NATIVE_CONSUMER_CONFIG, a JSON object of librdkafka consumer
 * properties on top (e.g. {"queued.min.messages": 10000}), for trying settings.
 */
/* eslint-disable */
import { env, passThroughBatch, runRelay, stopOnSignal } from '../phases/raw-kafka-relay.shape';

const { KafkaJS } = require('@confluentinc/kafka-javascript');

async function main(): Promise<void> {
  const mechanism = process.env.KAFKA_SASL_MECHANISM;
  const kafka = new KafkaJS.Kafka({
    kafkaJS: {
      clientId: 'bench-raw-relay-native',
      brokers: env('KAFKA_BROKERS').split(','),
      sasl:
        mechanism === 'scram-sha-512'
          ? { mechanism, username: env('KAFKA_SASL_USERNAME'), password: env('KAFKA_SASL_PASSWORD') }
          : undefined,
      logLevel: KafkaJS.logLevel.WARN,
    },
  });
  const input = env('RAW_IN');
  const output = env('RAW_OUT');
  const max = Number(env('COMMAND_BATCH_SIZE', '500'));
  const producer = kafka.producer({
    kafkaJS: { idempotent: true, maxInFlightRequests: 1, acks: -1, allowAutoTopicCreation: false },
  });
  await producer.connect();
  const consumer = kafka.consumer({
    'js.consumer.max.batch.size': -1,
    ...(JSON.parse(process.env.RAW_NATIVE_CONSUMER_CONFIG ?? '{}') as Record<string, unknown>),
    kafkaJS: {
      groupId: env('RAW_GROUP'),
      fromBeginning: true,
      autoCommit: false,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 500,
    },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [input] });
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: Number(env('PARTITIONS_CONSUMED_CONCURRENTLY', '3')),
    // the compatible API's payload has the fields passThroughBatch reads; acks is the producer's (-1)
    eachBatch: passThroughBatch(
      max,
      (messages) => producer.send({ topic: output, messages }),
      (offset) => consumer.commitOffsets([offset]),
    ),
  });
  stopOnSignal(consumer, producer);
}

runRelay('raw relay (native)', main);
