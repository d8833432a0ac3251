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
 * PARTITIONS_CONSUMED_CONCURRENTLY (3).
 */
/* eslint-disable */
const { KafkaJS } = require('@confluentinc/kafka-javascript');

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

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
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: any) => {
      for (let i = 0; i < batch.messages.length; i += max) {
        if (!isRunning() || isStale()) return;
        const slice = batch.messages.slice(i, i + max);
        await producer.send({
          topic: output,
          messages: slice.map((m: any) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            partition: batch.partition,
          })),
        });
        const last = slice[slice.length - 1];
        resolveOffset(last.offset);
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        await heartbeat();
      }
    },
  });
  const stop = () => {
    void (async () => {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`raw relay (native) failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
