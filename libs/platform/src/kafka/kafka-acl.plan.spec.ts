import { aclsNotListed, aclPlan, clientPrincipals, providerNameProblems, toKafkajsAcl, type AclGrant, type AclTopics } from './kafka-acl.plan';

const topics: AclTopics = {
  commands: 'c',
  attemptEvents: 'e',
  credentialEvents: 'ce',
  commandsDlq: 'cdlq',
  notifierDlq: 'ndlq',
  reviews: { a: { reviews: 'ra', outcomes: 'oa' }, b: { reviews: 'rb', outcomes: 'ob' } },
};
const plan = aclPlan(topics);
const rights = (principal: string, resource: AclGrant['resource'] = 'TOPIC') =>
  plan
    .filter((g) => g.principal === principal && g.resource === resource)
    .map((g) => `${g.operation} ${g.name}`)
    .sort();

describe('aclPlan (SPEC §8.4)', () => {
  it('lets only the attempt-service write the event, credential, outcome and commands-DLQ topics', () => {
    expect(rights('attempt-service')).toEqual(['READ c', 'READ ra', 'READ rb', 'WRITE cdlq', 'WRITE ce', 'WRITE e', 'WRITE oa', 'WRITE ob']);
    const writers = (name: string) => plan.filter((g) => g.name === name && g.operation === 'WRITE').map((g) => g.principal);
    expect(writers('e')).toEqual(['attempt-service']);
    expect(writers('ce')).toEqual(['attempt-service']);
    expect(writers('oa')).toEqual(['attempt-service']);
  });

  it('gives the notifier, lms, ops and a downstream consumer exactly their rights', () => {
    expect(rights('notifier')).toEqual(['READ e', 'WRITE ndlq']);
    expect(rights('lms')).toEqual(['READ ce', 'READ e', 'WRITE c']);
    expect(rights('ops')).toEqual(['READ cdlq', 'READ ndlq', 'WRITE c', 'WRITE cdlq', 'WRITE ndlq', 'WRITE ra', 'WRITE rb']);
    expect(rights('credit-consumer')).toEqual(['READ ce', 'READ e']);
  });

  it('gives a provider its own review topic and outcomes only', () => {
    expect(rights('provider-a')).toEqual(['READ oa', 'WRITE ra']);
    expect(rights('provider-b')).toEqual(['READ ob', 'WRITE rb']);
    expect(plan.filter((g) => g.name === 'c' && g.operation === 'READ').map((g) => g.principal)).toEqual(['attempt-service']);
  });

  it('is LITERAL on topics, PREFIXED `<principal>.` on groups, for every client principal', () => {
    expect(plan.filter((g) => g.resource === 'TOPIC').every((g) => g.pattern === 'LITERAL')).toBe(true);
    const groups = plan.filter((g) => g.resource === 'GROUP');
    expect(groups.map((g) => `${g.principal} ${g.pattern} ${g.name} ${g.operation}`)).toEqual(
      clientPrincipals(['a', 'b']).map((p) => `${p} PREFIXED ${p}. READ`),
    );
    expect(plan.some((g) => g.principal === 'admin' || g.principal === 'broker')).toBe(false);
  });

  it('maps to kafkajs ACL entries for User principals, allowed from any host', () => {
    expect(toKafkajsAcl(plan[0])).toMatchObject({ principal: 'User:attempt-service', host: '*', resourceName: 'c' });
  });

  it('accepts provider names of ^[a-z0-9][a-z0-9_-]{0,47}$ only', () => {
    expect(providerNameProblems(['software_secure', 'proctortrack', 'a', 'x-1'])).toEqual([]);
    expect(providerNameProblems(['Bad', '_x', 'a.b', 'a'.repeat(49), ''])).toHaveLength(5);
  });
});

describe('aclsNotListed (applyAclPlan waits until the broker lists every grant)', () => {
  const entries = plan.slice(0, 3).map(toKafkajsAcl);
  const answer = (listed: typeof entries) => ({
    throttleTime: 0,
    errorCode: 0,
    resources: listed.map(({ resourceType, resourceName, resourcePatternType, ...acl }) => ({
      resourceType,
      resourceName,
      resourcePatternType,
      acls: [acl],
    })),
  });

  it('names the grants the broker does not list yet, and none once it lists them all', () => {
    expect(aclsNotListed(entries, answer([]))).toEqual(entries);
    expect(aclsNotListed(entries, answer([entries[0], entries[2]]))).toEqual([entries[1]]);
    expect(aclsNotListed(entries, answer(entries))).toEqual([]);
  });

  it('does not take a grant on another pattern or for another operation for the one asked', () => {
    const [first] = entries;
    const prefixed = { ...first, resourcePatternType: first.resourcePatternType + 1 };
    const otherOp = { ...first, operation: first.operation + 1 };
    expect(aclsNotListed([first], answer([prefixed, otherOp]))).toEqual([first]);
  });
});
