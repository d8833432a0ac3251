import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ConfigError } from '../../../../libs/platform/src/config/env-reader';
import { loadAttemptServiceConfig } from './attempt-service.config';

// READ_API_AUTH=off: these tests are about the other settings (the read API has its own below).
const base = { PROVIDERS_FILE: 'config/providers.json', READ_API_AUTH: 'off' };

describe('loadAttemptServiceConfig', () => {
  it('runs on one machine with no variables set', () => {
    const c = loadAttemptServiceConfig(base);
    expect(c).toMatchObject({
      database: { url: 'postgres://postgres@127.0.0.1:5432/proctoring', ssl: false, poolSize: 10 },
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'attempt-service' },
      migrateOnStart: true,
      groupId: 'attempt-service.main',
      redriveGroupId: 'ops.redrive',
      topics: {
        commands: 'proctoring.attempt.commands.v1',
        attemptEvents: 'proctoring.attempt.events.v1',
        credentialEvents: 'proctoring.credential.events.v1',
        commandsDlq: 'proctoring.attempt.commands.v1.dlq',
      },
      httpHost: '127.0.0.1',
      httpPort: 3000,
      readApi: { mode: 'off' },
      sweeperEnabled: true,
      sweeperIntervalMs: 10000,
      sweeperBatchSize: 200,
      consumerLagIntervalMs: 15000,
      healthDbTimeoutMs: 1000,
      healthKafkaCacheMs: 5000,
      outboxReadyMaxAgeMs: 60000,
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
      OUTBOX_READY_MAX_AGE_MS: '120000',
    });
    expect(c).toMatchObject({
      outboxReadyMaxAgeMs: 120000,
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
        OUTBOX_READY_MAX_AGE_MS: '10',
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
      'OUTBOX_READY_MAX_AGE_MS',
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

describe('loadAttemptServiceConfig: reviews (SPEC §8.1, §8.4)', () => {
  it("names each provider's review and outcomes topics, with TOPIC_REVIEWS_SUFFIX", () => {
    expect(loadAttemptServiceConfig(base).topics.reviews).toEqual({
      software_secure: { reviews: 'proctoring.attempt.reviews.software_secure.v1', outcomes: 'proctoring.attempt.reviews.software_secure.outcomes.v1' },
      proctortrack: { reviews: 'proctoring.attempt.reviews.proctortrack.v1', outcomes: 'proctoring.attempt.reviews.proctortrack.outcomes.v1' },
    });
    expect(loadAttemptServiceConfig({ ...base, TOPIC_REVIEWS_SUFFIX: '.t1' }).topics.reviews?.proctortrack).toEqual({
      reviews: 'proctoring.attempt.reviews.proctortrack.v1.t1',
      outcomes: 'proctoring.attempt.reviews.proctortrack.outcomes.v1.t1',
    });
  });

  it('refuses provider names that cannot name a topic, and a bad suffix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'providers-'));
    try {
      const file = join(dir, 'providers.json');
      writeFileSync(file, JSON.stringify({ defaults: {}, providers: { 'Soft Secure': {} } }));
      expect(() => loadAttemptServiceConfig({ ...base, PROVIDERS_FILE: file })).toThrow(/provider names must match/);
      expect(() => loadAttemptServiceConfig({ ...base, TOPIC_REVIEWS_SUFFIX: 'a b' })).toThrow(/TOPIC_REVIEWS_SUFFIX/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('REVIEW_VIDEO_URL_KEY: 32 bytes of base64, else refused without echoing it; unset: none', () => {
    expect(loadAttemptServiceConfig(base).reviewVideoUrlKey).toBeNull();
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadAttemptServiceConfig({ ...base, REVIEW_VIDEO_URL_KEY: key }).reviewVideoUrlKey).toEqual(Buffer.alloc(32, 7));
    for (const bad of [Buffer.alloc(16, 1).toString('base64'), 'not base64!!'])
      expect(() => loadAttemptServiceConfig({ ...base, REVIEW_VIDEO_URL_KEY: bad })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining(bad) as string }) as Error,
      );
  });
});

describe('loadAttemptServiceConfig: tracing (OpenTelemetry)', () => {
  it('is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; a bad endpoint is named, never echoed', () => {
    expect(loadAttemptServiceConfig(base).tracing).toEqual({ otlpTracesUrl: null });
    expect(loadAttemptServiceConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318' }).tracing).toEqual({
      otlpTracesUrl: 'https://collector.example:4318/v1/traces',
    });
    expect(() => loadAttemptServiceConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-secret:4318' })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/OTEL_EXPORTER_OTLP_ENDPOINT must be a/) as string }) as Error,
    );
    expect(() => loadAttemptServiceConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-secret:4318' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('collector-secret') as string }) as Error,
    );
  });
});

describe('loadAttemptServiceConfig: read API authentication (READ_API_*)', () => {
  const providers = { PROVIDERS_FILE: 'config/providers.json' };
  let dir: string;
  let jwksFile: string;
  let publicJwk: Record<string, unknown>;
  let privateJwk: Record<string, unknown>;
  const jwt = () => ({ ...providers, READ_API_JWKS_FILE: jwksFile, READ_API_ISSUER: 'https://idp.example.org/', READ_API_AUDIENCE: 'urn:proctoring:attempts' });
  const problems = (env: Record<string, string>): string => {
    try {
      loadAttemptServiceConfig(env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1' };
    privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1' };
    dir = mkdtempSync(join(tmpdir(), 'read-api-config-'));
    jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [publicJwk] }));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start with the read API on and no key set, naming the variables (unless READ_API_AUTH=off)', () => {
    const message = problems(providers);
    expect(message).toContain('READ_API_JWKS_FILE or READ_API_JWKS_URL must be set');
    expect(message).toContain('READ_API_AUTH=off');
    expect(message).toContain('READ_API_ISSUER');
    expect(message).toContain('READ_API_AUDIENCE');
    expect(problems({ ...providers, READ_API_AUTH: 'jwt', READ_API_ISSUER: 'i', READ_API_AUDIENCE: 'a' })).toMatch(/READ_API_JWKS_FILE or READ_API_JWKS_URL must be set/);
    expect(loadAttemptServiceConfig({ ...providers, READ_API_AUTH: 'off' }).readApi).toEqual({ mode: 'off' });
    expect(problems({ ...providers, READ_API_AUTH: 'none' })).toContain('READ_API_AUTH must be one of jwt, off');
  });

  it('does not read READ_API_* for a process that serves no HTTP (the command line)', () => {
    expect(loadAttemptServiceConfig(providers, { http: false }).readApi).toBeNull();
  });

  it('reads a JWKS file, the issuer, audiences and the algorithm allow-list', () => {
    expect(loadAttemptServiceConfig(jwt()).readApi).toEqual({
      mode: 'jwt',
      keys: { kind: 'file', path: jwksFile, jwks: { keys: [publicJwk] } },
      issuer: 'https://idp.example.org/',
      audience: ['urn:proctoring:attempts'],
      algorithms: ['RS256', 'ES256', 'EdDSA'],
    });
    const c = loadAttemptServiceConfig({ ...jwt(), READ_API_AUDIENCE: 'a, b', READ_API_ALGORITHMS: 'ES384,PS256' });
    expect(c.readApi).toMatchObject({ audience: ['a', 'b'], algorithms: ['ES384', 'PS256'] });
  });

  it('takes an https JWKS URL, or http to a loopback address only', () => {
    const url = { ...jwt(), READ_API_JWKS_FILE: '' };
    expect(loadAttemptServiceConfig({ ...url, READ_API_JWKS_URL: 'https://idp.example.org/jwks' }).readApi).toMatchObject({ keys: { kind: 'url', url: 'https://idp.example.org/jwks' } });
    expect(loadAttemptServiceConfig({ ...url, READ_API_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).readApi).toMatchObject({ keys: { kind: 'url' } });
    for (const bad of ['http://idp.example.org/jwks', 'ftp://idp.example.org/jwks', 'not a url', 'https://user:pw@idp.example.org/jwks']) {
      expect(problems({ ...url, READ_API_JWKS_URL: bad })).toContain('READ_API_JWKS_URL');
    }
    expect(problems({ ...jwt(), READ_API_JWKS_URL: 'https://idp.example.org/jwks' })).toContain('READ_API_JWKS_FILE and READ_API_JWKS_URL are both set');
  });

  it('refuses symmetric or unknown algorithms, private keys in the JWKS file and an unreadable file, never echoing values', () => {
    for (const alg of ['HS256', 'none', 'ES256,HS512', 'RS1']) expect(problems({ ...jwt(), READ_API_ALGORITHMS: alg })).toContain('READ_API_ALGORITHMS must list only asymmetric');
    const privateFile = join(dir, 'private.json');
    writeFileSync(privateFile, JSON.stringify({ keys: [privateJwk] }));
    expect(problems({ ...jwt(), READ_API_JWKS_FILE: privateFile })).toContain('READ_API_JWKS_FILE must hold public keys only');
    const emptyFile = join(dir, 'empty.json');
    writeFileSync(emptyFile, JSON.stringify({ keys: [] }));
    expect(problems({ ...jwt(), READ_API_JWKS_FILE: emptyFile })).toContain('at least one key');
    const badKeyFile = join(dir, 'bad-key.json');
    writeFileSync(badKeyFile, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'nope' }] }));
    expect(problems({ ...jwt(), READ_API_JWKS_FILE: badKeyFile })).toContain('READ_API_JWKS_FILE');
    const message = problems({ ...jwt(), READ_API_JWKS_FILE: '/nonexistent/hunter2.json', READ_API_ISSUER: 'has space hunter2' });
    expect(message).toContain('READ_API_JWKS_FILE names a file that cannot be read');
    expect(message).toContain('READ_API_ISSUER must be a URI without whitespace');
    expect(message).not.toContain('hunter2');
  });
});
