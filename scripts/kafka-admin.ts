/**
 * Broker chores for scripts/kafka.sh and the test set-up, done as the `admin` principal (its password
 * from the local credentials file, scripts/kafka-credentials.ts; no SASL with KAFKA_SASL_MECHANISM=none):
 *   ping         exit 0 when a broker answers on KAFKA_BROKERS
 *   wait         wait until one does (KAFKA_READY_TIMEOUT_MS, default 90 s)
 *   credentials  make sure the credentials file has a password for every principal (SPEC §8.4)
 *   password P   print principal P's password (for scripts/kafka.sh: format --add-scram, JAAS)
 *   users        create the SCRAM-SHA-512 user of every client principal with the jars' kafka-configs
 *                (ConfigCommand: org.apache.kafka.tools in Kafka 4.x's kafka-tools jar, kafka.admin in
 *                3.9's core jar; KAFKA_LIBS_DIR names the jars)
 *   topics       create the project's topics if missing (partitions KAFKA_TOPIC_PARTITIONS, default 3),
 *                including one review topic and one outcomes topic per provider of PROVIDERS_FILE and the
 *                Open edX bridge's topic (OPENEDX_EVENT_BUS_TOPIC, _PREFIX; docs/openedx.md); the
 *                inbound topics (commands, reviews) get INBOUND_TOPIC_CONFIG, also when they exist already;
 *                every topic is created with retention.ms = KAFKA_TOPIC_RETENTION_MS (default 7 days)
 *   acls         create the ACLs of SPEC §8.4 on those topics (libs/platform/src/kafka/kafka-acl.plan.ts)
 *   security     users, then acls
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { INBOUND_TOPIC_CONFIG, inboundTopicConfigEntries, providerReviewTopics, TOPICS } from '../libs/contracts/src/topics';
import {
  aclPlan,
  applyAclPlan,
  clientPrincipals,
  providerNameProblems,
  SUPER_USERS,
  type AclTopics,
} from '../libs/platform/src/kafka/kafka-acl.plan';
import { EnvReader } from '../libs/platform/src/config/env-reader';
import { DEFAULT_OPENEDX_TOPIC, fullTopic } from '../apps/openedx-bridge/src/openedx/exam-attempt.schema';
import { readKafkaSettings } from '../libs/platform/src/config/kafka.config';
import { credentialsFile, ensureCredentials, localSasl, localSaslEnabled, passwordOf, REPO_ROOT } from './kafka-credentials';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim());

function adminKafka(): Kafka {
  return new Kafka({
    clientId: 'proctoring-admin',
    brokers,
    sasl: localSasl('admin'),
    connectionTimeout: 1000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

/** Provider names of the providers file (PROVIDERS_FILE, default config/providers.json), validated. */
export function providerNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.PROVIDERS_FILE ?? join(REPO_ROOT, 'config', 'providers.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { providers?: Record<string, unknown> };
  const names = Object.keys(parsed.providers ?? {});
  const problems = providerNameProblems(names);
  if (problems.length > 0) throw new Error(`PROVIDERS_FILE: ${problems.join('; ')}`);
  return names;
}

/** The topic names of this deployment (TOPIC_* overrides), with each provider's review topics. */
export function deploymentTopics(env: NodeJS.ProcessEnv = process.env, providers = providerNames(env)): AclTopics {
  return {
    commands: env.TOPIC_COMMANDS ?? TOPICS.commands,
    attemptEvents: env.TOPIC_ATTEMPT_EVENTS ?? TOPICS.attemptEvents,
    credentialEvents: env.TOPIC_CREDENTIAL_EVENTS ?? TOPICS.credentialEvents,
    commandsDlq: env.TOPIC_COMMANDS_DLQ ?? TOPICS.commandsDlq,
    notifierDlq: env.TOPIC_NOTIFIER_DLQ ?? TOPICS.notifierDlq,
    reviews: Object.fromEntries(providers.map((p) => [p, providerReviewTopics(p)])),
    openEdxExamEvents: openEdxTopic(env),
  };
}

