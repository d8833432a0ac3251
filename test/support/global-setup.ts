import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dropDatabase, ensureDatabase } from '../../libs/platform/src/database/ensure-database';
import { attemptDataSourceOptions } from '../../apps/attempt-service/src/persistence/data-source';
import {
  migrateNotifierSchema,
  notifierDataSourceOptions,
} from '../../apps/notifier/src/persistence/data-source';
import { readCredentials } from '../../scripts/kafka-credentials';
import { allPrincipals } from '../../scripts/kafka-admin';
import { TEST_DATABASE_URL, TEST_KAFKA_BROKERS, TEST_SCHEMA_REGISTRY_PORT } from './test-env';

/**
 * Integration set-up, once per jest run: a Kafka broker with SASL/SCRAM and ACLs (started from Maven
 * Central jars unless one already answers on KAFKA_BROKERS to the local `admin`), a fresh test database (dropped and created again, so nothing an
 * earlier run left behind — say an outbox row for a topic that run deleted — can leak into this one),
 * a schema registry for the Open edX bridge (scripts/schema-registry.sh, unless one answers), and both
 * services' migrations (the bridge migrates its own schema when it starts).
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const env = { ...process.env, KAFKA_BROKERS: TEST_KAFKA_BROKERS };
  const answered = spawnOk(root, ['scripts/kafka.sh', 'status'], env);
  if (!answered) {
    execFileSync('bash', ['scripts/kafka.sh', 'start'], { cwd: root, env, stdio: 'inherit' });
    process.env.PROCTORING_TEST_STARTED_KAFKA = '1';
  } else if (missingPrincipals()) {
    // A broker started from an older checkout lacks the users of principals added since (the bridge's):
    // their passwords, users, topics and ACLs.
    execFileSync('bash', ['scripts/kafka.sh', 'provision'], { cwd: root, env, stdio: 'inherit' });
  } else {
    // A broker started earlier (by scripts/kafka.sh, with the same credentials file) has its users; the
    // topics and ACLs of a providers file changed since are added.
    for (const chore of ['topics', 'acls'])
      execFileSync('node', ['-r', 'ts-node/register/transpile-only', 'scripts/kafka-admin.ts', chore], {
        cwd: root,
        env,
        stdio: 'inherit',
      });
  }
  const registryEnv = { ...process.env, SCHEMA_REGISTRY_PORT: TEST_SCHEMA_REGISTRY_PORT };
  if (!spawnOk(root, ['scripts/schema-registry.sh', 'status'], registryEnv)) {
    execFileSync('bash', ['scripts/schema-registry.sh', 'start'], { cwd: root, env: registryEnv, stdio: 'inherit' });
    process.env.PROCTORING_TEST_STARTED_REGISTRY = '1';
  }
  if (!/test/.test(new URL(TEST_DATABASE_URL).pathname))
    throw new Error(`refusing to drop ${TEST_DATABASE_URL}: the test database's name must contain "test"`);
  await dropDatabase(TEST_DATABASE_URL);
  await ensureDatabase(TEST_DATABASE_URL);
  const attempts = new DataSource(attemptDataSourceOptions(TEST_DATABASE_URL));
  await attempts.initialize();
  await attempts.runMigrations({ transaction: 'each' });
  await attempts.destroy();
  const notifier = new DataSource(notifierDataSourceOptions(TEST_DATABASE_URL));
  await notifier.initialize();
  await migrateNotifierSchema(notifier);
  await notifier.destroy();
}

/** True when the local credentials file has no password for some principal of this checkout. */
function missingPrincipals(): boolean {
  if ((process.env.KAFKA_SASL_MECHANISM ?? '').toLowerCase() === 'none') return false;
  const known = readCredentials();
  return allPrincipals().some((p) => !known.has(p));
}

function spawnOk(cwd: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync('bash', args, { cwd, env, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
