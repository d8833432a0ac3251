import 'reflect-metadata';
import { ConfigError } from '../../../libs/platform/src/config/env-reader';
import { createLogger } from '../../../libs/platform/src/logging/logger';
import { loadOpenEdxBridgeConfig, type OpenEdxBridgeConfig } from './config/openedx-bridge.config';
import { createOpenEdxBridgeApp, startOpenEdxBridgeApp } from './openedx-bridge.app';

/**
 * The Open edX event bus bridge (docs/openedx.md): validate the environment, exit at once when the
 * bridge is not enabled, else connect PostgreSQL (migrating it), Kafka and consume. SIGTERM/SIGINT
 * let the slice in hand finish and commit before anything is disconnected.
 */
async function bootstrap(): Promise<void> {
  let config: OpenEdxBridgeConfig;
  try {
    config = loadOpenEdxBridgeConfig(process.env);
  } catch (e) {
    process.stderr.write(
      `${e instanceof ConfigError ? e.message : 'openedx-bridge: invalid configuration'}\n`,
    );
    process.exit(1);
  }
  const logger = createLogger('openedx-bridge', config.logLevel);
  if (!config.enabled) {
    logger.info('openedx-bridge is off (OPENEDX_BRIDGE_ENABLED is not true); exiting');
    return;
  }
  const app = await createOpenEdxBridgeApp(config, logger);
  await startOpenEdxBridgeApp(app, config);
  logger.info(
    {
      port: config.httpPort,
      groupId: config.groupId,
      from: config.attemptEventsTopic,
      to: config.openEdxTopic,
    },
    'openedx-bridge started',
  );
}

bootstrap().catch((e: unknown) => {
  createLogger('openedx-bridge').fatal({ err: e }, 'openedx-bridge failed to start');
  process.exit(1);
});
