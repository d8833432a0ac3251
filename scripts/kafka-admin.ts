/**
 * Broker chores for scripts/kafka.sh and the test set-up:
 *   ping    exit 0 when a broker answers on KAFKA_BROKERS
 *   wait    wait until one does (KAFKA_READY_TIMEOUT_MS, default 90 s)
 *   topics  create the project's topics if missing (partitions KAFKA_TOPIC_PARTITIONS, default 3); the
 *           inbound (commands) topic gets INBOUND_TOPIC_CONFIG, also when it already exists
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { INBOUND_TOPIC_CONFIG, inboundTopicConfigEntries, TOPICS } from '../libs/contracts/src/topics';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim());
const kafka = new Kafka({ clientId: 'proctoring-admin', brokers, connectionTimeout: 1000, retry: { retries: 0 }, logLevel: logLevel.NOTHING });

export function projectTopics(env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    env.TOPIC_COMMANDS ?? TOPICS.commands,
    env.TOPIC_ATTEMPT_EVENTS ?? TOPICS.attemptEvents,
    env.TOPIC_CREDENTIAL_EVENTS ?? TOPICS.credentialEvents,
    env.TOPIC_COMMANDS_DLQ ?? TOPICS.commandsDlq,
    env.TOPIC_NOTIFIER_DLQ ?? TOPICS.notifierDlq,
  ];
}

/** The topics the attempt-service consumes: they get INBOUND_TOPIC_CONFIG (SPEC §8.5). */
export function inboundTopics(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.TOPIC_COMMANDS ?? TOPICS.commands];
}

async function ping(): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers: b } = await admin.describeCluster();
    return b.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function waitReady(timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ping())) {
    if (Date.now() > end) throw new Error(`no Kafka broker answered on ${brokers.join(',')} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function createTopics(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 3);
    const replicationFactor = Number(process.env.KAFKA_TOPIC_REPLICATION_FACTOR ?? 1);
    const inbound = inboundTopics();
    const missing = projectTopics().filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: inbound.includes(topic) ? inboundTopicConfigEntries() : [],
        })),
      });
    }
    // A topic made before these bounds existed gets them now (uncompressed, 1 MiB per record batch).
    const older = inbound.filter((t) => existing.has(t));
    if (older.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: older.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: inboundTopicConfigEntries() })),
      });
      process.stderr.write(`[kafka] ${older.join(', ')}: ${JSON.stringify(INBOUND_TOPIC_CONFIG)}\n`);
    }
    // Create the group coordinator's topic now rather than on the first consumer's join.
    await admin.describeGroups(['proctoring-warmup']).catch(() => undefined);
    process.stderr.write(`[kafka] topics ready: ${projectTopics().join(', ')}\n`);
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  switch (process.argv[2]) {
    case 'ping':
      process.exit((await ping()) ? 0 : 1);
      break;
    case 'wait':
      await waitReady(Number(process.env.KAFKA_READY_TIMEOUT_MS ?? 90_000));
      break;
    case 'topics':
      await createTopics();
      break;
    default:
      process.stderr.write('usage: kafka-admin.ts ping|wait|topics\n');
      process.exit(2);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
