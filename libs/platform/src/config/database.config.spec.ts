import { pgPoolTimeouts, readDatabaseSettings } from './database.config';
import { EnvReader } from './env-reader';

describe('database settings: client-side timeouts', () => {
  it('bounds queries at 30 s and connects at 10 s by default, with TCP keep-alive', () => {
    const s = readDatabaseSettings(new EnvReader({}));
    expect(s.timeouts).toEqual({ queryMs: 30_000, connectMs: 10_000 });
    expect(pgPoolTimeouts(s.timeouts)).toEqual({ query_timeout: 30_000, connectionTimeoutMillis: 10_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  });

  it('takes other bounds, and 0 for no query bound', () => {
    const s = readDatabaseSettings(new EnvReader({ DATABASE_QUERY_TIMEOUT_MS: '0', DATABASE_CONNECT_TIMEOUT_MS: '2500' }));
    expect(pgPoolTimeouts(s.timeouts)).toEqual({ connectionTimeoutMillis: 2500, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  });

  it('names a bad variable, never its value', () => {
    const env = new EnvReader({ DATABASE_QUERY_TIMEOUT_MS: 'soon', DATABASE_CONNECT_TIMEOUT_MS: '1' });
    readDatabaseSettings(env);
    expect(() => env.done('svc')).toThrow(
      'svc: invalid configuration:\n  - DATABASE_QUERY_TIMEOUT_MS must be an integer\n  - DATABASE_CONNECT_TIMEOUT_MS must be between 100 and 600000',
    );
  });
});
