import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { BridgeMetrics } from '../../apps/openedx-bridge/src/application/bridge.metrics';
import { ceIdFor, pythonIsoformat } from '../../apps/openedx-bridge/src/openedx/event-bus-headers';
import {
  keySubject,
  OPENEDX_EXAM_EVENTS,
  OPENEDX_EXAM_EVENT_TYPES,
  valueSubject,
  type ExamAttemptData,
  type OpenEdxExamEvent,
  type UserData,
} from '../../apps/openedx-bridge/src/openedx/exam-attempt.schema';
import { EVENT_EXAMPLES } from '../../libs/contracts/src/message.examples';
import { command, createAttempt, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { FaultProxy } from '../support/fault-proxy';
import { TEST_SCHEMA_REGISTRY_PORT, TEST_SCHEMA_REGISTRY_URL } from '../support/test-env';
import { Harness, type SeenEvent } from '../attempt-service/attempt-service.harness';
import {
  bridgeEnv,
  createOpenEdxTopic,
  freshRegistry,
  librdkafkaPartition,
  OpenEdxCollector,
  startBridge,
  type OpenEdxMessage,
} from './openedx-bridge.fixture';

/**
 * The Open edX event bus bridge on the real pipeline (issue #16): commands → attempt-service → our
 * events topic → bridge → the Open edX topic, decoded back through the real schema registry with
 * @kafkajs/confluent-schema-registry, as an Open edX consumer would.
 */
describe('Open edX event bus bridge', () => {
  let h: Harness;
  let bridge: INestApplication;
  let collector: OpenEdxCollector;
  let topic: string;
  let schema: string;
  const run = uniq('oe').slice(3);
  const course = `course-v1:TestX+Bridge${run}+2026`;
  const block = (name: string) => `block-v1:TestX+Bridge${run}+2026+type@sequential+block@${name}`;
  const staff: UserData = {
    id: 3,
    is_active: true,
    pii: { username: 'staff', email: 'staff@example.com', name: 'Course Staff' },
  };
  const userA = String(100_000 + Math.floor(Math.random() * 800_000));
  const userB = String(Number(userA) + 1);
  const userC = String(Number(userA) + 2);

  beforeAll(async () => {
    h = await Harness.start('openedx');
    const t = await createOpenEdxTopic(3);
    topic = t.topic;
    collector = await OpenEdxCollector.start(topic);
    schema = `openedx_bridge_${t.prefix}`;
    ({ app: bridge } = await startBridge(
      bridgeEnv(h.topics, t.prefix, {
        OPENEDX_RESET_REQUESTING_USER_ID: String(staff.id),
        OPENEDX_RESET_REQUESTING_USER_USERNAME: staff.pii.username,
        OPENEDX_RESET_REQUESTING_USER_EMAIL: staff.pii.email,
        OPENEDX_RESET_REQUESTING_USER_NAME: staff.pii.name,
      }),
    ));
  });

  afterAll(async () => {
    await bridge?.close();
    await collector?.stop();
    await h?.stop();
  });

  const student = (userId: string): UserData => ({
    id: Number(userId),
    is_active: true,
    pii: { username: `name-${userId}`, email: `${userId}@learners.example.com`, name: '' },
  });
  const changeTo = async (attemptId: string, toStatus: string): Promise<SeenEvent> => {
    const r = await h.run(updateStatus({ attemptId, toStatus }));
    expect(r.outcome.type).toBe('CommandProcessed');
    const e = r.events.find((x) => x.type === 'AttemptStatusChanged' && x.data.attemptId === attemptId);
    if (!e) throw new Error(`no AttemptStatusChanged to ${toStatus}`);
    return e;
  };
  const messageWith = (ceId: string): Promise<OpenEdxMessage> =>
    expectEventually(() => {
      const m = collector.messages.find((x) => x.headers.ce_id === ceId);
      if (!m) throw new Error(`no message with ce_id ${ceId} yet`);
      return m;
    }, 30_000);

  it('produces the five events in event-bus-kafka wire format, decoded through the registry to the expected ExamAttemptData', async () => {
    const proctored = uniq('exam');
    const practice = uniq('exam');
    await h.run(registerExam({ examId: proctored, courseId: course, contentId: block('final') }));
    await h.run(
      registerExam({
        examId: practice,
        courseId: course,
        contentId: block('practice'),
        isPracticeExam: true,
        isProctored: false,
      }),
    );

    // Learner A: submitted, verified, rejected, then the attempt is removed (reset).
    const a = (await h.run(createAttempt({ examId: proctored, userId: userA }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    const attemptA = String(a?.data.attemptId);
    await changeTo(attemptA, 'started');
    const submitted = await changeTo(attemptA, 'submitted');
    const verified = await changeTo(attemptA, 'verified');
    const rejected = await changeTo(attemptA, 'rejected');
    const removal = await h.run(command('RemoveAttempt', { attemptId: attemptA }));
    const reset = removal.events.find((e) => e.type === 'AttemptRemoved');
    if (!reset) throw new Error('no AttemptRemoved');
    // Learner B: the practice exam errors.
    const b = (await h.run(createAttempt({ examId: practice, userId: userB }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    await changeTo(String(b?.data.attemptId), 'started');
    const errored = await changeTo(String(b?.data.attemptId), 'error');

    const expected: { source: SeenEvent; event: OpenEdxExamEvent; data: ExamAttemptData }[] = [
      { source: submitted, event: 'submitted', data: examData(userA, 'final', 'proctored', student(userA)) },
      { source: verified, event: 'verified', data: examData(userA, 'final', 'proctored', null) },
      { source: rejected, event: 'rejected', data: examData(userA, 'final', 'proctored', null) },
      { source: reset, event: 'reset', data: examData(userA, 'final', 'proctored', staff) },
      { source: errored, event: 'errored', data: examData(userB, 'practice', 'practice', null) },
    ];
    const registry = freshRegistry();
    const seen: OpenEdxMessage[] = [];
    for (const x of expected) {
      const m = await messageWith(ceIdFor(x.source.id, x.event));
      seen.push(m);
      // The value: Confluent framing, a schema the registry serves, decoding to the expected data.
      expect(m.value[0]).toBe(0);
      expect(await registry.decode(m.value)).toEqual({ exam_attempt: x.data });
      // The key: the course key, Avro string with Confluent framing; placed as librdkafka would place it.
      expect(m.key[0]).toBe(0);
      expect(await registry.decode(m.key)).toBe(course);
      expect(m.partition).toBe(librdkafkaPartition(m.key, 3));
      // The headers event-bus-kafka writes.
      expect(m.headers).toEqual({
        ce_specversion: '1.0',
        'content-type': 'application/avro',
        ce_datacontenttype: 'application/avro',
        ce_type: OPENEDX_EXAM_EVENT_TYPES[x.event],
        ce_id: ceIdFor(x.source.id, x.event),
        ce_source: 'openedx/proctoring-attempts/web',
        ce_time: pythonIsoformat(x.source.time),
        ce_minorversion: '0',
        sourcehost: hostname(),
        sourcelib: '11.2.0',
      });
      expect(m.headers.ce_id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    // Learner A's events keep their order (one key, one partition).
    const aOffsets = seen.slice(0, 4).map((m) => BigInt(m.offset));
    expect([...aOffsets].sort((p, q) => (p < q ? -1 : 1))).toEqual(aOffsets);
    expect(new Set(seen.slice(0, 4).map((m) => m.partition)).size).toBe(1);

    // Subjects as event-bus-kafka names them (TopicRecordNameStrategy); the registry's level is FORWARD.
    const subjects = (await (await fetch(`${TEST_SCHEMA_REGISTRY_URL}/subjects`)).json()) as string[];
    expect(subjects).toEqual(
      expect.arrayContaining([keySubject(topic), ...OPENEDX_EXAM_EVENTS.map((e) => valueSubject(topic, e))]),
    );
    const config = (await (await fetch(`${TEST_SCHEMA_REGISTRY_URL}/config`)).json()) as {
      compatibilityLevel: string;
    };
    expect(config.compatibilityLevel).toBe('FORWARD');
  });

  it('answers /health in the services\' terminus shape and exports proctoring_ready', async () => {
    const { port } = (bridge.getHttpServer() as { address(): AddressInfo }).address();
    const base = `http://127.0.0.1:${port}`;
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    await expect(ready.json()).resolves.toEqual({
      status: 'ok',
      info: expect.any(Object),
      error: {},
      details: { database: { status: 'up', responseTime: expect.any(Number) }, consumer: { status: 'up', state: 'joined' } },
    });
    await expect((await fetch(`${base}/health/live`)).json()).resolves.toEqual({ status: 'ok', info: {}, error: {}, details: {} });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('proctoring_ready{check="consumer",service="openedx-bridge"} 1');
    expect(metrics).toContain('proctoring_ready{check="database",service="openedx-bridge"} 1');
  });

  it('counts and skips ids the LMS cannot read, with a reason, and goes on', async () => {
    const metrics = bridge.get(BridgeMetrics);
    const skipped = async (reason: string): Promise<number> =>
      (await metrics.skipped.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    const before = {
      user: await skipped('user_id_not_numeric'),
      course: await skipped('course_id_not_opaque_key'),
      unreadable: await skipped('unreadable_event'),
      foreign: await skipped('foreign_source'),
    };
    // On our events topic (as admin): garbage, an event type newer than this build (ignored, not
    // counted), and a valid event from a source that is not the attempt-service.
    const forged = {
      ...EVENT_EXAMPLES.AttemptStatusChanged,
      id: uniq('forged'),
      source: 'urn:evil',
      data: { ...EVENT_EXAMPLES.AttemptStatusChanged.data, userId: userC },
    };
    await h.producer.send({
      topic: h.topics.attemptEvents,
      acks: -1,
      messages: [
        { key: userC, value: 'not json' },
        {
          key: userC,
          value: JSON.stringify({
            ...forged,
            id: uniq('newer'),
            source: 'urn:proctoring:attempt-service',
            type: 'AttemptTeleported',
          }),
        },
        { key: userC, value: JSON.stringify(forged) },
      ],
    });
    const exam = uniq('exam');
    const opaque = uniq('exam');
    await h.run(registerExam({ examId: exam, courseId: `demo-course-${run}`, contentId: `final-${run}` }));
    await h.run(registerExam({ examId: opaque, courseId: course, contentId: block('midterm') }));
    // Not an LMS user id; a course id that is not a course key.
    const alice = (await h.run(createAttempt({ examId: opaque, userId: `alice-${run}` }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    await changeTo(String(alice?.data.attemptId), 'started');
    await changeTo(String(alice?.data.attemptId), 'submitted');
    const c = (await h.run(createAttempt({ examId: exam, userId: userC }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    await changeTo(String(c?.data.attemptId), 'started');
    await changeTo(String(c?.data.attemptId), 'submitted');
    // Then a learner the LMS knows: bridged, so nothing stalled behind the skipped ones.
    const d = (await h.run(createAttempt({ examId: opaque, userId: userC }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    await changeTo(String(d?.data.attemptId), 'started');
    const ok = await changeTo(String(d?.data.attemptId), 'submitted');
    const m = await messageWith(ceIdFor(ok.id, 'submitted'));
    expect(await freshRegistry().decode(m.value)).toEqual({
      exam_attempt: examData(userC, 'midterm', 'proctored', student(userC)),
    });
    await expectEventually(async () => {
      expect(await skipped('user_id_not_numeric')).toBe(before.user + 1);
      expect(await skipped('course_id_not_opaque_key')).toBe(before.course + 1);
      expect(await skipped('unreadable_event')).toBe(before.unreadable + 1);
      expect(await skipped('foreign_source')).toBe(before.foreign + 1);
    });
    expect(
      collector.messages.filter(
        (x) =>
          x.headers.ce_type === OPENEDX_EXAM_EVENT_TYPES.submitted && x.key.includes(`demo-course-${run}`),
      ),
    ).toEqual([]);
  });

  it('keeps what a reset needs in its own snapshot, scrubbed when the learner is retired', async () => {
    const exam = uniq('exam');
    await h.run(registerExam({ examId: exam, courseId: course, contentId: block('retire') }));
    const userR = String(Number(userA) + 3);
    const created = (await h.run(createAttempt({ examId: exam, userId: userR }))).events.find(
      (e) => e.type === 'AttemptCreated',
    );
    const attemptId = String(created?.data.attemptId);
    const snapshot = async (): Promise<Record<string, unknown> | undefined> =>
      (
        await h.db.query<Record<string, unknown>>(
          `SELECT username, email, version FROM ${schema}.attempt_snapshot WHERE attempt_id = $1`,
          [attemptId],
        )
      ).rows[0];
    await expectEventually(async () =>
      expect(await snapshot()).toEqual({
        username: `name-${userR}`,
        email: `${userR}@learners.example.com`,
        version: 1,
      }),
    );
    expect((await h.run(command('RetireLearner', { userId: userR }))).outcome.type).toBe('CommandProcessed');
    await expectEventually(async () =>
      expect(await snapshot()).toMatchObject({ username: 'retired_user', email: 'retired@invalid' }),
    );
    const reset = (await h.run(command('RemoveAttempt', { attemptId }))).events.find(
      (e) => e.type === 'AttemptRemoved',
    );
    const m = await messageWith(ceIdFor(String(reset?.id), 'reset'));
    expect(await freshRegistry().decode(m.value)).toEqual({
      exam_attempt: {
        ...examData(userR, 'retire', 'proctored', staff),
        student_user: {
          id: Number(userR),
          is_active: true,
          pii: { username: 'retired_user', email: 'retired@invalid', name: '' },
        },
      },
    });
  });

  it('retries a slice while the schema registry is unreachable, then bridges it once, nothing lost', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: Number(TEST_SCHEMA_REGISTRY_PORT) });
    proxy.set({ resetRate: 1, resetWithinMs: 1 });
    const t = await createOpenEdxTopic(3);
    const second = await OpenEdxCollector.start(t.topic);
    const { app } = await startBridge(
      bridgeEnv(h.topics, t.prefix, {
        OPENEDX_SCHEMA_REGISTRY_URL: `http://127.0.0.1:${proxy.port}/apis/ccompat/v7`,
      }),
    );
    try {
      const exam = uniq('exam');
      await h.run(registerExam({ examId: exam, courseId: course, contentId: block('outage') }));
      const userF = String(Number(userA) + 4);
      const f = (await h.run(createAttempt({ examId: exam, userId: userF }))).events.find(
        (e) => e.type === 'AttemptCreated',
      );
      await changeTo(String(f?.data.attemptId), 'started');
      const submitted = await changeTo(String(f?.data.attemptId), 'submitted');
      const retries = async (): Promise<number> =>
        (await app.get(BridgeMetrics).batchRetries.get()).values[0]?.value ?? 0;
      await expectEventually(async () => expect(await retries()).toBeGreaterThanOrEqual(2), 60_000, 100);
      expect(second.messages).toEqual([]);
      proxy.heal();
      const ceId = ceIdFor(submitted.id, 'submitted');
      await expectEventually(
        () => expect(second.messages.some((m) => m.headers.ce_id === ceId)).toBe(true),
        60_000,
        100,
      );
      const m = second.messages.find((x) => x.headers.ce_id === ceId);
      expect(await freshRegistry().decode(m?.value ?? Buffer.alloc(0))).toEqual({
        exam_attempt: examData(userF, 'outage', 'proctored', student(userF)),
      });
      expect(second.messages.filter((x) => x.headers.ce_id === ceId)).toHaveLength(1);
    } finally {
      await app.close();
      await second.stop();
      await proxy.close();
    }
  });

  function examData(
    userId: string,
    blockName: string,
    examType: string,
    requester: UserData | null,
  ): ExamAttemptData {
    return {
      student_user: student(userId),
      course_key: course,
      usage_key: block(blockName),
      exam_type: examType,
      requesting_user: requester,
    };
  }
});
