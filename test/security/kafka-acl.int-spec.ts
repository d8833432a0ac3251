import { randomUUID } from 'node:crypto';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type Admin,
  type Consumer,
} from 'kafkajs';
import { inboundTopicConfigEntries, providerReviewTopics } from '../../libs/contracts/src/topics';
import { aclPlan, applyAclPlan, toKafkajsAcl, type AclTopics } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { deploymentTopics } from '../../scripts/kafka-admin';
import { localSaslEnabled } from '../../scripts/kafka-credentials';
import { expectEventually } from '../support/expect-eventually';
import { testKafka } from '../support/kafka-fixture';
import { testSasl, TEST_KAFKA_BROKERS } from '../support/test-env';

/**
 * SPEC §8.4 on a real broker (SASL/SCRAM-SHA-512, StandardAuthorizer, allow.everyone.if.no.acl.found=false):
 * each principal can do what its grants say and nothing else. Behaviour is checked on this suite's own
 * topics, granted with the same plan as the deployment's; the deployment's own ACLs (made by
 * scripts/kafka-admin.ts at broker start) are checked against that plan.
 */
const describeSecure = localSaslEnabled() ? describe : describe.skip;

function as(principal: string, password?: string): Kafka {
  const sasl = testSasl(principal);
  return new Kafka({
    clientId: `acl-test-${principal}`,
    brokers: TEST_KAFKA_BROKERS.split(','),
    sasl: sasl && password !== undefined ? { mechanism: 'scram-sha-512', username: principal, password } : sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 0 },
  });
}

async function write(principal: string, topic: string): Promise<void> {
  const producer = as(principal).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: JSON.stringify({ from: principal }) }] });
  } finally {
    await producer.disconnect();
  }
}

