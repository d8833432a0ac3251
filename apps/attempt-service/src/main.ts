import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { scrubEmails } from '../../../libs/platform/src/logging/logger';
import { PinoNestLogger } from '../../../libs/platform/src/nest/pino-nest.logger';
import { AttemptServiceModule } from './attempt-service.module';
import { assertConsumedTopicsExist, createAttemptServiceRuntime } from './attempt-service.runtime';
import { loadAttemptServiceConfig } from './config/attempt-service.config';

async function bootstrap(): Promise<void> {
  const config = loadAttemptServiceConfig(process.env);
  const runtime = await createAttemptServiceRuntime(config);
  await assertConsumedTopicsExist(runtime);
  if (!config.reviewVideoUrlKey) runtime.logger.warn('REVIEW_VIDEO_URL_KEY is not set: reviews are stored without their video URL');
  const app = await NestFactory.create(AttemptServiceModule.register(runtime), {
    logger: new PinoNestLogger(runtime.logger.child({ component: 'nest' })),
  });
  app.connectMicroservice({ strategy: runtime.transport }, { inheritAppConfig: true });
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.startAllMicroservices();
  await app.listen(config.httpPort, config.httpHost);
  runtime.logger.info(
    {
      httpHost: config.httpHost,
      httpPort: config.httpPort,
      readApiAuth: config.readApi?.mode,
      groupId: config.groupId,
      topics: config.topics,
      sweeper: config.sweeperEnabled,
      tracing: runtime.tracing.enabled,
    },
    'attempt-service started',
  );
  if (config.readApi?.mode === 'off') runtime.logger.warn('the read API answers without authentication (READ_API_AUTH=off)');
}

bootstrap().catch((e: unknown) => {
  // Configuration errors name the variable, never its value; anything else is a start-up fault.
  process.stderr.write(`attempt-service failed to start: ${scrubEmails(e instanceof Error ? e.message : String(e))}\n`);
  process.exit(1);
});
