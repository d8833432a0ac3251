import 'reflect-metadata';
import { ConfigError } from '../../../libs/platform/src/config/env-reader';
import { createLogger } from '../../../libs/platform/src/logging/logger';
import { loadNotifierConfig, type NotifierConfig } from './config/notifier.config';
import { createNotifierApp, startNotifierApp } from './notifier.app';

/**
 * Boot order (STYLE habit 9): validate the environment and the providers file, connect to
 * PostgreSQL (migrating it) and Kafka, then start the sender, the consumer and HTTP. SIGTERM/SIGINT
 * drain the sends in flight before anything is disconnected.
 */
async function bootstrap(): Promise<void> {
  let config: NotifierConfig;
  try {
    config = loadNotifierConfig(process.env);
  } catch (e) {
    process.stderr.write(`${e instanceof ConfigError ? e.message : 'notifier: invalid configuration'}\n`);
    process.exit(1);
  }
  const logger = createLogger('notifier', config.logLevel);
  const app = await createNotifierApp(config, logger);
  await startNotifierApp(app, config);
  logger.info({ port: config.httpPort, groupId: config.groupId, topic: config.topics.attemptEvents }, 'notifier started');
}

bootstrap().catch((e: unknown) => {
  createLogger('notifier').fatal({ err: e }, 'notifier failed to start');
  process.exit(1);
});
