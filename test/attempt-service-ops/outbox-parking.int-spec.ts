import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Admin, type Producer } from 'kafkajs';
import { validateEvent } from '../../libs/contracts/src';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, grantAttemptServiceWrite, testKafka, TopicCollector, type CollectedMessage, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, getJson, opsEnv, removeCompiledCli, runCli, startOpsService, type OpsService } from './ops.support';

/**
 * SPEC §8.5, the outbox relay never stalls on one row: against the real broker and database, a row
 * the broker refuses as too large is parked and replaced by an EventDropped marker (same id, key and
 * sequence) while the rows around it are published in order; a missing topic is retried, not parked.
 */
/** GET /health/ready's body (terminus's shape): what is down, under `error`. */
type ReadyBody = { status: string; error: Record<string, { status: string; message?: string }> };

describe('attempt-service: the outbox relay never stalls on one row', () => {
  const LIMIT = 20_000;
  let topics: TestTopics;
  let admin: Admin;
  let producer: Producer;
  let service: OpsService | null = null;
  const collectors: TopicCollector[] = [];
  /** Topics this suite writes outbox rows for directly. */
  const suiteTopics: string[] = [];

  /** A topic of this suite whose broker limit is LIMIT bytes per record batch. */
  async function smallTopic(name: string): Promise<string> {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: name, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] }],
    });
    await grantAttemptServiceWrite(admin, name);
    return name;
  }

  async function collect(topic: string): Promise<TopicCollector> {
    const c = await TopicCollector.start([topic]);
    collectors.push(c);
    return c;
  }

  /** Outbox rows written as the service writes them (CloudEvents JSON, `ce-type`), in one statement. */
  async function insertEvents(topic: string, key: string, sizes: number[]): Promise<{ ids: string[]; eventIds: string[] }> {
    suiteTopics.push(topic);
    const eventIds = sizes.map(() => randomUUID());
    const values = sizes.map((size, i) =>
      Buffer.from(
        JSON.stringify({
          specversion: '1.0',
          id: eventIds[i],
          source: 'urn:proctoring:attempt-service',
          type: 'CommandProcessed',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          causationid: `cmd-${i}`,
          correlationid: `corr-${i}`,
          sequence: String(i + 1),
          data: { commandId: `cmd-${i}`, commandType: 'RegisterExam', outcome: 'applied', padding: 'p'.repeat(size) },
        }),
      ),
    );
    // as the batch writes them: the outbox row and its pending row
    const { rows } = await db().query<{ id: string }>(
      `WITH w AS (
         INSERT INTO attempts.outbox_message (event_id, topic, key, value, headers)
         SELECT e, $2, $3, v, '{"content-type":"application/cloudevents+json","ce-type":"CommandProcessed"}'::jsonb
           FROM unnest($1::text[], $4::bytea[]) WITH ORDINALITY AS t(e, v, n) ORDER BY n
         RETURNING id),
       p AS (INSERT INTO attempts.outbox_pending (id) SELECT id FROM w)
       SELECT id FROM w`,
      [eventIds, topic, key, values],
    );
    await db().query(`NOTIFY attempts_outbox`);
    return { ids: rows.map((r) => r.id).sort((a, b) => Number(a) - Number(b)), eventIds };
  }

  const outboxRow = async (id: string) =>
    (
      await db().query<{ published: boolean; parked_at: Date | null; parked_reason: string | null }>(
        `SELECT NOT EXISTS (SELECT 1 FROM attempts.outbox_pending p WHERE p.id = m.id) AS published, parked_at, parked_reason
           FROM attempts.outbox_message m WHERE id = $1`,
        [id],
      )
    ).rows[0];

  /** The value of one series on /metrics (labels matched as a subset: the registry adds `service`). */
  const metric = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
    }
    return undefined;
  };

  const keyed = (c: TopicCollector, key: string): CollectedMessage[] => c.messages.filter((m) => m.key === key);

  beforeAll(async () => {
    topics = await createTestTopics('ops-parking');
    admin = testKafka('test-admin').admin();
    await admin.connect();
    producer = await connectedProducer();
  });

  afterAll(async () => {
    await service?.stop();
    // a failed test must not leave parked or blocked rows to the next suite's readiness and relay
    const left = [...suiteTopics, ...(topics ? [topics.commandsDlq] : [])];
    await db().query(
      `DELETE FROM attempts.outbox_pending p USING attempts.outbox_message m WHERE m.id = p.id AND m.topic = ANY($1::text[])`,
      [left],
    );
    await db().query(`DELETE FROM attempts.outbox_message WHERE parked_at IS NOT NULL AND topic = ANY($1::text[])`, [left]);
    for (const c of collectors) await c.stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await closeDb();
    removeCompiledCli();
  });

  it('parks a row the broker refuses, publishes an EventDropped in its place and the rows around it in order; readiness, metrics and the CLI see it', async () => {
    const small = await smallTopic(`proctoring.test.parking.${randomUUID().slice(0, 8)}`);
    const events = await collect(small);
    service = await startOpsService(topics, { HEALTH_KAFKA_CACHE_MS: '0' });
    const ready = `${service.url}/health/ready`;
    await expectEventually(async () => expect((await getJson(ready)).status).toBe(200), 30_000, 200);

    const key = 'learner.parked@example.com';
    const { ids, eventIds } = await insertEvents(small, key, [100, 100, LIMIT + 5_000, 100, 100]);

    const seen = await expectEventually(() => {
      const got = keyed(events, key);
      if (got.length < 5) throw new Error(`${got.length} of 5 published`);
      return got;
    }, 30_000);
    const json = seen.map((m) => m.json as Record<string, any>);
    // in order, one partition (one key), the refused row replaced by its marker
    expect(json.map((e) => e.id)).toEqual(eventIds);
    expect(json.map((e) => e.type)).toEqual(['CommandProcessed', 'CommandProcessed', 'EventDropped', 'CommandProcessed', 'CommandProcessed']);
    expect(new Set(seen.map((m) => m.partition)).size).toBe(1);
    const marker = json[2];
    expect(marker).toMatchObject({
      id: eventIds[2],
      source: 'urn:proctoring:attempt-service',
      sequence: '3',
      causationid: 'cmd-2',
      correlationid: 'corr-2',
      data: { droppedType: 'CommandProcessed', reason: 'too large', topic: small },
    });
    expect(marker.data.sizeBytes).toBeGreaterThan(LIMIT);
    expect(seen[2].headers['ce-type']).toBe('EventDropped');
    expect(validateEvent(marker, { strict: true })).toMatchObject({ ok: true });
    expect(seen[2].raw!.toString()).not.toContain('example.com');

    // the row is kept for an operator: published (its marker holds its place), parked, not purged
    expect(await outboxRow(ids[2])).toMatchObject({ published: true, parked_at: expect.any(Date), parked_reason: expect.stringMatching(/^too large: MESSAGE_TOO_LARGE/) });
    for (const id of [ids[0], ids[1], ids[3], ids[4]]) expect(await outboxRow(id)).toMatchObject({ published: true, parked_at: null });

    const degraded = await expectEventually(async () => {
      const r = await getJson(ready);
      expect(r.status).toBe(503);
      return r.body as ReadyBody;
    }, 10_000, 200);
    expect(degraded.error).toEqual({ outbox: { status: 'down', message: '1 parked row' } });

    const metrics = (await getJson(`${service.url}/metrics`)).body as string;
    expect(metric(metrics, 'proctoring_outbox_parked_total', { topic: small })).toBe(1);
    expect(metric(metrics, 'proctoring_outbox_parked')).toBe(1);

    const env = opsEnv(topics);
    const list = await runCli(['outbox', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.lines[0]).toBe('1 parked row(s)');
    expect(list.lines[1]).toMatch(
      new RegExp(`^${ids[2]} topic=${small.replace(/\./g, '\\.')} key=\\[email\\] type=CommandProcessed size=\\d+ event=${eventIds[2]} parked=\\S+Z reason="too large: MESSAGE_TOO_LARGE, \\d+ bytes"$`),
    );
    expect(list.stdout + list.stderr).not.toContain('example.com');

    const notParked = await runCli(['outbox', 'drop', '--id', ids[0]], env);
    expect(notParked.code).toBe(1);
    expect(notParked.stderr).toContain(`Outbox row ${ids[0]} is not parked`);

    const drop = await runCli(['outbox', 'drop', '--id', ids[2]], env);
    expect(drop.code).toBe(0);
    expect(drop.lines).toEqual([expect.stringMatching(new RegExp(`^dropped ${ids[2]} topic=`)), 'Dropped 1 parked row(s)']);
    expect(await outboxRow(ids[2])).toBeUndefined();
    await expectEventually(async () => expect((await getJson(ready)).status).toBe(200), 10_000, 200);
    expect((await runCli(['outbox', 'list'], env)).lines).toEqual(['No parked outbox rows']);
  });

  it('parks a dead letter the DLQ topic refuses (the incident): the DLQ gets the marker, the commands behind it still get their outcomes', async () => {
    // the suite's commands DLQ gets a limit below a dead letter of 30 kB (the service caps its copies at 512 KiB)
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.commandsDlq, configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] }],
    });
    const dlq = await collect(topics.commandsDlq);
    const outcomes = await collect(topics.attemptEvents);
    const key = `dlq-user-${randomUUID().slice(0, 8)}`;
    const after = { specversion: '1.0', id: randomUUID(), source: 'lms', type: 'RegisterExam', data: {} };
    await producer.send({
      topic: topics.commands,
      messages: [
        { key, value: `not json ${'z'.repeat(30_000)}` },
        { key, value: 'short and not json' },
        { key, value: JSON.stringify(after) },
      ],
    });
    const dead = await expectEventually(() => {
      const got = keyed(dlq, key);
      if (got.length < 2) throw new Error(`${got.length} of 2 on the DLQ`);
      return got;
    }, 60_000);
    expect(dead[0].headers['ce-type']).toBe('EventDropped');
    expect(dead[0].json).toMatchObject({ type: 'EventDropped', source: 'urn:proctoring:attempt-service', data: { droppedType: 'UnreadableCommand', reason: 'too large', topic: topics.commandsDlq } });
    expect(dead[0].json).not.toHaveProperty('sequence');
    expect(validateEvent(dead[0].json, { strict: true })).toMatchObject({ ok: true });
    expect(dead[1].raw?.toString()).toBe('short and not json');
    await outcomes.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === after.id, 30_000);
    const { rows } = await db().query<{ id: string; event_id: string }>(
      `SELECT id, event_id FROM attempts.outbox_message WHERE parked_at IS NOT NULL AND topic = $1`,
      [topics.commandsDlq],
    );
    expect(rows.map((r) => r.event_id)).toEqual([dead[0].json!.id]);

    const drop = await runCli(['outbox', 'drop', '--all'], opsEnv(topics));
    expect(drop.code).toBe(0);
    expect(drop.lines[drop.lines.length - 1]).toBe('Dropped 1 parked row(s)');
  });

  it('retries a missing topic without parking anything: readiness says the relay is blocked, and everything is published once the topic exists', async () => {
    // the same consumer group: a new one would consume the suite's commands again (and dead-letter them again)
    const groupId = service!.runtime.config.groupId;
    await service?.stop();
    service = await startOpsService(topics, { HEALTH_KAFKA_CACHE_MS: '0', OUTBOX_READY_MAX_AGE_MS: '5000', ATTEMPT_SERVICE_GROUP_ID: groupId });
    const ready = `${service.url}/health/ready`;
    await expectEventually(async () => expect((await getJson(ready)).status).toBe(200), 30_000, 200);

    const missing = `proctoring.test.missing.${randomUUID().slice(0, 8)}`;
    // Granted before it exists, as a deployment grants the service its topics: without a grant the
    // broker answers TOPIC_AUTHORIZATION_FAILED instead (also retried, never parked).
    await grantAttemptServiceWrite(admin, missing);
    const other = await smallTopic(`proctoring.test.after-missing.${randomUUID().slice(0, 8)}`);
    const key = `u-${randomUUID().slice(0, 8)}`;
    const first = await insertEvents(missing, key, [10, 10]);
    const second = await insertEvents(other, key, [10]);

    // kafkajs reports a missing topic once its producer's retries are spent (about 30 s)
    const blocked = await expectEventually(async () => {
      const r = await getJson(ready);
      const body = r.body as ReadyBody;
      expect(r.status).toBe(503);
      expect(body.error.outbox?.message).toContain(`relay blocked: ${missing}: topic does not exist (UNKNOWN_TOPIC_OR_PARTITION)`);
      return body;
    }, 90_000, 500);
    expect(Object.keys(blocked.error)).toEqual(['outbox']);
    expect(blocked.error.outbox?.message).toMatch(/oldest unpublished row is \d+ s old \(limit 5 s\)/);
    expect(metric((await getJson(`${service.url}/metrics`)).body as string, 'proctoring_outbox_relay_blocked', { reason: 'topic_missing' })).toBe(1);
    for (const id of [...first.ids, ...second.ids]) expect(await outboxRow(id)).toMatchObject({ published: false, parked_at: null });

    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: missing, numPartitions: 3, replicationFactor: 1 }] });
    const late = await collect(missing);
    const behind = await collect(other);
    await expectEventually(() => {
      expect(keyed(late, key).map((m) => (m.json as { id: string }).id)).toEqual(first.eventIds);
      expect(keyed(behind, key).map((m) => (m.json as { id: string }).id)).toEqual(second.eventIds);
    }, 90_000, 500);
    for (const id of [...first.ids, ...second.ids]) expect(await outboxRow(id)).toMatchObject({ published: true, parked_at: null });
    await expectEventually(async () => expect((await getJson(ready)).status).toBe(200), 20_000, 200);
    expect(metric((await getJson(`${service.url}/metrics`)).body as string, 'proctoring_outbox_relay_blocked', { reason: 'topic_missing' })).toBe(0);
  });
});
