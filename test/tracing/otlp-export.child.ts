/*
 * Run by otlp-export.int-spec.ts in a plain Node process (the OTLP/HTTP exporter loads `http` with a
 * dynamic import, which jest's module sandbox refuses): reads the tracing settings from the
 * environment as the services do, records one span, shuts down (flushing it) and exits.
 */
import { EnvReader } from '../../libs/platform/src/config/env-reader';
import { readTracingSettings } from '../../libs/platform/src/config/tracing.config';
import { startTracing } from '../../libs/platform/src/tracing/tracing';

async function main(): Promise<void> {
  const env = new EnvReader(process.env);
  const settings = readTracingSettings(env);
  env.done('otlp-export-child');
  const tracing = await startTracing(settings, { serviceName: 'attempt-service' });
  process.stdout.write(`enabled=${tracing.enabled}\n`);
  tracing.startSpan('process UpdateAttemptStatus', { remote: { traceparent: process.env.TEST_TRACEPARENT } }).end();
  await tracing.shutdown();
  // whether the SDK or the exporter was ever loaded into this process
  const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\/](sdk-trace|exporter-trace-otlp-http)[\\/]/.test(k));
  process.stdout.write(`sdkLoaded=${loaded.length > 0}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
