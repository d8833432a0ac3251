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
    expect(read({})).toEqual({ otlpEndpoint: null });
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toEqual({ otlpEndpoint: null });
  });

  it('turn OTLP export on with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })).toEqual({ otlpEndpoint: 'http://otel-collector:4318' });
  });

  it('name a bad endpoint, never its value', () => {
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://secret-host' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be a http: or https: URL/);
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url secret' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be a valid URL/);
    expect(() => read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://secret-host' })).not.toThrow(/secret/);
  });
});
