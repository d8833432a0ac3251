import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Client } from 'pg';
import { loadNotifierConfig } from '../../apps/notifier/src/config/notifier.config';
import { createNotifierApp, startNotifierApp } from '../../apps/notifier/src/notifier.app';
import { startTracing, type Tracing } from '../../libs/platform/src/tracing/tracing';
import { Harness } from '../attempt-service/attempt-service.harness';
import { PROVIDERS_FILE, silentLogger } from '../notifier/notifier.fixture';
import { createAttempt, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';

/**
 * Issue #22: one trace from a command to the learner's email, through the real broker, PostgreSQL,
 * the attempt-service (consumer, batch transaction, outbox, relay), the notifier (consumer, ledger,
 * delivery worker) and the real @sendgrid/mail client against the local SendGrid stub. Both services
 * export to one in-memory exporter (each with its own provider and `service.name`).
 */
describe('tracing: one trace from a command to the SendGrid send (CloudEvents distributed tracing)', () => {
  const exporter = new InMemorySpanExporter();
  let attemptTracing: Tracing;
  let notifierTracing: Tracing;
  let h: Harness;
  let stub: SendGridStub;
  let notifier: INestApplication | null = null;
  const schema = `notifier_t_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    attemptTracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'attempt-service', exporter });
    notifierTracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'notifier', exporter });
    h = await Harness.start('otel', { tracing: attemptTracing });
    stub = await startSendGridStub();
    const config = loadNotifierConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      ...testIdentity('notifier'),
      NOTIFIER_GROUP_ID: `notifier.test-${randomUUID().slice(0, 8)}`,
      TOPIC_ATTEMPT_EVENTS: h.topics.attemptEvents,
      TOPIC_NOTIFIER_DLQ: h.topics.notifierDlq,
      PROVIDERS_FILE,
      SENDGRID_API_KEY: 'SG.trace-test-key',
      SENDGRID_BASE_URL: stub.baseUrl,
      SENDGRID_TIMEOUT_MS: '2000',
      NOTIFIER_POLL_INTERVAL_MS: '50',
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    notifier = await createNotifierApp(config, silentLogger(), { schema, shutdownHooks: false, tracing: notifierTracing });
    await startNotifierApp(notifier, config);
  });

  afterAll(async () => {
    await notifier?.close();
    await h?.stop();
    await stub?.stop();
    await attemptTracing?.shutdown();
    await notifierTracing?.shutdown();
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('continues the command\'s traceparent: processing → outbox publish → notifier consume → SendGrid send', async () => {
    const examId = uniq('exam');
    const userId = uniq('user');
    await h.run(registerExam({ examId, courseId: uniq('course') }));
    const created = await h.run(createAttempt({ examId, userId }));
    expect(created.outcome.type).toBe('CommandProcessed');

    const traceId = randomBytes(16).toString('hex');
    const publisherSpanId = randomBytes(8).toString('hex');
    const submit = { ...updateStatus({ examId, userId, toStatus: 'submitted' }), traceparent: `00-${traceId}-${publisherSpanId}-01`, tracestate: 'lms=t61rcWkgMzE' };
    const { events } = await h.run(submit);
    const changed = events.find((e) => e.type === 'AttemptStatusChanged');
    expect(changed).toBeDefined();

    // the email went out through the real client, then its span ended
    await expectEventually(() => expect(stub.requests.filter((r) => r.body?.custom_args?.event_id === changed?.id)).toHaveLength(1), 30_000);
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const named = (name: string, pick: (s: ReadableSpan) => boolean = () => true) => {
      const found = inTrace().filter((s) => s.name === name && pick(s));
      if (found.length !== 1) throw new Error(`${found.length} spans named ${name} in the trace (${inTrace().map((s) => s.name).join(', ')})`);
      return found[0];
    };
    const sendSpan = await expectEventually(() => named('sendgrid send'), 30_000);

    // 1. the attempt-service's processing span: a child of the publisher's span, linked to its batch
    const processing = named('process UpdateAttemptStatus');
    expect(processing.kind).toBe(SpanKind.CONSUMER);
    expect(processing.parentSpanContext?.spanId).toBe(publisherSpanId);
    expect(processing.resource.attributes['service.name']).toBe('attempt-service');
    expect(processing.attributes).toMatchObject({ 'cloudevents.event_id': submit.id, 'proctoring.outcome': 'applied' });
    const batch = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === processing.links[0]?.context.spanId);
    expect(batch?.name).toBe('process command batch');

    // every event the command caused carries the trace: its creation context is the processing span
    const creation = `00-${traceId}-${processing.spanContext().spanId}-01`;
    expect(events.map((e) => [e.type, e.traceparent, e.tracestate])).toEqual(
      events.map((e) => [e.type, creation, 'lms=t61rcWkgMzE']),
    );

    // 2. the relay's publish span of the AttemptStatusChanged message: a child of the processing span
    const publish = named(`send ${h.topics.attemptEvents}`, (s) => s.attributes['cloudevents.event_type'] === 'AttemptStatusChanged');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.parentSpanContext?.spanId).toBe(processing.spanContext().spanId);
    // its context is the message's transport header, the value keeps the creation context
    const message = h.collector.messages.find((m) => m.json?.id === changed?.id);
    expect(message?.headers.traceparent).toBe(`00-${traceId}-${publish.spanContext().spanId}-01`);
    expect(message?.json?.traceparent).toBe(creation);

    // 3. the notifier's consume span: a child of the publish span, linked to the creation context
    const consume = named('process AttemptStatusChanged');
    expect(consume.kind).toBe(SpanKind.CONSUMER);
    expect(consume.resource.attributes['service.name']).toBe('notifier');
    expect(consume.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(consume.links.map((l) => l.context.spanId)).toEqual([processing.spanContext().spanId]);
    expect(consume.attributes).toMatchObject({ 'cloudevents.event_id': changed?.id, 'proctoring.notifier.result': 'recorded' });

    // 4. the SendGrid send: a child of the consume span (through the ledger row)
    expect(sendSpan.kind).toBe(SpanKind.CLIENT);
    expect(sendSpan.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
    expect(sendSpan.attributes).toMatchObject({ 'email.sender': 'sendgrid', 'cloudevents.event_id': changed?.id, 'proctoring.send_outcome': 'sent' });

    // one trace, in that order of parents, and nothing in it carries the learner's address
    for (const s of inTrace()) expect(JSON.stringify(s.attributes)).not.toContain('@learners.example.com');
  });

  it('starts a new trace for a command with a malformed traceparent, and still applies it', async () => {
    const examId = uniq('exam');
    const userId = uniq('user');
    await h.run(registerExam({ examId, courseId: uniq('course') }));
    const bad = { ...createAttempt({ examId, userId }), traceparent: '00-ZZZ-not-a-trace\r\ninjected: yes' };
    const { outcome, events } = await h.run(bad);
    expect(outcome.type).toBe('CommandProcessed');
    const span = await expectEventually(() => {
      const found = exporter.getFinishedSpans().find((s) => s.attributes['cloudevents.event_id'] === bad.id);
      if (!found) throw new Error('no span for the command yet');
      return found;
    });
    expect(span.parentSpanContext).toBeUndefined();
    for (const e of events) expect(e.traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });
});
