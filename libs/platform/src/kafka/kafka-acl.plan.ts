/**
 * Who may do what on the bus (SPEC §8.4), as data: the principals and their ACLs for a set of topic
 * names. scripts/kafka-admin.ts applies it to the local broker (and to each test suite's own topics);
 * docs/security.md explains it. Topic ACLs are LITERAL; each principal reads with consumer groups under
 * the PREFIXED `<principal>.` (so `attempt-service.main`, `notifier.main`, `ops.redrive`, …).
 */
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
  type DescribeAclResponse,
} from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Provider names, as the providers file may use them (they become principals and topic names). */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,47}$/;

/** Principals of every deployment besides the per-provider ones. */
export const SERVICE_PRINCIPALS = {
  /** The broker itself (inter-broker listener); a super user. */
  broker: 'broker',
  /** Creates users, ACLs and topics; a super user. Never used by a service. */
  admin: 'admin',
  attemptService: 'attempt-service',
  notifier: 'notifier',
  /** Any platform publisher of commands. */
  lms: 'lms',
  /** The command-line tools. */
  ops: 'ops',
  /** An example downstream consumer of the event topics. */
  creditConsumer: 'credit-consumer',
  /** The Open edX event bus bridge (apps/openedx-bridge): reads the events topic, writes the Open edX topic. */
  openEdxBridge: 'openedx-bridge',
} as const;

export const SUPER_USERS = [SERVICE_PRINCIPALS.broker, SERVICE_PRINCIPALS.admin] as const;

export function providerPrincipal(provider: string): string {
  return `provider-${provider}`;
}

/** The consumer group prefix a principal may read with. */
export function groupPrefix(principal: string): string {
  return `${principal}.`;
}

export interface AclTopics {
  commands: string;
  attemptEvents: string;
  credentialEvents: string;
  commandsDlq: string;
  notifierDlq: string;
  /** provider name → its review topic and its outcomes topic. */
  reviews: Record<string, { reviews: string; outcomes: string }>;
  /** The Open edX exam attempt topic the bridge writes (`learning-exam-attempt-lifecycle`, prefixed), when there is one. */
  openEdxExamEvents?: string;
}

export type AclOperation = 'READ' | 'WRITE';

export interface AclGrant {
  principal: string;
  resource: 'TOPIC' | 'GROUP';
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operation: AclOperation;
}

/** Every principal that needs a SCRAM user besides the super users, for these providers. */
export function clientPrincipals(providers: readonly string[]): string[] {
  const { attemptService, notifier, lms, ops, creditConsumer, openEdxBridge } = SERVICE_PRINCIPALS;
  return [attemptService, notifier, lms, ops, creditConsumer, openEdxBridge, ...providers.map(providerPrincipal)];
}

/**
 * The grants of SPEC §8.4 on these topics. READ and WRITE imply DESCRIBE, which is all the clients
 * need besides (offsets, metadata). Idempotent producers need only WRITE on a topic (KIP-679).
 */
