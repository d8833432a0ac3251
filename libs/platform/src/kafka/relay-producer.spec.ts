import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { KafkaSettings } from '../config/kafka.config';
import { createLogger } from '../logging/logger';
import { loadNativeClient, relayProducerFactory } from './relay-producer';

const settings: KafkaSettings = {
  brokers: ['127.0.0.1:1'],
  clientId: 'test',
  ssl: undefined,
  sasl: undefined,
  partitions: 3,
  replicationFactor: 1,
  topicRetentionMs: 60_000,
};

describe('relayProducerFactory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'native-client-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const logger = createLogger('test', 'silent');

  it('connects kafkajs’ producer when no native client is configured (the package is never loaded)', async () => {
    const connect = jest.fn().mockResolvedValue(undefined);
    // connectIdempotentProducer wraps send and sendBatch (kafka-client.ts: connectCompleteProducer)
    const producer = { connect, send: jest.fn(), sendBatch: jest.fn() };
    const kafka = { producer: jest.fn(() => producer) } as unknown as Kafka;
    await expect(relayProducerFactory(kafka, settings, logger)()).resolves.toBe(producer);
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('with KAFKA_CLIENT=native, loads <dir>/producer.js on the first connect and passes the settings', async () => {
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(
      join(dir, 'producer.js'),
      'exports.connectIdempotentProducer = async (s) => ({ sendBatch: async () => [], disconnect: async () => undefined, clientId: s.clientId });',
    );
    const kafka = { producer: jest.fn() } as unknown as Kafka;
    const connect = relayProducerFactory(kafka, { ...settings, nativeClient: { dir } }, logger);
    await expect(connect()).resolves.toMatchObject({ clientId: 'test' });
    expect(kafka.producer).not.toHaveBeenCalled();
  });

  it('says which file is wrong when the folder has no usable producer.js', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    writeFileSync(join(empty, 'producer.js'), 'exports.other = 1;');
    expect(() => loadNativeClient(empty)).toThrow(/producer\.js does not export connectIdempotentProducer/);
  });
});
