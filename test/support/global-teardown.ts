import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TEST_KAFKA_BROKERS } from './test-env';

/** Stops the broker only when the set-up started it. */
export default function globalTeardown(): void {
  if (process.env.PROCTORING_TEST_STARTED_KAFKA !== '1' || process.env.KEEP_KAFKA === '1') return;
  execFileSync('bash', ['scripts/kafka.sh', 'stop'], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, KAFKA_BROKERS: TEST_KAFKA_BROKERS },
    stdio: 'inherit',
  });
}
