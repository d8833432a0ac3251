import type { EnvReader } from './env-reader';

export interface TracingSettings {
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT (the standard variable): the OTLP/HTTP collector base URL, e.g.
   * `http://otel-collector:4318` (spans go to `<endpoint>/v1/traces`). Unset: tracing is off — no SDK
   * is started, and a valid incoming `traceparent` is only passed on to the events.
   */
  otlpEndpoint: string | null;
}

/** OpenTelemetry settings shared by both services. */
export function readTracingSettings(env: EnvReader): TracingSettings {
  const endpoint = env.optionalString('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return { otlpEndpoint: null };
  env.url('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, ['http:', 'https:']);
  return { otlpEndpoint: endpoint };
}
