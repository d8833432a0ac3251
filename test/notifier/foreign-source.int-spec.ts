import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { validateEvent } from '../../libs/contracts/src';
import { createLogger } from '../../libs/platform/src/logging/logger';
import { loadNotifierConfig } from '../../apps/notifier/src/config/notifier.config';
import { createNotifierApp, startNotifierApp } from '../../apps/notifier/src/notifier.app';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, type TestTopics } from '../support/kafka-fixture';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';
import { PROVIDERS_FILE, statusChanged } from './notifier.fixture';

/**
 * SPEC §8.4: the events topic's ACLs are the control, and the notifier also ignores events whose
 * `source` is not the attempt-service's. A forged `AttemptStatusChanged` — valid by schema, from an
 * unknown source, to an outside address, with a phishing exam name — is written straight to the
 * events topic next to a genuine one: only the genuine one becomes an email (.eml file).
 */
describe('notifier: events from an untrusted source are ignored', () => {
  let topics: TestTopics;
  let producer: Producer;
  let app: INestApplication | null = null;
  let baseUrl: string;
  let outboxDir: string;
  const lines: string[] = [];
  const schema = `notifier_t_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    topics = await createTestTopics('notifier-source');
    producer = await connectedProducer();
    outboxDir = mkdtempSync(join(tmpdir(), 'notifier-source-'));
    const config = loadNotifierConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      ...testIdentity('notifier'),
      NOTIFIER_GROUP_ID: `notifier.test-${randomUUID().slice(0, 8)}`,
      TOPIC_ATTEMPT_EVENTS: topics.attemptEvents,
      TOPIC_NOTIFIER_DLQ: topics.notifierDlq,
      PROVIDERS_FILE,
      EMAIL_OUTBOX_DIR: outboxDir,
      NOTIFIER_POLL_INTERVAL_MS: '50',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
    });
    expect(config.trustedSources).toEqual(['urn:proctoring:attempt-service']);
    const capture = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
        done();
      },
    });
    app = await createNotifierApp(config, createLogger('notifier', 'info', capture), { schema, shutdownHooks: false });
    await startNotifierApp(app, config);
    const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
    baseUrl = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    rmSync(outboxDir, { recursive: true, force: true });
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('sends the genuine email, records nothing for the forged one, counts it and warns without its data', async () => {
    const forged = {
      ...statusChanged({
        toStatus: 'verified',
        email: 'victim@phish-target.example',
        examName: 'URGENT: verify your account at https://evil.example/login',
      }),
      source: 'urn:proctoring:attempt-service-totally-legit',
    };
    expect(validateEvent(forged, { strict: true })).toMatchObject({ ok: true });
    const genuine = statusChanged({ toStatus: 'verified' });

    await producer.send({
      topic: topics.attemptEvents,
      acks: -1,
      messages: [
        { key: forged.data.userId, value: JSON.stringify(forged) },
        { key: genuine.data.userId, value: JSON.stringify(genuine) },
      ],
    });

    // The genuine one is emailed; by then the forged one (earlier on the same partition or not) has
    // been consumed too: wait for the counter rather than for time.
    await expectEventually(() => expect(existsSync(join(outboxDir, `${genuine.id}.eml`))).toBe(true), 30_000);
    const metrics = await expectEventually(async () => {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      expect(text).toMatch(/notifier_events_total\{result="foreign_source",service="notifier"\} 1\b/);
      return text;
    }, 30_000);
    expect(metrics).toMatch(/notifier_events_total\{result="recorded",service="notifier"\} 1\b/);
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.eml'))).toEqual([`${genuine.id}.eml`]);
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT event_id FROM "${schema}".email_delivery`);
      expect(rows.map((r: { event_id: string }) => r.event_id)).toEqual([genuine.id]);
    } finally {
      await client.end();
    }

    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => /untrusted source/.test(String(l.msg)));
    expect(warning).toMatchObject({ level: 40, foreignSource: 1, foreignSources: ['urn:proctoring:attempt-service-totally-legit'] });
    const all = lines.join('\n');
    expect(all).not.toContain('phish-target');
    expect(all).not.toContain('evil.example');
  });
});
