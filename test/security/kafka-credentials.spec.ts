import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCredentials, identityEnv, localSasl, parseCredentials } from '../../scripts/kafka-credentials';

describe('the local Kafka credentials file (docs/security.md)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-credentials-'));
  const file = join(dir, 'nested', 'credentials.env');
  const env = { KAFKA_CREDENTIALS_FILE: file };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated with one random password per principal, mode 0600, and never changes a password it holds', () => {
    const first = ensureCredentials(['broker', 'admin', 'lms'], file);
    expect([...first.keys()]).toEqual(['broker', 'admin', 'lms']);
    expect(new Set(first.values()).size).toBe(3);
    for (const pw of first.values()) expect(pw).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = ensureCredentials(['broker', 'admin', 'lms', 'provider-new'], file);
    expect(second.get('lms')).toBe(first.get('lms'));
    expect(second.has('provider-new')).toBe(true);
    expect(parseCredentials(readFileSync(file, 'utf8'))).toEqual(second);
  });

  it('gives a process the KAFKA_SASL_* of its principal, or no SASL with KAFKA_SASL_MECHANISM=none', () => {
    const pw = parseCredentials(readFileSync(file, 'utf8')).get('lms');
    expect(identityEnv('lms', env)).toEqual({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'lms', KAFKA_SASL_PASSWORD: pw });
    expect(localSasl('lms', env)).toEqual({ mechanism: 'scram-sha-512', username: 'lms', password: pw });
    expect(identityEnv('lms', { ...env, KAFKA_SASL_MECHANISM: 'none' })).toEqual({ KAFKA_SASL_MECHANISM: 'none' });
    expect(localSasl('lms', { ...env, KAFKA_SASL_MECHANISM: 'none' })).toBeUndefined();
    expect(() => identityEnv('stranger', env)).toThrow(/no Kafka credential for "stranger"/);
  });
});
