import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvReader } from './env-reader';
import { readKafkaSettings } from './kafka.config';

function read(env: Record<string, string>) {
  const r = new EnvReader(env);
  const settings = readKafkaSettings(r, 'test');
  r.done('test');
  return settings;
}

describe('readKafkaSettings: SASL identity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has no SASL by default', () => {
    expect(read({}).sasl).toBeUndefined();
  });

  it('takes a principal and its password from KAFKA_SASL_*', () => {
    expect(read({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'notifier', KAFKA_SASL_PASSWORD: 'pw' }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'notifier',
      password: 'pw',
    });
  });

  it('reads the password from KAFKA_SASL_PASSWORD_FILE (a mounted secret), trimmed', () => {
    const file = join(dir, 'attempt-service');
    writeFileSync(file, 's3cret\n');
    expect(read({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'attempt-service', KAFKA_SASL_PASSWORD_FILE: file }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'attempt-service',
      password: 's3cret',
    });
  });

  it('names the variables that are missing or conflicting, never a value', () => {
    expect(() => read({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(/KAFKA_SASL_USERNAME is required[\s\S]*KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) is required/);
    const both = () => read({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2', KAFKA_SASL_PASSWORD_FILE: '/x' });
    expect(both).toThrow(/KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are exclusive/);
    expect(both).not.toThrow(/hunter2/);
    expect(() => read({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') })).toThrow(
      /KAFKA_SASL_PASSWORD_FILE names a file that cannot be read/,
    );
    expect(() => read({ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });
});

describe('readKafkaSettings: topic retention', () => {
  it('defaults to 7 days', () => {
    expect(read({}).topicRetentionMs).toBe(604_800_000);
  });

  it('takes KAFKA_TOPIC_RETENTION_MS', () => {
    expect(read({ KAFKA_TOPIC_RETENTION_MS: '86400000' }).topicRetentionMs).toBe(86_400_000);
  });

  it('refuses a value that is not an integer, below a minute, or unlimited (-1), naming the variable', () => {
    for (const bad of ['7d', '1000', '-1']) {
      expect(() => read({ KAFKA_TOPIC_RETENTION_MS: bad })).toThrow(/KAFKA_TOPIC_RETENTION_MS/);
      expect(() => read({ KAFKA_TOPIC_RETENTION_MS: bad })).not.toThrow(new RegExp(`\\b${bad}\\b`));
    }
  });
});

describe('readKafkaSettings: KAFKA_CLIENT (benchmark only)', () => {
  it('is kafkajs unless asked, and ignores the native folder then', () => {
    expect(read({}).nativeClient).toBeUndefined();
    expect(read({ KAFKA_NATIVE_CLIENT_DIR: '/x' }).nativeClient).toBeUndefined();
  });

  it('takes the native client from KAFKA_NATIVE_CLIENT_DIR', () => {
    expect(read({ KAFKA_CLIENT: 'native', KAFKA_NATIVE_CLIENT_DIR: '/repo/bench/native-client' }).nativeClient).toEqual({
      dir: '/repo/bench/native-client',
    });
  });

  it('refuses native without its folder, and an unknown client', () => {
    expect(() => read({ KAFKA_CLIENT: 'native' })).toThrow(/KAFKA_NATIVE_CLIENT_DIR/);
    expect(() => read({ KAFKA_CLIENT: 'rdkafka' })).toThrow(/KAFKA_CLIENT must be one of kafkajs, native/);
  });
});
