import {
  Kafka,
  logLevel,
  type Admin,
  type LogEntry,
  type Message,
  type Producer,
} from 'kafkajs';
import { javaCompatiblePartitioner } from '../../libs/platform/src/kafka/murmur2.partitioner';
import { identityEnv, localSasl } from '../../scripts/kafka-credentials';
import { sleep } from './progress';
import type { ServiceProcess } from './service-process';

/**
 * The bench's own Kafka client (load generator, observers, admin): errors only, on stderr. It is the
 * `admin` principal of the local credentials file (docs/security.md); the services it starts run as theirs.
 */
export function benchKafka(brokers: string[], clientId = 'bench'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    sasl: localSasl('admin'),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, maxRetryTime: 5000, retries: 8 },
    logLevel: logLevel.ERROR,
    logCreator:
      () =>
      ({ log }: LogEntry) =>
        process.stderr.write(`[bench kafkajs] ${log.message}\n`),
  });
}

/** A plain producer (acks=all, the Java client's murmur2 partitioning, in linear time, like the services). */
export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: javaCompatiblePartitioner,
  });
  await producer.connect();
  return producer;
}

export async function createTopics(
  admin: Admin,
  topics: string[],
  partitions: number,
  configEntries: { name: string; value: string }[] = [],
  replicationFactor = 1,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  // kafkajs' own waitForLeaders asks one broker, which on a cluster may not know the topic yet
  // (UNKNOWN_TOPIC_OR_PARTITION, not retried there): wait here until every partition has a leader.
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor, configEntries })),
  });
  const end = performance.now() + 30_000;
  for (;;) {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: missing });
      if (
        topics.length === missing.length &&
        topics.every(
          (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0 && p.partitionErrorCode === 0),
        )
      )
        return;
    } catch (e) {
      if (performance.now() > end) throw e;
    }
    if (performance.now() > end) throw new Error(`topics ${missing.join(', ')} have no leader after 30 s`);
    await sleep(100);
  }
}

export async function deleteTopics(admin: Admin, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10000 });
}

/** Deletes consumer groups that are empty; ignores the ones that are not (or are gone already). */
export async function deleteGroups(admin: Admin, groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  await admin.deleteGroups(groupIds).catch(() => undefined);
}

/**
 * Waits until `groupId` is Stable with at least one member: the service's consumer has joined and
 * been assigned its partitions. Throws early if `proc` exits.
 */
export async function waitForGroupMember(
  admin: Admin,
  groupId: string,
  timeoutMs: number,
  proc?: ServiceProcess,
): Promise<number> {
  return waitForGroupMembers(admin, groupId, 1, timeoutMs, proc ? [proc] : []);
}

/** Waits until `groupId` is Stable with at least `members` members (several instances of a service). */
export async function waitForGroupMembers(
  admin: Admin,
  groupId: string,
  members: number,
  timeoutMs: number,
  procs: ServiceProcess[] = [],
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    for (const p of procs) p.assertAlive();
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0];
    if (g && g.state === 'Stable' && g.members.length >= members) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`consumer group ${groupId} did not become stable with ${members} member(s) within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Sends `messages` in chunks (one request each, acks=all), calling `onChunk` after each. */
export async function produceAll(
  producer: Producer,
  topic: string,
  messages: Message[],
  o: { chunk?: number; onChunk?: (sent: number) => void } = {},
): Promise<void> {
  const chunk = o.chunk ?? 1000;
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    o.onChunk?.(Math.min(messages.length, i + chunk));
  }
}

/** KAFKA_SASL_* that make a service child act as `principal` (from the local credentials file). */
export function kafkaIdentity(principal: string): Record<string, string> {
  return identityEnv(principal);
}