/** The Open edX bridge's topic, named as event-bus-kafka names it (OPENEDX_EVENT_BUS_TOPIC, _PREFIX). */
export function openEdxTopic(env: NodeJS.ProcessEnv = process.env): string {
  return fullTopic(env.OPENEDX_EVENT_BUS_TOPIC || DEFAULT_OPENEDX_TOPIC, env.OPENEDX_EVENT_BUS_TOPIC_PREFIX || undefined);
}

export function projectTopics(env: NodeJS.ProcessEnv = process.env): string[] {
  const t = deploymentTopics(env);
  return [
    t.commands,
    t.attemptEvents,
    t.credentialEvents,
    t.commandsDlq,
    t.notifierDlq,
    ...Object.values(t.reviews).flatMap((r) => [r.reviews, r.outcomes]),
    openEdxTopic(env),
  ];
}

/** The topics the attempt-service consumes: they get INBOUND_TOPIC_CONFIG (SPEC §8.5). */
export function inboundTopics(env: NodeJS.ProcessEnv = process.env): string[] {
  const t = deploymentTopics(env);
  return [t.commands, ...Object.values(t.reviews).map((r) => r.reviews)];
}

/** Every principal of the local broker: the super users and one per client (providers included). */
export function allPrincipals(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...SUPER_USERS, ...clientPrincipals(providerNames(env))];
}

async function ping(): Promise<boolean> {
  let admin;
  try {
    admin = adminKafka().admin();
    await admin.connect();
    const { brokers: b } = await admin.describeCluster();
    return b.length > 0;
  } catch {
    return false;
  } finally {
    await admin?.disconnect().catch(() => undefined);
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
  const admin = adminKafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const partitions = Number(process.env.KAFKA_TOPIC_PARTITIONS ?? 3);
    const replicationFactor = Number(process.env.KAFKA_TOPIC_REPLICATION_FACTOR ?? 1);
    const inbound = inboundTopics();
    // retention.ms (SPEC §8.3): how long a message, personal data included, stays on the topic
    const env = new EnvReader(process.env);
    const retention = { name: 'retention.ms', value: String(readKafkaSettings(env, 'proctoring-admin').topicRetentionMs) };
    env.done('kafka-admin');
    const missing = projectTopics().filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: [...(inbound.includes(topic) ? inboundTopicConfigEntries() : []), retention],
        })),
      });
    }
    // A topic made before these bounds existed gets them now (uncompressed, 1 MiB per record batch).
    const older = inbound.filter((t) => existing.has(t));
    if (older.length > 0) {
      await admin.alterConfigs({
        validateOnly: false,
        // (alterConfigs replaces the topic's whole dynamic config, so retention.ms is restated)
        resources: older.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: [...inboundTopicConfigEntries(), retention] })),
      });
      process.stderr.write(`[kafka] ${older.join(', ')}: ${JSON.stringify(INBOUND_TOPIC_CONFIG)}\n`);
    }
    // Create the group coordinator's topic now rather than on the first consumer's join.
    await admin.describeGroups(['admin.warmup']).catch(() => undefined);
    process.stderr.write(`[kafka] topics ready (retention.ms of new topics ${retention.value}): ${projectTopics().join(', ')}\n`);
  } finally {
    await admin.disconnect();
  }
}

async function createAcls(): Promise<void> {
  if (!localSaslEnabled()) {
    process.stderr.write('[kafka] KAFKA_SASL_MECHANISM=none: no ACLs\n');
    return;
  }
  const admin = adminKafka().admin();
  await admin.connect();
  try {
    const grants = aclPlan(deploymentTopics());
    await applyAclPlan(admin, grants);
    process.stderr.write(`[kafka] ${grants.length} ACLs in place (SPEC §8.4)\n`);
  } finally {
    await admin.disconnect();
  }
}

