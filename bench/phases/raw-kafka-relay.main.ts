/**
 * Baseline (a), run as its own process: a kafkajs consume → produce pass-through with no database,
 * shaped like the attempt-service's consumer (KafkaBatchTransport) and relay (one idempotent producer):
 * eachBatch on 3 partitions concurrently, slices of COMMAND_BATCH_SIZE, each slice produced to the same
 * partition of the output topic with acks=all, then its offset committed.
 *
 * Env: KAFKA_BROKERS, KAFKA_SASL_* (as the services), RAW_IN, RAW_OUT, RAW_GROUP, COMMAND_BATCH_SIZE (500), PARTITIONS_CONSUMED_CONCURRENTLY (3).
 */
import { Kafka, logLevel } from 'kafkajs';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

async function main(): Promise<void> {
  const mechanism = process.env.KAFKA_SASL_MECHANISM;
  const kafka = new Kafka({
    clientId: 'bench-raw-relay',
    brokers: env('KAFKA_BROKERS').split(','),
    // SCRAM, as the services (KAFKA_SASL_*): the handshake is once per connection, not per message.
    sasl: mechanism === 'scram-sha-512' ? { mechanism, username: env('KAFKA_SASL_USERNAME'), password: env('KAFKA_SASL_PASSWORD') } : undefined,
    logLevel: logLevel.WARN,
  });
  const input = env('RAW_IN');
  const output = env('RAW_OUT');
  const max = Number(env('COMMAND_BATCH_SIZE', '500'));
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const consumer = kafka.consumer({
    groupId: env('RAW_GROUP'),
    sessionTimeout: 30000,
    heartbeatInterval: 3000,
    maxBytesPerPartition: 4 * 1024 * 1024,
    // only matters when idle (data is returned as soon as it arrives); makes SIGTERM quick
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: Number(env('PARTITIONS_CONSUMED_CONCURRENTLY', '3')),
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (let i = 0; i < batch.messages.length; i += max) {
        if (!isRunning() || isStale()) return;
        const slice = batch.messages.slice(i, i + max);
        await producer.send({
          topic: output,
          acks: -1,
          messages: slice.map((m) => ({
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
  process.stderr.write(`raw relay failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
