import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TOPICS } from '../../libs/contracts/src';
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
  command?: string;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, a KRaft Kafka 3.9 broker, a topic creator and both services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['attempt-service', 'kafka', 'kafka-init', 'notifier', 'postgres']);
    expect(compose.services.kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(compose.services['kafka-init'].image).toBe(compose.services.kafka.image);
    expect(compose.services.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    for (const k of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR']) {
      expect(String(compose.services.kafka.environment?.[k])).toBe('1');
    }
    expect(compose.services.postgres.healthcheck).toBeDefined();
    expect(compose.services.kafka.healthcheck).toBeDefined();
  });

  it('creates exactly the contract topics before the services start', () => {
    const command = compose.services['kafka-init'].command ?? '';
    for (const topic of Object.values(TOPICS)) expect(command).toContain(topic);
    for (const app of ['attempt-service', 'notifier']) {
      expect(compose.services[app].depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it("gives each service an environment its own configuration loader accepts", () => {
    const env = (app: string) => ({ ...compose.services[app].environment, PROVIDERS_FILE: join(root, 'config/providers.json') });
    const attempt = loadAttemptServiceConfig(env('attempt-service'));
    expect(attempt.kafka.brokers).toEqual(['kafka:19092']);
    expect(attempt.database.url).toContain('@postgres:5432/');
    const notifier = loadNotifierConfig(env('notifier'));
    expect(notifier.httpPort).toBe(3001);
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