/** Reads the first message of `topic` with a group under `groupId`; rejects with the consumer's crash. */
async function readOne(principal: string, topic: string, groupId: string): Promise<string> {
  const consumer: Consumer = as(principal).consumer({
    groupId,
    maxWaitTimeInMs: 100,
    retry: { retries: 0, restartOnFailure: async () => false },
  });
  try {
    await consumer.connect();
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing read within 30 s')), 30_000);
      consumer.on(consumer.events.CRASH, (e) => {
        clearTimeout(timer);
        const error: unknown = e.payload.error;
        reject(error instanceof Error ? error : new Error(String(error)));
      });
      consumer
        .subscribe({ topic, fromBeginning: true })
        .then(() =>
          consumer.run({
            eachMessage: async ({ message }) => {
              clearTimeout(timer);
              resolve(message.value?.toString('utf8') ?? '');
            },
          }),
        )
        .catch((e: unknown) => {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

const DENIED_TOPIC = /TOPIC_AUTHORIZATION_FAILED|not authorized to access topics/i;

describeSecure('Kafka identities and ACLs (SPEC §8.4)', () => {
  let admin: Admin;
  let topics: AclTopics;
  const [providerA, providerB] = ['software_secure', 'proctortrack'];

  beforeAll(async () => {
    const s = `acl.${randomUUID().slice(0, 8)}`;
    const suffixed = (name: string) => `${name}.${s}`;
    topics = {
      commands: suffixed('proctoring.attempt.commands.v1'),
      attemptEvents: suffixed('proctoring.attempt.events.v1'),
      credentialEvents: suffixed('proctoring.credential.events.v1'),
      commandsDlq: suffixed('proctoring.attempt.commands.v1.dlq'),
      notifierDlq: suffixed('proctoring.notifier.dlq.v1'),
      reviews: Object.fromEntries(
        [providerA, providerB].map((p) => {
          const r = providerReviewTopics(p);
          return [p, { reviews: suffixed(r.reviews), outcomes: suffixed(r.outcomes) }];
        }),
      ),
    };
    admin = testKafka('acl-test-admin').admin();
    await admin.connect();
    const inbound = [topics.commands, ...Object.values(topics.reviews).map((r) => r.reviews)];
    const all = [
      topics.commands,
      topics.attemptEvents,
      topics.credentialEvents,
      topics.commandsDlq,
      topics.notifierDlq,
      ...Object.values(topics.reviews).flatMap((r) => [r.reviews, r.outcomes]),
    ];
    await admin.createTopics({
      waitForLeaders: true,
      topics: all.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1, configEntries: inbound.includes(topic) ? inboundTopicConfigEntries() : [] })),
    });
    await applyAclPlan(admin, aclPlan(topics));
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  it('the broker holds every ACL of the deployment plan, and no topic ACL beyond it', async () => {
    const plan = aclPlan(deploymentTopics()).map(toKafkajsAcl);
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const held = new Set(
      resources.flatMap((r) =>
        r.acls.map((a) => `${r.resourceType}|${r.resourcePatternType}|${r.resourceName}|${a.principal}|${a.operation}|${a.permissionType}`),
      ),
    );
    for (const a of plan) {
      expect(held).toContain(`${a.resourceType}|${a.resourcePatternType}|${a.resourceName}|${a.principal}|${a.operation}|${a.permissionType}`);
    }
    const deployment = new Set(plan.map((a) => a.resourceName));
    const production = [...held].filter((h) => h.startsWith(`${AclResourceTypes.TOPIC}|`) && deployment.has(h.split('|')[2]));
    expect(production).toHaveLength(plan.filter((a) => a.resourceType === AclResourceTypes.TOPIC).length);
  });

  it('a principal without a grant cannot write the events topic; the attempt-service can', async () => {
    await expect(write('credit-consumer', topics.attemptEvents)).rejects.toThrow(DENIED_TOPIC);
    await expect(write('lms', topics.attemptEvents)).rejects.toThrow(DENIED_TOPIC);
    await expect(write('ops', topics.attemptEvents)).rejects.toThrow(DENIED_TOPIC);
    await expect(write('attempt-service', topics.attemptEvents)).resolves.toBeUndefined();
  });

  it('the notifier cannot write the events topic, and reads it with its own group', async () => {
    await expect(write('notifier', topics.attemptEvents)).rejects.toThrow(DENIED_TOPIC);
    await write('attempt-service', topics.attemptEvents);
    await expect(readOne('notifier', topics.attemptEvents, `notifier.acl-${randomUUID()}`)).resolves.toContain('attempt-service');
  });

  it('a provider writes its own review topic only, and reads only its own outcomes', async () => {
    const a = topics.reviews[providerA];
    const b = topics.reviews[providerB];
    await expect(write(`provider-${providerA}`, a.reviews)).resolves.toBeUndefined();
    await expect(write(`provider-${providerA}`, b.reviews)).rejects.toThrow(DENIED_TOPIC);
    await expect(write(`provider-${providerA}`, topics.commands)).rejects.toThrow(DENIED_TOPIC);
    await expect(write(`provider-${providerA}`, a.outcomes)).rejects.toThrow(DENIED_TOPIC);
    await write('attempt-service', a.outcomes);
    await write('attempt-service', b.outcomes);
    await expect(readOne(`provider-${providerA}`, a.outcomes, `provider-${providerA}.acl-${randomUUID()}`)).resolves.toContain('attempt-service');
    await expect(readOne(`provider-${providerA}`, b.outcomes, `provider-${providerA}.acl-${randomUUID()}`)).rejects.toThrow(DENIED_TOPIC);
    // ops may write a review topic (redrive returns a dead letter to it)
    await expect(write('ops', b.reviews)).resolves.toBeUndefined();
  });

  it('lms writes commands but cannot read them; the attempt-service reads them', async () => {
    await expect(write('lms', topics.commands)).resolves.toBeUndefined();
    await expect(readOne('lms', topics.commands, `lms.acl-${randomUUID()}`)).rejects.toThrow(DENIED_TOPIC);
    await expect(readOne('attempt-service', topics.commands, `attempt-service.acl-${randomUUID()}`)).resolves.toContain('lms');
  });

  it('a consumer group outside the principal\'s prefix is refused', async () => {
    await write('attempt-service', topics.credentialEvents);
    await expect(readOne('credit-consumer', topics.credentialEvents, `credit-consumer.acl-${randomUUID()}`)).resolves.toContain('attempt-service');
    // kafkajs reports the FindCoordinator answer GROUP_AUTHORIZATION_FAILED as a coordinator it could not find.
    await expect(readOne('credit-consumer', topics.credentialEvents, `notifier.acl-${randomUUID()}`)).rejects.toThrow(
      /GROUP_AUTHORIZATION_FAILED|not authorized to access group|Failed to find group coordinator/i,
    );
    await expect(as('credit-consumer').admin().fetchOffsets({ groupId: `notifier.acl-${randomUUID()}`, topics: [topics.credentialEvents] })).rejects.toThrow();
  });

  it('a wrong password is refused at authentication', async () => {
    const producer = as('lms', 'not-the-password').producer();
    await expect(producer.connect()).rejects.toThrow(/SASL|authentication/i);
    await producer.disconnect().catch(() => undefined);
  });

  it('the commands DLQ is read and written by ops (redrive), not by lms', async () => {
    await expectEventually(async () => expect(write('ops', topics.commandsDlq)).resolves.toBeUndefined(), 10_000, 200);
    await expect(readOne('ops', topics.commandsDlq, `ops.acl-${randomUUID()}`)).resolves.toContain('ops');
    await expect(write('lms', topics.commandsDlq)).rejects.toThrow(DENIED_TOPIC);
  });
});
