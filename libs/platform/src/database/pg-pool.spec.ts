import { readDatabaseSettings } from '../config/database.config';
import { EnvReader } from '../config/env-reader';
import { pgPoolConfig } from './pg-pool';

describe('pgPoolConfig: the settings of a service pool', () => {
  it('carries the pool size, application name, client-side timeouts and keep-alive of the database settings', () => {
    const s = readDatabaseSettings(
      new EnvReader({ DATABASE_URL: 'postgres://u@db:5432/p', DATABASE_POOL_SIZE: '7', DATABASE_QUERY_TIMEOUT_MS: '1500', DATABASE_CONNECT_TIMEOUT_MS: '2500' }),
    );
    expect(pgPoolConfig({ ...s, applicationName: 'attempt-service' })).toEqual({
      connectionString: 'postgres://u@db:5432/p',
      ssl: false,
      max: 7,
      application_name: 'attempt-service',
      query_timeout: 1500,
      connectionTimeoutMillis: 2500,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
  });

  it('defaults to 10 connections (as TypeORM did) and no bounds when given none, and passes TLS on', () => {
    const ssl = { rejectUnauthorized: true, ca: 'PEM' };
    expect(pgPoolConfig({ url: 'postgres://db/p', ssl, applicationName: 'notifier' })).toEqual({
      connectionString: 'postgres://db/p',
      ssl,
      max: 10,
      application_name: 'notifier',
    });
  });
});
