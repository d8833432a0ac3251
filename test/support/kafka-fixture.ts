import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { testSasl, TEST_KAFKA_BROKERS } from './test-env';
import { inboundTopicConfigEntries, providerReviewTopics } from '../../libs/contracts/src/topics';
import { aclPlan, applyAclPlan } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { localSaslEnabled } from '../../scripts/kafka-credentials';
import { expectEventually } from './expect-eventually';

export interface TestTopics {
  commands: string;
  attemptEvents: string;
  credentialEvents: string;
  commandsDlq: string;
  notifierDlq: string;
  /** Each provider's review and outcomes topics (SPEC §8.4), the providers of config/providers.json, suffixed like the others. */
  reviews?: Record<string, { reviews: string; outcomes: string }>;
  /** The suffix of the review topics (`TOPIC_REVIEWS_SUFFIX` of the service). */
  reviewsSuffix?: string;
}

/** The providers of config/providers.json: the service under test consumes a review topic for each. */
export function testProviders(): string[] {
  const json = JSON.parse(readFileSync(join(__dirname, '../../config/providers.json'), 'utf8')) as { providers?: Record<string, unknown> };
  return Object.keys(json.providers ?? {});
}

/** A client of the test harness: `admin` (a super user) unless another principal is named. */
export function testKafka(clientId = 'test', brokers = TEST_KAFKA_BROKERS, principal = 'admin'): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    sasl: testSasl(principal),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
}

/**
 * Topics of one test suite (suffixed), so suites never see each other's messages. They get the
 * production ACLs (SPEC §8.4, LITERAL on these names), so a service under test runs as its own principal.
 */
export async function createTestTopics(tag: string, partitions = 3, brokers = TEST_KAFKA_BROKERS): Promise<TestTopics> {
  const s = `${tag}.${randomUUID().slice(0, 8)}`;
  const topics: TestTopics = {
    commands: `proctoring.attempt.commands.v1.${s}`,
    attemptEvents: `proctoring.attempt.events.v1.${s}`,
    credentialEvents: `proctoring.credential.events.v1.${s}`,
    commandsDlq: `proctoring.attempt.commands.v1.dlq.${s}`,
    notifierDlq: `proctoring.notifier.dlq.v1.${s}`,
  };
  const reviewsSuffix = `.${s}`;
  const reviews = Object.fromEntries(
    testProviders().map((p) => {
      const t = providerReviewTopics(p);
      return [p, { reviews: t.reviews + reviewsSuffix, outcomes: t.outcomes + reviewsSuffix }];
    }),
  );
  const inbound = new Set([topics.commands, ...Object.values(reviews).map((r) => r.reviews)]);
  const admin = testKafka('test-admin', brokers).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [...Object.values(topics), ...Object.values(reviews).flatMap((r) => [r.reviews, r.outcomes])].map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: inbound.has(topic) ? inboundTopicConfigEntries() : [],
      })),
    });
    if (localSaslEnabled()) await applyAclPlan(admin, aclPlan({ ...topics, reviews }));
  } finally {
    await admin.disconnect();
  }
  return { ...topics, reviews, reviewsSuffix };
}

/**
 * Lets the attempt-service (the in-process service's principal) write a topic a test made itself, as
 * the deployment grants its topics (LITERAL; the topic need not exist yet). No-op without SASL.
 */
export async function grantAttemptServiceWrite(admin: Admin, topic: string): Promise<void> {
  if (!localSaslEnabled()) return;
  await applyAclPlan(admin, [{ principal: 'attempt-service', resource: 'TOPIC', pattern: 'LITERAL', name: topic, operation: 'WRITE' }]);
}

/** Env overrides that point a service at a suite's topics. */
export function topicEnv(t: TestTopics): Record<string, string> {
  return {
    TOPIC_COMMANDS: t.commands,
    TOPIC_ATTEMPT_EVENTS: t.attemptEvents,
    TOPIC_CREDENTIAL_EVENTS: t.credentialEvents,
    TOPIC_COMMANDS_DLQ: t.commandsDlq,
    TOPIC_NOTIFIER_DLQ: t.notifierDlq,
    ...(t.reviewsSuffix !== undefined ? { TOPIC_REVIEWS_SUFFIX: t.reviewsSuffix } : {}),
  };
}

export interface CollectedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  raw: Buffer | null;
  /** the parsed JSON value, or undefined when it is not JSON */
  json: Record<string, unknown> | undefined;
}

/** Reads every message of some topics from the beginning, for assertions. */
export class TopicCollector {
  readonly messages: CollectedMessage[] = [];
  private consumer: Consumer | null = null;

  static async start(topics: string[], brokers = TEST_KAFKA_BROKERS): Promise<TopicCollector> {
    const c = new TopicCollector();
    const consumer = testKafka('test-collector', brokers).consumer({ groupId: `test-collector-${randomUUID()}`, maxWaitTimeInMs: 100 });
    c.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        let json: Record<string, unknown> | undefined;
        try {
          json = message.value ? (JSON.parse(message.value.toString('utf8')) as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        c.messages.push({ topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, headers, raw: message.value, json });
      },
    });
    return c;
  }

  events(type?: string): Record<string, any>[] {
    return this.messages.filter((m) => m.json && (!type || m.json.type === type)).map((m) => m.json as Record<string, any>);
  }

  async waitFor(pred: (e: Record<string, any>) => boolean, timeoutMs = 20_000): Promise<Record<string, any>> {
    return expectEventually(() => {
      const found = this.events().find(pred);
      if (!found) throw new Error('event not seen yet');
      return found;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export async function connectedProducer(brokers = TEST_KAFKA_BROKERS): Promise<Producer> {
  const p = testKafka('test-producer', brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  return p;
}
