import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingSettings } from '../config/tracing.config';

/*
 * Distributed tracing (OpenTelemetry), behind one small interface so that the services never touch
 * the SDK and cost nothing when tracing is off:
 *
 * - off (no OTEL_EXPORTER_OTLP_ENDPOINT): no SDK is loaded or started. `startSpan` creates no span;
 *   it only hands on the parent's trace context, so a publisher's `traceparent` still reaches the
 *   events the command causes unchanged (and a command without one causes events without one).
 * - on: an SDK TracerProvider (ParentBased(AlwaysOn) sampler: a publisher's sampled flag decides)
 *   with a batching OTLP/HTTP exporter; every span is real and its context is what is handed on.
 *
 * Contexts travel as W3C `traceparent` / `tracestate` strings (`TraceCarrier`), validated by the
 * callers (libs/contracts `readTraceContext`) before they get here. Parents are always explicit: no
 * context manager, no global provider, so two services in one process (tests) never mix spans.
 */

/** A W3C trace context as strings: what commands, events, outbox rows and ledger rows carry. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** What a span's parent is: another span of this process, a remote context, or nothing (a new trace). */
export interface StartSpanOptions {
  kind?: SpanKind;
  /** A span of this process (wins over `remote`). */
  parent?: TraceSpan;
  /** A remote parent: a validated traceparent (and tracestate). */
  remote?: TraceCarrier;
  /** Spans this one is linked to (not parents): e.g. a command's span to the batch it was applied in. */
  links?: readonly TraceSpan[];
  /** A remote context linked to (e.g. an event's creation context when the transport context is the parent). */
  remoteLinks?: readonly TraceCarrier[];
  attributes?: Attributes;
}

/** One unit of work in a trace. With tracing off: a stand-in that only carries the parent's context on. */
export interface TraceSpan {
  /** The context to hand on (into events, outbox rows, ledger rows), or undefined when there is none. */
  readonly carrier: TraceCarrier | undefined;
  setAttributes(attributes: Attributes): void;
  /** Marks the span failed (the error's name and message; callers never pass personal data). */
  fail(error: unknown): void;
  end(): void;
}

export interface Tracing {
  /** True when spans are recorded and exported. */
  readonly enabled: boolean;
  startSpan(name: string, options?: StartSpanOptions): TraceSpan;
  /** Exports what is buffered (tests, shutdown). */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

export { SpanKind };

const propagator = new W3CTraceContextPropagator();

const getter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined),
};

const setter: TextMapSetter<TraceCarrier> = {
  set: (carrier, key, value) => {
    if (key === 'traceparent') carrier.traceparent = value;
    else if (key === 'tracestate') carrier.tracestate = value;
  },
};

/** The span context of a carrier (remote), or undefined when it carries no valid one. */
function remoteContext(carrier: TraceCarrier | undefined): Context | undefined {
  if (carrier?.traceparent === undefined) return undefined;
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, getter);
  return trace.getSpanContext(ctx) === undefined ? undefined : ctx;
}

function carrierOf(span: Span): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
  return carrier.traceparent === undefined ? undefined : carrier;
}

// ---- off ---------------------------------------------------------------------------------------

class PassThroughSpan implements TraceSpan {
  constructor(readonly carrier: TraceCarrier | undefined) {}
  setAttributes(): void {}
  fail(): void {}
  end(): void {}
}

const NO_CONTEXT = new PassThroughSpan(undefined);

/** Tracing off: no SDK, no spans; the parent's context is handed on as it came. */
export const NO_TRACING: Tracing = {
  enabled: false,
  startSpan: (_name, options = {}) => {
    const carrier = options.parent ? options.parent.carrier : options.remote;
    return carrier?.traceparent === undefined ? NO_CONTEXT : new PassThroughSpan(carrier);
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

// ---- on ----------------------------------------------------------------------------------------

class RecordedSpan implements TraceSpan {
  private handedOn: TraceCarrier | undefined | null = null;

  constructor(readonly span: Span) {}

  get carrier(): TraceCarrier | undefined {
    if (this.handedOn === null) this.handedOn = carrierOf(this.span);
    return this.handedOn;
  }

  get context(): SpanContext {
    return this.span.spanContext();
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  fail(error: unknown): void {
    const name = error instanceof Error ? error.name : 'Error';
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: typeof error === 'string' ? error : name });
    if (error instanceof Error) this.span.recordException({ name: error.name, message: error.message });
  }

  end(): void {
    this.span.end();
  }
}

/** Tracing with a tracer of an SDK provider (`shutdown` stops that provider). */
export class SdkTracing implements Tracing {
  readonly enabled = true;

  constructor(
    private readonly tracer: Tracer,
    private readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> },
  ) {}

  startSpan(name: string, options: StartSpanOptions = {}): TraceSpan {
    const parent =
      options.parent instanceof RecordedSpan ? trace.setSpan(ROOT_CONTEXT, options.parent.span) : remoteContext(options.parent?.carrier ?? options.remote);
    const links = [
      ...(options.links ?? []).flatMap((l) => (l instanceof RecordedSpan ? [{ context: l.context }] : [])),
      ...(options.remoteLinks ?? []).flatMap((c) => {
        const ctx = remoteContext(c);
        const sc = ctx && trace.getSpanContext(ctx);
        return sc ? [{ context: sc }] : [];
      }),
    ];
    const span = this.tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links }, parent ?? ROOT_CONTEXT);
    return new RecordedSpan(span);
  }

  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

export interface StartTracingOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** Exports to this exporter instead of OTLP (tests: an InMemorySpanExporter), spans one by one. */
  exporter?: SpanExporter;
}

/** The instrumentation scope of the project's spans. */
export const TRACER_NAME = 'proctoring-attempts';

/**
 * Tracing as configured: off (NO_TRACING, nothing loaded) unless an OTLP endpoint is configured
 * (TracingSettings) or an exporter is given. The SDK and the exporter are loaded here, only when
 * tracing is on. The URL comes from the validated settings; the exporter reads the other standard
 * OTEL_EXPORTER_OTLP_* variables itself (headers, certificates, timeout, compression).
 */
export async function startTracing(settings: TracingSettings, options: StartTracingOptions): Promise<Tracing> {
  if (settings.otlpTracesUrl === null && options.exporter === undefined) return NO_TRACING;
  const sdk = load<typeof import('@opentelemetry/sdk-trace')>('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = load<typeof import('@opentelemetry/resources')>('@opentelemetry/resources');
  let processor;
  if (options.exporter) processor = new sdk.SimpleSpanProcessor({ exporter: options.exporter });
  else {
    const { OTLPTraceExporter } = load<typeof import('@opentelemetry/exporter-trace-otlp-http')>('@opentelemetry/exporter-trace-otlp-http');
    processor = new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.otlpTracesUrl ?? undefined }) });
  }
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [processor],
  });
  return new SdkTracing(provider.getTracer(TRACER_NAME), provider);
}

/**
 * Loads a package only when tracing is on. A CommonJS `require`, not `import()`: the build is CommonJS
 * (these packages publish CommonJS), and under TypeScript's node16+ module setting `import()` stays a
 * native dynamic import, which jest's CommonJS runtime refuses.
 */
function load<T>(name: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  return require(name) as T;
}
