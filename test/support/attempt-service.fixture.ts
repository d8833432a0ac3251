import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AttemptServiceModule } from '../../apps/attempt-service/src/attempt-service.module';
import { createAttemptServiceRuntime, type AttemptServiceRuntime } from '../../apps/attempt-service/src/attempt-service.runtime';
import { loadAttemptServiceConfig } from '../../apps/attempt-service/src/config/attempt-service.config';
import { createLogger } from '../../libs/platform/src/logging/logger';
import { PinoNestLogger } from '../../libs/platform/src/nest/pino-nest.logger';
import type { Tracing } from '../../libs/platform/src/tracing/tracing';
import { topicEnv, type TestTopics } from './kafka-fixture';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from './test-env';

export interface RunningAttemptService {
  app: INestApplication;
  runtime: AttemptServiceRuntime;
  url: string;
  stop(): Promise<void>;
}

/** The whole attempt-service in this process, on a suite's topics, the real broker and database. */
export async function startAttemptService(
  topics: TestTopics,
  env: Record<string, string> = {},
  opts: { tracing?: Tracing } = {},
): Promise<RunningAttemptService> {
  const config = loadAttemptServiceConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    ...testIdentity('attempt-service'),
    ATTEMPT_SERVICE_GROUP_ID: `attempt-service.test-${randomUUID()}`,
    PROVIDERS_FILE: 'config/providers.json',
    HTTP_PORT: '0',
    OUTBOX_RELAY_IDLE_POLL_MS: '200',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // The sweeper sweeps the whole shared test database; suites that test it turn it on explicitly.
    SWEEPER_ENABLED: 'false',
    // These suites drive the service through Kafka; the read API's authentication has its own suite.
    READ_API_AUTH: 'off',
    ...topicEnv(topics),
    ...env,
  });
  const logger = createLogger('attempt-service', config.logLevel);
  const runtime = await createAttemptServiceRuntime(config, { logger, migrate: false, tracing: opts.tracing });
  const app = await NestFactory.create(AttemptServiceModule.register(runtime), { logger: new PinoNestLogger(logger) });
  app.connectMicroservice({ strategy: runtime.transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    app,
    runtime,
    url: url.replace('[::1]', '127.0.0.1'),
    stop: async () => {
      await app.close();
    },
  };
}