export function aclPlan(t: AclTopics): AclGrant[] {
  const { attemptService, notifier, lms, ops, creditConsumer, openEdxBridge } = SERVICE_PRINCIPALS;
  const topic = (principal: string, operation: AclOperation, name: string): AclGrant => ({
    principal,
    resource: 'TOPIC',
    pattern: 'LITERAL',
    name,
    operation,
  });
  const providers = Object.entries(t.reviews);
  const grants: AclGrant[] = [
    topic(attemptService, 'READ', t.commands),
    ...providers.map(([, r]) => topic(attemptService, 'READ', r.reviews)),
    topic(attemptService, 'WRITE', t.attemptEvents),
    topic(attemptService, 'WRITE', t.credentialEvents),
    topic(attemptService, 'WRITE', t.commandsDlq),
    ...providers.map(([, r]) => topic(attemptService, 'WRITE', r.outcomes)),

    topic(notifier, 'READ', t.attemptEvents),
    topic(notifier, 'WRITE', t.notifierDlq),

    topic(lms, 'WRITE', t.commands),
    topic(lms, 'READ', t.attemptEvents),
    topic(lms, 'READ', t.credentialEvents),

    topic(ops, 'WRITE', t.commands),
    topic(ops, 'READ', t.commandsDlq),
    topic(ops, 'WRITE', t.commandsDlq),
    topic(ops, 'READ', t.notifierDlq),
    topic(ops, 'WRITE', t.notifierDlq),
    ...providers.map(([, r]) => topic(ops, 'WRITE', r.reviews)),

    topic(creditConsumer, 'READ', t.attemptEvents),
    topic(creditConsumer, 'READ', t.credentialEvents),

    topic(openEdxBridge, 'READ', t.attemptEvents),
    ...(t.openEdxExamEvents !== undefined ? [topic(openEdxBridge, 'WRITE', t.openEdxExamEvents)] : []),

    ...providers.flatMap(([name, r]) => [
      topic(providerPrincipal(name), 'WRITE', r.reviews),
      topic(providerPrincipal(name), 'READ', r.outcomes),
    ]),
  ];
  for (const principal of [...clientPrincipals(providers.map(([name]) => name))]) {
    grants.push({ principal, resource: 'GROUP', pattern: 'PREFIXED', name: groupPrefix(principal), operation: 'READ' });
  }
  return grants;
}

/** Problems with provider names (empty when all are valid). */
export function providerNameProblems(providers: readonly string[]): string[] {
  return providers
    .filter((p) => !PROVIDER_NAME_PATTERN.test(p))
    .map((p) => `provider name "${p}" must match ${PROVIDER_NAME_PATTERN.source}`);
}

/** A grant as a kafkajs `createAcls` entry (ALLOW from any host). */
export function toKafkajsAcl(g: AclGrant): AclEntry {
  return {
    resourceType: g.resource === 'TOPIC' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: g.name,
    resourcePatternType: g.pattern === 'LITERAL' ? ResourcePatternTypes.LITERAL : ResourcePatternTypes.PREFIXED,
    principal: `User:${g.principal}`,
    host: '*',
    operation: g.operation === 'READ' ? AclOperationTypes.READ : AclOperationTypes.WRITE,
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const aclKey = (a: AclEntry): string =>
  [a.resourceType, a.resourceName, a.resourcePatternType, a.principal, a.host, a.operation, a.permissionType].join('|');

/** The entries that a DescribeAcls answer does not list. */
export function aclsNotListed(entries: readonly AclEntry[], described: DescribeAclResponse): AclEntry[] {
  const listed = new Set(
    described.resources.flatMap((r) =>
      r.acls.map((acl) => aclKey({ ...acl, resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType })),
    ),
  );
  return entries.filter((e) => !listed.has(aclKey(e)));
}

/**
 * Creates the grants (creating an ACL that exists already is a no-op on the broker), then waits until
 * the broker lists every one of them. In KRaft the controller commits an ACL before the brokers'
 * authorizers have it, so a client that starts right after CreateAcls can still be refused (seen with
 * Kafka 4.4: TOPIC_AUTHORIZATION_FAILED on a consumer's first metadata request); a KRaft broker answers
 * DescribeAcls from its own authorizer, so a listed grant is one that broker enforces.
 */
export async function applyAclPlan(admin: Admin, grants: readonly AclGrant[], timeoutMs = 30_000): Promise<void> {
  if (grants.length === 0) return;
  const entries = grants.map(toKafkajsAcl);
  await admin.createAcls({ acl: entries });
  const any = {
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const missing = aclsNotListed(entries, await admin.describeAcls(any)).length;
    if (missing === 0) return;
    if (Date.now() > end) throw new Error(`${missing} of ${entries.length} ACLs created but not in effect on the broker after ${timeoutMs} ms`);
    await sleep(100);
  }
}
