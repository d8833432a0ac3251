import type { EnvReader } from './env-reader';

export interface TracingSettings {
  /**
   * Where spans are posted (OTLP/HTTP), or null: tracing off — no SDK is started, and a valid incoming
   * `traceparent` is only passed on to the events. From the standard variables:
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`
   * (e.g. `http://otel-collector:4318` → `http://otel-collector:4318/v1/traces`).
   */
  otlpTracesUrl: string | null;
}

/** OpenTelemetry settings shared by both services (the exporter reads OTEL_EXPORTER_OTLP_HEADERS etc. itself). */
export function readTracingSettings(env: EnvReader): TracingSettings {
  const traces = env.optionalString('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return { otlpTracesUrl: env.url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces, ['http:', 'https:']) };
  const endpoint = env.optionalString('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return { otlpTracesUrl: null };
  env.url('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, ['http:', 'https:']);
  return { otlpTracesUrl: `${endpoint.replace(/\/+$/, '')}/v1/traces` };
}
