import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { providerReviewTopics, TOPICS } from '../../libs/contracts/src';
import { aclPlan, clientPrincipals, SUPER_USERS } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { deploymentTopics, inboundTopics, providerNames } from '../../scripts/kafka-admin';
import { loadAttemptServiceConfig } from '../../apps/attempt-service/src/config/attempt-service.config';
import { loadNotifierConfig } from '../../apps/notifier/src/config/notifier.config';

/**
 * docker-compose.yml cannot run on machines without a Docker engine, so it is checked against the
 * code instead: services, images, dependencies, topics and every environment variable.
 */
const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: unknown;
  command?: string | string[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

const script = (service: string): string => {
  const c = compose.services[service].command ?? '';
  return Array.isArray(c) ? c.join('\n') : c;
};

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, a credentials job, a KRaft Kafka 4.x broker (the default of scripts/kafka.sh), a topic creator and both services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['attempt-service', 'kafka', 'kafka-credentials', 'kafka-init', 'notifier', 'postgres']);
    const kafkaVersion = /^KAFKA_VERSION="\$\{KAFKA_VERSION:-([0-9.]+)\}"$/m.exec(readFileSync(join(root, 'scripts', 'kafka.sh'), 'utf8'))?.[1];
    expect(kafkaVersion).toMatch(/^4\.\d+\.\d+$/);
    expect(compose.services.kafka.image).toBe(`apache/kafka:${kafkaVersion}`);
    expect(compose.services['kafka-credentials'].image).toBe(compose.services.kafka.image);
    expect(compose.services['kafka-init'].image).toBe(compose.services.kafka.image);
    expect(compose.services.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    for (const k of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']) {
      expect(String(compose.services.kafka.environment?.[k])).toBe('1');
    }
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.kafka.healthcheck).toBeDefined();
  });

  it('runs the broker with SASL/SCRAM-SHA-512 and the ACL authorizer, denying what no ACL allows (SPEC §8.4)', () => {
    const env = compose.services.kafka.environment ?? {};
    const protocols = String(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP)
      .split(',')
      .map((p) => p.split(':'));
    for (const [name, protocol] of protocols) expect([name, protocol]).toEqual([name, name === 'CONTROLLER' ? 'PLAINTEXT' : 'SASL_PLAINTEXT']);
    expect(env.KAFKA_LISTENERS).toContain('CONTROLLER://127.0.0.1:9093');
    expect(env.KAFKA_SASL_ENABLED_MECHANISMS).toBe('SCRAM-SHA-512');
    expect(env.KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL).toBe('SCRAM-SHA-512');
    expect(env.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(String(env.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND)).toBe('false');
    expect(env.KAFKA_SUPER_USERS).toBe('User:broker;User:admin;User:ANONYMOUS');
    for (const u of SUPER_USERS) expect(script('kafka')).toContain(`--add-scram "SCRAM-SHA-512=[name=${u},`);
    expect(compose.services.kafka.depends_on).toEqual({ 'kafka-credentials': { condition: 'service_completed_successfully' } });
  });

  it('generates a password for every principal and creates every user and ACL of the plan', () => {
    const principals = [...SUPER_USERS, ...clientPrincipals(providerNames())];
    expect(script('kafka-credentials')).toContain(`for p in ${principals.join(' ')}; do`);
    expect(script('kafka-init')).toContain(`for p in ${clientPrincipals(providerNames()).join(' ')}; do user "$$p"; done`);
    const op = { READ: 'Read', WRITE: 'Write' } as const;
    const lines = script('kafka-init')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^(topic|group)_acl /.test(l));
    const planned = aclPlan(deploymentTopics()).map((g) => (g.resource === 'TOPIC' ? `topic_acl ${g.principal} ${op[g.operation]} ${g.name}` : `group_acl ${g.principal}`));
    expect(lines.sort()).toEqual(planned.sort());
  });

  it('creates exactly the contract topics and each provider\'s review topics before the services start', () => {
    const command = script('kafka-init');
    for (const topic of Object.values(TOPICS)) expect(command).toContain(topic);
    for (const p of providerNames()) {
      const r = providerReviewTopics(p);
      expect(command).toContain(r.outcomes);
      expect(command).toContain(r.reviews);
    }
    for (const topic of inboundTopics()) expect(command).toContain(`inbound ${topic}\n`);
    for (const app of ['attempt-service', 'notifier']) {
      expect(compose.services[app].depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it("gives each service an environment its own configuration loader accepts, with its own Kafka principal", () => {
    const secrets = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
    const env = (app: string) => {
      const e: Record<string, string> = { ...compose.services[app].environment, PROVIDERS_FILE: join(root, 'config/providers.json') };
      expect(e.KAFKA_SASL_PASSWORD_FILE).toBe(`/run/kafka-credentials/${app}`);
      expect(compose.services[app].volumes).toContain('kafkacreds:/run/kafka-credentials:ro');
      const file = join(secrets, app);
      writeFileSync(file, `${app}-password\n`);
      return { ...e, KAFKA_SASL_PASSWORD_FILE: file };
    };
    const attempt = loadAttemptServiceConfig(env('attempt-service'));
    expect(attempt.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'attempt-service', password: 'attempt-service-password' });
    expect(loadNotifierConfig(env('notifier')).kafka.sasl).toMatchObject({ username: 'notifier' });
    expect(attempt.kafka.brokers).toEqual(['kafka:19092']);
    expect(attempt.database.url).toContain('@postgres:5432/');
    const notifier = loadNotifierConfig(env('notifier'));
    expect(notifier.httpPort).toBe(3001);
    rmSync(secrets, { recursive: true, force: true });
  });

  it('names only variables the code reads (every one listed in .env.example)', () => {
    const documented = new Set(
      readFileSync(join(root, '.env.example'), 'utf8')
        .split('\n')
        .map((l) => /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(l)?.[1])
        .filter((v): v is string => !!v),
    );
    for (const app of ['attempt-service', 'notifier']) {
      for (const name of Object.keys(compose.services[app].environment ?? {})) expect([app, name, documented.has(name)]).toEqual([app, name, true]);
    }
  });

  it.each(['attempt-service', 'notifier'])('builds %s with a multi-stage Dockerfile that runs as a non-root user', (app) => {
    const service = compose.services[app];
    expect(service.build).toEqual({ context: '.', dockerfile: `apps/${app}/Dockerfile` });
    const dockerfile = readFileSync(join(root, `apps/${app}/Dockerfile`), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain(`dist/apps/${app}/src/main.js`);
    expect(dockerfile).toMatch(/HEALTHCHECK/);
  });
});
