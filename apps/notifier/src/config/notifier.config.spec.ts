import { join } from 'node:path';
import { loadNotifierConfig } from './notifier.config';

const providersFile = join(__dirname, '../../../../config/providers.json');

describe('loadNotifierConfig', () => {
  it('has defaults that run on one machine, with the file driver when no SendGrid key is set', () => {
    const c = loadNotifierConfig({ PROVIDERS_FILE: providersFile });
    expect(c.database.url).toBe('postgres://postgres@127.0.0.1:5432/proctoring');
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.groupId).toBe('notifier.main');
    expect(c.httpPort).toBe(3001);
    expect(c.email).toEqual({ driver: 'file', outboxDir: './var/emails' });
    expect(c.delivery.resendUnknown).toBe(false);
    expect(c.topics.notifierDlq).toBe('proctoring.notifier.dlq.v1');
    expect(c.eventSource).toBe('urn:proctoring:notifier');
    expect(c.schema).toBe('notifier');
    expect(c.consumerLagIntervalMs).toBe(15_000);
  });

  it('takes the event source, ledger schema and consumer lag interval from the environment', () => {
    const c = loadNotifierConfig({
      PROVIDERS_FILE: providersFile,
      NOTIFIER_EVENT_SOURCE: 'https://mail.example.com/notifier',
      NOTIFIER_SCHEMA: 'notifier_eu',
      NOTIFIER_CONSUMER_LAG_INTERVAL_MS: '0',
    });
    expect(c).toMatchObject({ eventSource: 'https://mail.example.com/notifier', schema: 'notifier_eu', consumerLagIntervalMs: 0 });
  });

  it('refuses a source with whitespace, a schema that is not a plain identifier, and a too-short lag interval', () => {
    expect(() =>
      loadNotifierConfig({
        PROVIDERS_FILE: providersFile,
        NOTIFIER_EVENT_SOURCE: 'urn:with space',
        NOTIFIER_SCHEMA: 'Notifier"; DROP',
        NOTIFIER_CONSUMER_LAG_INTERVAL_MS: '10',
      }),
    ).toThrow(
      [
        'notifier: invalid configuration:',
        '  - NOTIFIER_EVENT_SOURCE must be a URI reference without whitespace',
        '  - NOTIFIER_SCHEMA must be a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters)',
        '  - NOTIFIER_CONSUMER_LAG_INTERVAL_MS must be 0 (off) or at least 1000',
      ].join('\n'),
    );
  });

  it('selects SendGrid when a key is set', () => {
    const c = loadNotifierConfig({
      PROVIDERS_FILE: providersFile,
      SENDGRID_API_KEY: 'SG.abc',
      SENDGRID_BASE_URL: 'http://127.0.0.1:9999/',
      SENDGRID_TIMEOUT_MS: '2000',
      NOTIFIER_RESEND_UNKNOWN: 'true',
    });
    expect(c.email).toEqual({ driver: 'sendgrid', apiKey: 'SG.abc', baseUrl: 'http://127.0.0.1:9999/', timeoutMs: 2000 });
    expect(c.delivery.resendUnknown).toBe(true);
  });

  it('lists every bad variable by name in one error, never echoing values', () => {
    let message = '';
    try {
      loadNotifierConfig({
        PROVIDERS_FILE: '/nonexistent/providers.json',
        NOTIFIER_CONCURRENCY: 'lots-of-secret',
        HTTP_PORT: '99999999',
        DATABASE_URL: 'mysql://user:hunter2@db/x',
        SENDGRID_API_KEY: 'SG.key with space',
        NOTIFIER_RESEND_UNKNOWN: 'perhaps',
      });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of ['PROVIDERS_FILE', 'NOTIFIER_CONCURRENCY', 'HTTP_PORT', 'DATABASE_URL', 'SENDGRID_API_KEY', 'NOTIFIER_RESEND_UNKNOWN']) {
      expect(message).toContain(name);
    }
    for (const value of ['lots-of-secret', '99999999', 'hunter2', 'SG.key', 'perhaps']) expect(message).not.toContain(value);
  });
  it('trusts only the attempt-service source by default, or the NOTIFIER_TRUSTED_SOURCES list; binds 127.0.0.1 unless HTTP_HOST', () => {
    const c = loadNotifierConfig({ PROVIDERS_FILE: providersFile });
    expect(c.trustedSources).toEqual(['urn:proctoring:attempt-service']);
    expect(c.httpHost).toBe('127.0.0.1');
    const custom = loadNotifierConfig({ PROVIDERS_FILE: providersFile, NOTIFIER_TRUSTED_SOURCES: 'urn:a, https://b.example/attempts', HTTP_HOST: '0.0.0.0' });
    expect(custom).toMatchObject({ trustedSources: ['urn:a', 'https://b.example/attempts'], httpHost: '0.0.0.0' });
    expect(() => loadNotifierConfig({ PROVIDERS_FILE: providersFile, NOTIFIER_TRUSTED_SOURCES: 'urn:a,urn:b c' })).toThrow(/NOTIFIER_TRUSTED_SOURCES must be/);
  });

  it('traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set (a bad one is named, never echoed)', () => {
    expect(loadNotifierConfig({ PROVIDERS_FILE: providersFile }).tracing).toEqual({ otlpTracesUrl: null });
    expect(loadNotifierConfig({ PROVIDERS_FILE: providersFile, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing).toEqual({
      otlpTracesUrl: 'http://127.0.0.1:4318/v1/traces',
    });
    expect(() => loadNotifierConfig({ PROVIDERS_FILE: providersFile, OTEL_EXPORTER_OTLP_ENDPOINT: 'udp://collector-secret' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be a http: or https: URL/,
    );
    expect(() => loadNotifierConfig({ PROVIDERS_FILE: providersFile, OTEL_EXPORTER_OTLP_ENDPOINT: 'udp://collector-secret' })).not.toThrow(/collector-secret/);
  });
});
