import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { validateEmailDeliveryFailed } from '../../libs/contracts/src';
import { DeliveryWorker } from '../../apps/notifier/src/application/delivery.worker';
import { loadNotifierConfig, type NotifierConfig } from '../../apps/notifier/src/config/notifier.config';
import { NOTIFIER_CONSUMER } from '../../apps/notifier/src/notifier.tokens';
import { createNotifierApp, startNotifierApp } from '../../apps/notifier/src/notifier.app';
import { expectEventually } from '../support/expect-eventually';
import { ConsumerLagMonitor } from '../../libs/platform/src/kafka/consumer-lag.monitor';
import { KafkaAdminClient } from '../../libs/platform/src/kafka/kafka-admin.client';
import type { KafkaBatchTransport } from '../../libs/platform/src/kafka/kafka-batch.transport';
import { connectedProducer, createTestTopics, testKafka, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { badRequest, startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';
import { PROVIDERS_FILE, silentLogger, statusChanged } from './notifier.fixture';

/**
 * The notifier app as main.ts builds it (Nest, the Kafka batch transport, the real producer, the
 * SendGrid driver) against the real broker and database, with suite-private topics and schema.
 */
describe('notifier app (Kafka → ledger → SendGrid stub, failures → notifier DLQ topic)', () => {
  let stub: SendGridStub;
  let topics: TestTopics;
  let producer: Producer;
  let dlq: TopicCollector;
  let app: INestApplication | null = null;
  let config: NotifierConfig;
  let baseUrl: string;
  const schema = `notifier_t_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    stub = await startSendGridStub();
    topics = await createTestTopics('notifier');
    producer = await connectedProducer();
    dlq = await TopicCollector.start([topics.notifierDlq]);
    config = loadNotifierConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      ...testIdentity('notifier'),
      NOTIFIER_GROUP_ID: `notifier.test-${randomUUID().slice(0, 8)}`,
      TOPIC_ATTEMPT_EVENTS: topics.attemptEvents,
      TOPIC_NOTIFIER_DLQ: topics.notifierDlq,
      NOTIFIER_EVENT_SOURCE: 'urn:proctoring:notifier-test',
      NOTIFIER_CONSUMER_LAG_INTERVAL_MS: '1000',
      PROVIDERS_FILE,
      SENDGRID_API_KEY: 'SG.app-test-key',
      SENDGRID_BASE_URL: stub.baseUrl,
      SENDGRID_TIMEOUT_MS: '1000',
      NOTIFIER_POLL_INTERVAL_MS: '50',
      NOTIFIER_RETRY_BASE_MS: '20',
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    app = await createNotifierApp(config, silentLogger(), { schema, shutdownHooks: false });
    await startNotifierApp(app, config);
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await dlq?.stop();
    await producer?.disconnect();
    await stub?.stop();
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('emails qualifying events, skips the rest, and dead-letters a refused email without personal data', async () => {
    const good = statusChanged({ toStatus: 'verified' });
    const practice = statusChanged({ toStatus: 'verified', isSampleAttempt: true });
    const refused = statusChanged({ toStatus: 'rejected' });
    stub.respondWith((req) => (req.body?.custom_args?.event_id === refused.id ? badRequest('Invalid to address', 'personalizations.0.to') : undefined));

    await producer.send({
      topic: topics.attemptEvents,
      acks: -1,
      messages: [
        { key: good.data.userId, value: JSON.stringify(good) },
        { key: 'garbage', value: 'not an event' },
        { key: practice.data.userId, value: JSON.stringify(practice) },
        { key: refused.data.userId, value: JSON.stringify(refused) },
        { key: good.data.userId, value: JSON.stringify(good) }, // redelivered duplicate
      ],
    });

    await expectEventually(() => expect(stub.requestsFor(good.id)).toHaveLength(1), 30_000);
    const dead = await expectEventually(() => {
      const m = dlq.messages.find((x) => (x.json?.data as { eventId?: string } | undefined)?.eventId === refused.id);
      if (!m) throw new Error('not on the DLQ yet');
      return m;
    }, 30_000);
    expect(dead.key).toBe(refused.data.userId);
    expect(dead.headers).toEqual({
      'content-type': 'application/cloudevents+json',
      'dlq-reason': 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
      'dlq-failed-at': (dead.json?.data as { failedAt: string }).failedAt,
    });
    // A CloudEvent of the v1 contract, strictly: nothing undeclared, subject and causation tied to the data.
    expect(validateEmailDeliveryFailed(dead.json, { strict: true })).toMatchObject({ ok: true });
    expect(dead.json).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source: 'urn:proctoring:notifier-test',
      type: 'EmailDeliveryFailed',
      time: expect.any(String),
      datacontenttype: 'application/json',
      subject: refused.data.attemptId,
      causationid: refused.id,
      correlationid: refused.correlationid,
      data: {
        eventId: refused.id,
        attemptId: refused.data.attemptId,
        userId: refused.data.userId,
        reason: 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
        statusCode: 400,
        attempts: 1,
        failedAt: expect.any(String),
      },
    });
    expect(dead.json?.time).toBe((dead.json?.data as { failedAt: string }).failedAt);
    expect(dead.raw?.toString('utf8')).not.toContain('@');
    expect(dlq.messages).toHaveLength(1);
    expect(stub.requestsFor(practice.id)).toHaveLength(0);
    expect(stub.requestsFor(good.id)).toHaveLength(1);
  });

  it('serves liveness, readiness and Prometheus metrics', async () => {
    const live = await fetch(`${baseUrl}/health/live`);
    expect(live.status).toBe(200);
    await expect(live.json()).resolves.toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const ready = await fetch(`${baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
    await expect(ready.json()).resolves.toEqual({
      status: 'ok',
      info: expect.any(Object),
      error: {},
      details: {
        database: { status: 'up', responseTime: expect.any(Number) },
        consumer: { status: 'up', state: 'joined' },
        worker: { status: 'up', state: 'running' },
      },
    });

    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toMatch(/notifier_emails_total\{outcome="sent",service="notifier"\} [1-9]/);
    expect(text).toMatch(/notifier_emails_total\{outcome="failed_permanent",service="notifier"\} 1/);
    expect(text).toContain('notifier_email_send_duration_seconds_bucket');
    expect(text).toMatch(/notifier_ledger_backlog\{status="pending",service="notifier"\} 0/);
    expect(text).toMatch(/notifier_dlq_published_total\{service="notifier"\} 1/);
    expect(text).toMatch(/notifier_events_total\{result="unreadable",service="notifier"\} 1/);
    // the process metrics as the attempt-service exports them (libs/platform/src/metrics): standard names, labelled
    expect(text).toMatch(/^process_cpu_seconds_total\{service="notifier"\} [\d.e+-]+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{service="notifier"\} \d+$/m);
    expect(text).not.toMatch(/^notifier_(process|nodejs)_/m);
    expect(text).not.toContain('@');
  });

  it('reports consumer lag per partition of the attempt events topic on /metrics', async () => {
    const lagLines = async () =>
      (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n').filter((l) => l.startsWith('notifier_consumer_lag{'));
    // Everything produced so far has been consumed and committed: every partition reaches 0.
    const expected = [0, 1, 2].map((p) => `notifier_consumer_lag{topic="${topics.attemptEvents}",partition="${p}",service="notifier"} 0`);
    await expectEventually(async () => expect((await lagLines()).sort()).toEqual(expected), 30_000);

    // The same monitor for a group that never consumed: it lags by every message on the topic.
    const admin = new KafkaAdminClient(testKafka('lag-test'), silentLogger());
    const gauge = { values: new Map<string, number>(), set(l: { topic: string; partition: string }, v: number) { this.values.set(l.partition, v); } };
    try {
      const monitor = new ConsumerLagMonitor({
        admin,
        groupId: `never-consumed-${randomUUID()}`,
        topics: [topics.attemptEvents],
        gauge,
        logger: silentLogger(),
        intervalMs: 0,
      });
      const lags = await monitor.refresh();
      expect(lags.map((l) => l.partition)).toEqual([0, 1, 2]);
      expect(lags.reduce((n, l) => n + l.lag, 0)).toBe(5);
      expect([...gauge.values.values()].reduce((n, v) => n + v, 0)).toBe(5);
    } finally {
      await admin.close();
    }
  });

  // Last: it stops the worker (and restarts it), then stops the consumer for good.
  it('answers 503 naming the worker when the delivery worker stops, and the consumer when it stops', async () => {
    const readiness = async () => {
      const r = await fetch(`${baseUrl}/health/ready`);
      return { code: r.status, body: (await r.json()) as { status: string; error: Record<string, unknown> } };
    };
    const gauge = async (check: string) =>
      (await (await fetch(`${baseUrl}/metrics`)).text()).split('\n').find((l) => l.startsWith(`proctoring_ready{check="${check}",`));
    expect((await readiness()).code).toBe(200);

    const worker = app!.get(DeliveryWorker);
    await worker.stop();
    const withoutWorker = await readiness();
    expect(withoutWorker.code).toBe(503);
    expect(withoutWorker.body.status).toBe('error');
    expect(withoutWorker.body.error).toEqual({ worker: { status: 'down', state: 'stopped' } });
    expect(await gauge('worker')).toBe('proctoring_ready{check="worker",service="notifier"} 0');
    worker.start();
    await expectEventually(async () => expect((await readiness()).code).toBe(200));

    await app!.get<KafkaBatchTransport>(NOTIFIER_CONSUMER).close();
    const withoutConsumer = await readiness();
    expect(withoutConsumer.code).toBe(503);
    expect(withoutConsumer.body.error).toEqual({ consumer: { status: 'down', state: 'stopped' } });
    expect(await gauge('consumer')).toBe('proctoring_ready{check="consumer",service="notifier"} 0');
  });
});
