import { Kafka, logLevel, Partitioners, type LogEntry, type logCreator, type Producer } from 'kafkajs';
import type { KafkaSettings } from '../config/kafka.config';
import type { Logger } from '../logging/logger';

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
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    logLevel: logger.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });
}

/**
 * An idempotent producer (acks=all, one request in flight, so order per partition is kept), using
 * the Java client's murmur2 partitioner so keys land where other clients put them. Its retries are
 * bounded so a long broker outage surfaces as an error the caller handles (and then replaces it).
 */
export async function connectIdempotentProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
  });
  await producer.connect();
  return producer;
}
