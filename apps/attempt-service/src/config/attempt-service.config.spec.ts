import { ConfigError } from '../../../../libs/platform/src/config/env-reader';
import { loadAttemptServiceConfig } from './attempt-service.config';

const base = { PROVIDERS_FILE: 'config/providers.json' };

describe('loadAttemptServiceConfig', () => {
  it('runs on one machine with no variables set', () => {
    const c = loadAttemptServiceConfig(base);
    expect(c).toMatchObject({
      database: { url: 'postgres://postgres@127.0.0.1:5432/proctoring', ssl: false, poolSize: 10 },
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'attempt-service' },
      migrateOnStart: true,
      groupId: 'attempt-service',
      redriveGroupId: 'attempt-service-redrive',
      topics: {
        commands: 'proctoring.attempt.commands.v1',
        attemptEvents: 'proctoring.attempt.events.v1',
        credentialEvents: 'proctoring.credential.events.v1',
        commandsDlq: 'proctoring.attempt.commands.v1.dlq',
      },
      httpHost: '0.0.0.0',
      httpPort: 3000,
      sweeperEnabled: true,
      sweeperIntervalMs: 10000,
      sweeperBatchSize: 200,
      consumerLagIntervalMs: 15000,
      healthDbTimeoutMs: 1000,
      healthKafkaCacheMs: 5000,
      logLevel: 'info',
    });
  });

  it('reads the operation settings', () => {
    const c = loadAttemptServiceConfig({
      ...base,
      SWEEPER_ENABLED: 'false',
      SWEEPER_INTERVAL_MS: '250',
      SWEEPER_BATCH_SIZE: '50',
      CONSUMER_LAG_INTERVAL_MS: '0',
      MIGRATE_ON_START: 'no',
      REDRIVE_GROUP_ID: 'ops-redrive',
      TOPIC_COMMANDS_DLQ: 'my.dlq',
    });
    expect(c).toMatchObject({
      sweeperEnabled: false,
      sweeperIntervalMs: 250,
      sweeperBatchSize: 50,
      consumerLagIntervalMs: 0,
      migrateOnStart: false,
      redriveGroupId: 'ops-redrive',
      topics: { commandsDlq: 'my.dlq' },
    });
  });

  it('lists every bad variable by name and never echoes a value', () => {
    const secret = 'hunter2-secret value';
    let error: unknown;
    try {
      loadAttemptServiceConfig({
        ...base,
        SWEEPER_INTERVAL_MS: secret,
        SWEEPER_BATCH_SIZE: '0',
        SWEEPER_ENABLED: secret,
        TOPIC_COMMANDS: secret,
        CONSUMER_LAG_INTERVAL_MS: '10',
        HEALTH_DB_TIMEOUT_MS: secret,
        REDRIVE_GROUP_ID: secret,
        LOG_LEVEL: secret,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of [
      'SWEEPER_INTERVAL_MS',
      'SWEEPER_BATCH_SIZE',
      'SWEEPER_ENABLED',
      'TOPIC_COMMANDS',
      'CONSUMER_LAG_INTERVAL_MS',
      'HEALTH_DB_TIMEOUT_MS',
      'REDRIVE_GROUP_ID',
      'LOG_LEVEL',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('hunter2');
  });

  it('reports an unreadable providers file under PROVIDERS_FILE', () => {
    expect(() => loadAttemptServiceConfig({ PROVIDERS_FILE: '/nonexistent/providers.json' })).toThrow(/PROVIDERS_FILE names a file/);
  });
});
