import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TEST_KAFKA_BROKERS, TEST_SCHEMA_REGISTRY_PORT } from './test-env';

/** Stops the broker and the schema registry only when the set-up started them. */
export default function globalTeardown(): void {
  if (process.env.PROCTORING_TEST_STARTED_REGISTRY === '1' && process.env.KEEP_KAFKA !== '1') {
    execFileSync('bash', ['scripts/schema-registry.sh', 'stop'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, SCHEMA_REGISTRY_PORT: TEST_SCHEMA_REGISTRY_PORT },
      stdio: 'inherit',
    });
  }
  if (process.env.PROCTORING_TEST_STARTED_KAFKA !== '1' || process.env.KEEP_KAFKA === '1') return;
  execFileSync('bash', ['scripts/kafka.sh', 'stop'], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, KAFKA_BROKERS: TEST_KAFKA_BROKERS },
    stdio: 'inherit',
  });
}
