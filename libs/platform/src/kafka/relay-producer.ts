import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import type { KafkaSettings } from '../config/kafka.config';
import type { Logger } from '../logging/logger';
import { connectIdempotentProducer } from './kafka-client';

/**
 * What a relay needs of a producer: one batch sent with acks=all (resolved once every record is
 * acknowledged), and disconnect. kafkajs' idempotent producer is one; the bench-only native client
 * stands behind the same port.
 */
export type BatchProducer = Pick<Producer, 'sendBatch' | 'disconnect'>;

/** The module bench/native-client/producer.js (CommonJS, loaded at run time, never imported). */
interface NativeClientModule {
  connectIdempotentProducer(settings: KafkaSettings, logger: Logger): Promise<BatchProducer>;
}

/** Loads `<dir>/producer.js`; its own `require` of @confluentinc/kafka-javascript resolves inside `dir`. */
export function loadNativeClient(dir: string): NativeClientModule {
  const module = createRequire(join(dir, 'package.json'))('./producer.js') as Partial<NativeClientModule> | null;
  if (typeof module?.connectIdempotentProducer !== 'function') {
    throw new Error(`${join(dir, 'producer.js')} does not export connectIdempotentProducer`);
  }
  return module as NativeClientModule;
}

/**
 * How a relay connects its producer: kafkajs' idempotent producer, or with KAFKA_CLIENT=native
 * (benchmark only, `settings.nativeClient`) the bench-only native client, loaded on the first connect.
 */
export function relayProducerFactory(kafka: Kafka, settings: KafkaSettings, logger: Logger): () => Promise<BatchProducer> {
  const native = settings.nativeClient;
  if (!native) return () => connectIdempotentProducer(kafka);
  let loaded: NativeClientModule | undefined;
  return async () => {
    loaded ??= loadNativeClient(native.dir);
    logger.info({ dir: native.dir }, 'outbox relay producer: native client (KAFKA_CLIENT=native)');
    return loaded.connectIdempotentProducer(settings, logger);
  };
}
