import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { INestApplication } from '@nestjs/common';
import type { Consumer } from 'kafkajs';
import {
  loadOpenEdxBridgeConfig,
  type OpenEdxBridgeConfig,
} from '../../apps/openedx-bridge/src/config/openedx-bridge.config';
import { createOpenEdxBridgeApp } from '../../apps/openedx-bridge/src/openedx-bridge.app';
import { fullTopic, DEFAULT_OPENEDX_TOPIC } from '../../apps/openedx-bridge/src/openedx/exam-attempt.schema';
import { createLogger } from '../../libs/platform/src/logging/logger';
import { applyAclPlan } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { localSaslEnabled } from '../../scripts/kafka-credentials';
import { testKafka, type TestTopics } from '../support/kafka-fixture';
import {
  testIdentity,
  TEST_DATABASE_URL,
  TEST_KAFKA_BROKERS,
  TEST_SCHEMA_REGISTRY_URL,
} from '../support/test-env';

/** A message of the Open edX topic as a consumer receives it. */
export interface OpenEdxMessage {
  partition: number;
  offset: string;
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * An Open edX topic of one suite, named as event-bus-kafka names a prefixed topic
 * (`<prefix>-learning-exam-attempt-lifecycle`), writable by the bridge's principal only.
 */
export async function createOpenEdxTopic(partitions = 3): Promise<{ prefix: string; topic: string }> {
  const prefix = `test${randomUUID().slice(0, 8)}`;
  const topic = fullTopic(DEFAULT_OPENEDX_TOPIC, prefix);
  const admin = testKafka('test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    if (localSaslEnabled()) {
      await applyAclPlan(admin, [
        {
          principal: 'openedx-bridge',
          resource: 'TOPIC',
          pattern: 'LITERAL',
          name: topic,
          operation: 'WRITE',
        },
      ]);
    }
  } finally {
    await admin.disconnect();
  }
  return { prefix, topic };
}

/** The bridge's environment on a suite's topics, as its own principal. */
export function bridgeEnv(
  topics: TestTopics,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OPENEDX_BRIDGE_ENABLED: 'true',
    DATABASE_URL: TEST_DATABASE_URL,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    ...testIdentity('openedx-bridge'),
    TOPIC_ATTEMPT_EVENTS: topics.attemptEvents,
    OPENEDX_EVENT_BUS_TOPIC_PREFIX: prefix,
    OPENEDX_SCHEMA_REGISTRY_URL: TEST_SCHEMA_REGISTRY_URL,
    OPENEDX_BRIDGE_GROUP_ID: `openedx-bridge.test-${randomUUID()}`,
    OPENEDX_BRIDGE_SCHEMA: `openedx_bridge_${prefix}`,
    HTTP_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

/** The bridge in this process. */
export async function startBridge(
  env: Record<string, string>,
): Promise<{ app: INestApplication; config: OpenEdxBridgeConfig }> {
  const config = loadOpenEdxBridgeConfig(env);
  const app = await createOpenEdxBridgeApp(config, createLogger('openedx-bridge', config.logLevel), {
    shutdownHooks: false,
  });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  return { app, config };
}

/** Reads every message of the Open edX topic from the beginning, raw. */
export class OpenEdxCollector {
  readonly messages: OpenEdxMessage[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(topic: string): Promise<OpenEdxCollector> {
    const consumer = testKafka('test-openedx-collector').consumer({
      groupId: `test-collector-${randomUUID()}`,
      maxWaitTimeInMs: 100,
    });
    const c = new OpenEdxCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {}))
          if (v !== undefined) headers[k] = String(v);
        c.messages.push({
          partition,
          offset: message.offset,
          key: message.key ?? Buffer.alloc(0),
          value: message.value ?? Buffer.alloc(0),
          headers,
        });
      },
    });
    return c;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** A fresh client of the registry, as an Open edX consumer would have: it knows nothing but the URL. */
export function freshRegistry(): SchemaRegistry {
  return new SchemaRegistry({ host: TEST_SCHEMA_REGISTRY_URL });
}

/** librdkafka's default partition of a key (what a Python producer would pick). */
export function librdkafkaPartition(key: Buffer, partitions: number): number {
  return crc32(key) % partitions;
}
