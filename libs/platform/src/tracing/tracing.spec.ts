import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { NO_TRACING, SpanKind, startTracing, type Tracing } from './tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const REMOTE = { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`, tracestate: 'congo=t61rcWkgMzE' };

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('starts no SDK', async () => {
    const tracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'test' });
    expect(tracing).toBe(NO_TRACING);
    expect(tracing.enabled).toBe(false);
  });

  it('hands a remote parent on unchanged, through child spans too', () => {
    const span = NO_TRACING.startSpan('process X', { remote: REMOTE });
    expect(span.carrier).toEqual(REMOTE);
    expect(NO_TRACING.startSpan('child', { parent: span }).carrier).toEqual(REMOTE);
  });

  it('hands nothing on without a parent (no trace is started)', () => {
    expect(NO_TRACING.startSpan('process X').carrier).toBeUndefined();
    expect(NO_TRACING.startSpan('process X', { remote: {} }).carrier).toBeUndefined();
  });
});

describe('tracing on (an SDK provider; here with an in-memory exporter)', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;

  beforeEach(async () => {
    exporter = new InMemorySpanExporter();
    tracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'test', exporter });
  });

  afterEach(() => tracing.shutdown());

  it('continues a remote parent: same trace, the remote span as parent, tracestate kept', () => {
    const span = tracing.startSpan('process UpdateAttemptStatus', { kind: SpanKind.CONSUMER, remote: REMOTE });
    span.end();
    const [finished] = exporter.getFinishedSpans();
    expect(finished.spanContext().traceId).toBe(TRACE_ID);
    expect(finished.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(finished.kind).toBe(SpanKind.CONSUMER);
    expect(span.carrier?.traceparent).toBe(`00-${TRACE_ID}-${finished.spanContext().spanId}-01`);
    expect(span.carrier?.tracestate).toBe(REMOTE.tracestate);
  });

  it('starts a new trace without a parent, and links a span to another', () => {
    const batch = tracing.startSpan('batch');
    const command = tracing.startSpan('command', { links: [batch] });
    command.end();
    batch.end();
    const [c, b] = exporter.getFinishedSpans();
    expect(c.parentSpanContext).toBeUndefined();
    expect(c.spanContext().traceId).not.toBe(b.spanContext().traceId);
    expect(c.links.map((l) => l.context.spanId)).toEqual([b.spanContext().spanId]);
  });

  it('nests a local child and marks a failure without personal data', () => {
    const parent = tracing.startSpan('parent');
    const child = tracing.startSpan('child', { parent, remote: REMOTE });
    child.fail(new Error('database down'));
    child.end();
    parent.end();
    const [c, p] = exporter.getFinishedSpans();
    expect(c.parentSpanContext?.spanId).toBe(p.spanContext().spanId);
    expect(c.spanContext().traceId).toBe(p.spanContext().traceId);
    expect(c.status).toEqual({ code: 2, message: 'Error' });
  });

  it('respects the publisher: a parent not sampled is not recorded, its trace still handed on', () => {
    const span = tracing.startSpan('process X', { remote: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00` } });
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(span.carrier?.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });
});

