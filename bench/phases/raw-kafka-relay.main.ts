/**
 * Baseline (a), run as its own process: a kafkajs consume → produce pass-through with no database,
 * shaped like the attempt-service's consumer (KafkaBatchTransport) and relay (one idempotent producer):
 * eachBatch on 3 partitions concurrently, slices of COMMAND_BATCH_SIZE, each slice produced to the same
 * partition of the output topic with acks=all, then its offset committed.
 *
 * Env: KAFKA_BROKERS, KAFKA_SASL_* (as the services), RAW_IN, RAW_OUT, RAW_GROUP, COMMAND_BATCH_SIZE (500), PARTITIONS_CONSUMED_CONCURRENTLY (3).
 */
import { Kafka, logLevel } from 'kafkajs';
import { env, passThroughBatch, runRelay, stopOnSignal } from './raw-kafka-relay.shape';

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
    eachBatch: passThroughBatch(
      max,
      (messages) => producer.send({ topic: output, acks: -1, messages }),
      (offset) => consumer.commitOffsets([offset]),
    ),
  });
  stopOnSignal(consumer, producer);
}

runRelay('raw relay', main);
