'use strict';
/**
 * The attempt-service's relay producer on the native client (bench only): loaded at run time by
 * libs/platform/src/kafka/relay-producer.ts when KAFKA_CLIENT=native and KAFKA_NATIVE_CLIENT_DIR names
 * this folder. Plain CommonJS so the compiled service loads it without a build step; the root project
 * never imports @confluentinc/kafka-javascript.
 *
 * It stands behind the same port as kafkajs' idempotent producer (`sendBatch` with acks=all, then
 * `disconnect`): idempotent, acks=all (a producer setting here, so the `acks` of each send is checked and
 * dropped), murmur2 partitioning of keys as the Java client (and the services' kafkajs partitioner) does.
 * What differs from kafkajs: librdkafka batches records itself (`linger.ms`, 5 ms by default,
 * KAFKA_NATIVE_LINGER_MS here) and retries a failed request internally until `message.timeout.ms`
 * (KAFKA_NATIVE_MESSAGE_TIMEOUT_MS, 30 s here) instead of kafkajs' bounded retries.
 */
const { KafkaJS } = require('@confluentinc/kafka-javascript');

const LEVELS = { error: KafkaJS.logLevel.ERROR, warn: KafkaJS.logLevel.WARN, info: KafkaJS.logLevel.INFO, debug: KafkaJS.logLevel.DEBUG };

/** kafkajs-style logger calls (info/warn/error/debug with a message and fields) routed into pino. */
function pinoLogger(logger) {
  let level = KafkaJS.logLevel.WARN;
  const at = (name, pinoLevel) => (message, extra) => {
    if (level >= LEVELS[name]) logger[pinoLevel]({ kafka: extra }, `librdkafka: ${message}`);
  };
  const self = {
    info: at('info', 'debug'),
    warn: at('warn', 'warn'),
    error: at('error', 'error'),
    debug: at('debug', 'trace'),
    namespace: () => self,
    setLogLevel: (l) => {
      level = l;
    },
  };
  return self;
}

/**
 * @param settings KafkaSettings of libs/platform (brokers, clientId, sasl, ssl)
 * @param logger a pino logger
 */
async function connectIdempotentProducer(settings, logger) {
  if (settings.ssl) throw new Error('KAFKA_CLIENT=native: TLS is not wired in the bench-only adapter');
  const sasl = settings.sasl
    ? { mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password }
    : undefined;
  const kafka = new KafkaJS.Kafka({
    kafkaJS: {
      clientId: settings.clientId,
      brokers: settings.brokers,
      sasl,
      logger: pinoLogger(logger),
      logLevel: KafkaJS.logLevel.WARN,
    },
  });
  const producer = kafka.producer({
    'linger.ms': Number(process.env.KAFKA_NATIVE_LINGER_MS ?? 5),
    'message.timeout.ms': Number(process.env.KAFKA_NATIVE_MESSAGE_TIMEOUT_MS ?? 30000),
    kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false },
  });
  await producer.connect();
  return {
    async sendBatch(batch) {
      const { acks, ...rest } = batch;
      if (acks !== undefined && acks !== -1) throw new Error(`KAFKA_CLIENT=native: the relay producer sends with acks=all only (asked: ${acks})`);
      return producer.sendBatch(rest);
    },
    disconnect: () => producer.disconnect(),
  };
}

module.exports = { connectIdempotentProducer };
