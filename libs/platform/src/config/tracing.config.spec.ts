import { EnvReader } from './env-reader';
import { readTracingSettings } from './tracing.config';

const read = (env: NodeJS.ProcessEnv) => {
  const r = new EnvReader(env);
  const settings = readTracingSettings(r);
  r.done('test');
  return settings;
};

describe('tracing settings', () => {
  it('are off by default (no endpoint: no SDK)', () => {
    expect(read({})).toEqual({ otlpTracesUrl: null });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual({ otlpTracesUrl: null });
  });

  it('turn OTLP export on with OTEL_EXPORTER_OTLP_ENDPOINT (spans to <endpoint>/v1/traces)', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })).toEqual({ otlpTracesUrl: 'http://otel-collector:4318/v1/traces' });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c.example/otlp/' })).toEqual({ otlpTracesUrl: 'https://c.example/otlp/v1/traces' });
  });

  it('take OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, before the general endpoint', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/traces' })).toEqual({
      otlpTracesUrl: 'http://b:4318/traces',
    });
  });

  it('name a bad endpoint, never its value', () => {
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://secret-host' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be a http: or https: URL/);
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url secret' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be a valid URL/);
    expect(() => read({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://secret-host' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be a http: or https: URL/);
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://secret-host' })).not.toThrow(/secret/);
  });
});