function runJava(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The main class of kafka-configs in these jars: Kafka 4.x moved it from core (`kafka.admin`) to the
 * tools jar (`org.apache.kafka.tools`). A jar's central directory names its entries uncompressed, so the
 * class is found by its path in the jar's bytes.
 */
export function configCommandClass(libs: string): string {
  const jars = readdirSync(libs).filter((f) => /^kafka(-tools|_2\.13)-.*\.jar$/.test(f));
  const has = (entry: string) => jars.some((j) => readFileSync(join(libs, j)).includes(entry));
  if (has('org/apache/kafka/tools/ConfigCommand.class')) return 'org.apache.kafka.tools.ConfigCommand';
  if (has('kafka/admin/ConfigCommand.class')) return 'kafka.admin.ConfigCommand';
  throw new Error(`no ConfigCommand in the Kafka jars of ${libs} (fetched before kafka-tools was added? delete the folder)`);
}

/**
 * One SCRAM-SHA-512 user per client principal, created by `admin` with the jars' kafka-configs
 * (ConfigCommand; `--add-config-file` would keep the password off the command line, but it mangles the
 * `SCRAM-SHA-512` key, so a local password is visible in `ps` for a second). The super users were made
 * at `format --add-scram`.
 */
async function createUsers(): Promise<void> {
  if (!localSaslEnabled()) {
    process.stderr.write('[kafka] KAFKA_SASL_MECHANISM=none: no users\n');
    return;
  }
  const libs = process.env.KAFKA_LIBS_DIR;
  if (!libs) throw new Error('KAFKA_LIBS_DIR must name the Kafka jars');
  const principals = clientPrincipals(providerNames());
  const mainClass = configCommandClass(libs);
  const dir = mkdtempSync(join(tmpdir(), 'kafka-users-'));
  try {
    const clientConfig = join(dir, 'admin.properties');
    writeFileSync(
      clientConfig,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${passwordOf('admin')}";`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const log4j = join(dir, 'log4j.properties');
    writeFileSync(log4j, 'log4j.rootLogger=ERROR, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\n');
    // Kafka 4.x's tools also load log4j2 (slf4j itself is bound to reload4j, tools/kafka/pom.xml)
    const log4j2 = join(dir, 'log4j2.properties');
    writeFileSync(log4j2, 'status=error\nappender.err.type=Console\nappender.err.name=stderr\nappender.err.target=SYSTEM_ERR\nappender.err.layout.type=PatternLayout\nrootLogger.level=error\nrootLogger.appenderRef.err.ref=stderr\n');
    const jvm = ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', `-Dlog4j.configuration=file:${log4j}`, `-Dlog4j2.configurationFile=${log4j2}`, '-cp', `${libs}/*`];
    const one = async (principal: string): Promise<void> => {
      const { code, output } = await runJava([
        ...jvm,
        mainClass,
        '--bootstrap-server',
        brokers.join(','),
        '--command-config',
        clientConfig,
        '--alter',
        '--entity-type',
        'users',
        '--entity-name',
        principal,
        '--add-config',
        `SCRAM-SHA-512=[iterations=4096,password=${passwordOf(principal)}]`,
      ]);
      if (code !== 0) {
        const why = output.replace(/password=[^\],\s]*/g, 'password=…').trim().split('\n').slice(-5).join(' | ');
        throw new Error(`kafka-configs could not create user ${principal}: ${why}`);
      }
    };
    // Two JVMs at a time: each is mostly start-up.
    const queue = [...principals];
    await Promise.all(
      [0, 1].map(async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) await one(p);
      }),
    );
    process.stderr.write(`[kafka] SCRAM users ready: ${principals.join(', ')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
    case 'credentials':
      ensureCredentials(allPrincipals());
      process.stderr.write(`[kafka] credentials in ${credentialsFile()}\n`);
      break;
    case 'password':
      process.stdout.write(`${passwordOf(process.argv[3] ?? '')}\n`);
      break;
    case 'users':
      await createUsers();
      break;
    case 'topics':
      await createTopics();
      break;
    case 'acls':
      await createAcls();
      break;
    case 'security':
      await createUsers();
      await createAcls();
      break;
    default:
      process.stderr.write('usage: kafka-admin.ts ping|wait|credentials|password P|users|topics|acls|security\n');
      process.exit(2);
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
