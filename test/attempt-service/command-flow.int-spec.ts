import type { Producer } from 'kafkajs';
import { startAttemptService, type RunningAttemptService } from '../support/attempt-service.fixture';
import { createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';

describe('attempt-service: commands through Kafka and PostgreSQL to events', () => {
  let topics: TestTopics;
  let service: RunningAttemptService;
  let producer: Producer;
  let events: TopicCollector;

  beforeAll(async () => {
    topics = await createTestTopics('flow');
    service = await startAttemptService(topics);
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents, topics.commandsDlq]);
  });

  afterAll(async () => {
    await events?.stop();
    await producer?.disconnect();
    await service?.stop();
  });

  it('registers an exam, creates an attempt, starts and submits it, with every event on the topics', async () => {
    const courseId = uniq('course-v1:edX+Demo');
    const examId = uniq('exam');
    const userId = uniq('user');
    const reg = registerExam({ examId, courseId });
    await publish(producer, topics.commands, reg);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === reg.id);

    const create = createAttempt({ examId, userId });
    await publish(producer, topics.commands, create);
    const created = await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id);
    expect(created.data).toMatchObject({ examId, userId, status: 'created', version: 1, courseId, takingAsProctored: true, isSampleAttempt: false, allowedTimeLimitMins: 60 });
    const attemptId = created.data.attemptId as string;

    // addressed by attemptId (keyed by it), then by (examId, userId): different keys, so wait in between
    const start = updateStatus({ attemptId, toStatus: 'started' });
    await publish(producer, topics.commands, start);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === start.id);
    const submit = updateStatus({ examId, userId, toStatus: 'submitted' });
    await publish(producer, topics.commands, submit);
    const submitted = await events.waitFor((e) => e.type === 'AttemptStatusChanged' && e.causationid === submit.id);

    expect(submitted).toMatchObject({
      specversion: '1.0',
      type: 'AttemptStatusChanged',
      source: 'urn:proctoring:attempt-service',
      datacontenttype: 'application/json',
      subject: attemptId,
      causationid: submit.id,
      correlationid: submit.id,
    });
    expect(submitted.data).toMatchObject({
      attemptId,
      examId,
      userId,
      courseId,
      fromStatus: 'started',
      toStatus: 'submitted',
      requestedStatus: 'submitted',
      statusAlias: 'pending',
      version: 3,
      takingAsProctored: true,
      user: { username: `name-${userId}`, email: `${userId}@learners.example.com` },
    });
    expect(submitted.data.startedAt).toEqual(expect.any(String));
    expect(submitted.data.completedAt).toEqual(expect.any(String));

    const credit = await events.waitFor((e) => e.type === 'CredentialRequirementUpdated' && e.causationid === submit.id);
    expect(credit.data).toMatchObject({ userId, courseId, namespace: 'proctored_exam', name: `block-${examId}`, status: 'submitted', attemptId, attemptVersion: 3 });

    // per-user sequence strictly increases in commit order
    const mine = events.events().filter((e) => e.subject === attemptId || (e.type === 'CommandProcessed' && [create.id, start.id, submit.id].includes(e.data.commandId)));
    const seqs = mine.filter((e) => e.type !== 'CredentialRequirementUpdated').map((e) => BigInt(e.sequence));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);

    const row = await service.runtime.pool.query('SELECT status, version, completed_at FROM attempts.attempt WHERE id = $1', [attemptId]);
    expect(row.rows[0]).toMatchObject({ status: 'submitted', version: 3 });
  });

  it('acknowledges a repeated command id with no new effect and no new outcome', async () => {
    const courseId = uniq('course');
    const examId = uniq('exam');
    const userId = uniq('user');
    const reg = registerExam({ examId, courseId });
    const create = createAttempt({ examId, userId });
    // registration (keyed by course) and creation (keyed by user) may land on different partitions
    await publish(producer, topics.commands, reg);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === reg.id);
    await publish(producer, topics.commands, create, create);
    await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id);
    const marker = registerExam({ examId: uniq('exam'), courseId: uniq('course') });
    await publish(producer, topics.commands, create, marker);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === marker.id);
    expect(events.events().filter((e) => e.causationid === create.id && e.type === 'AttemptCreated')).toHaveLength(1);
    expect(events.events().filter((e) => e.data?.commandId === create.id)).toHaveLength(1);
  });

  it('rejects invalid input with CommandRejected and dead-letters what cannot be read, without blocking', async () => {
    const userId = uniq('user');
    const bad = updateStatus({ examId: uniq('exam'), userId, toStatus: 'started' });
    const invalid = { ...createAttempt({ examId: 'x', userId }), data: { examId: 'x' } };
    await producer.send({
      topic: topics.commands,
      messages: [
        { key: userId, value: 'not json at all' },
        { key: userId, value: JSON.stringify(invalid) },
        { key: userId, value: JSON.stringify(bad) },
      ],
    });
    const rejected = await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === invalid.id);
    expect(rejected.data).toMatchObject({ commandType: 'CreateAttempt', reason: 'INVALID_MESSAGE' });
    const notFound = await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === bad.id);
    expect(notFound.data.reason).toBe('EXAM_NOT_FOUND');
    const dead = await expectEventually(() => {
      const m = events.messages.find((x) => x.topic === topics.commandsDlq && x.raw?.toString() === 'not json at all');
      if (!m) throw new Error('not dead-lettered yet');
      return m;
    }, 20_000);
    expect(dead.key).toBe(userId);
    expect(dead.headers['dlq-reason']).toEqual(expect.any(String));
    expect(dead.headers['dlq-source-topic']).toBe(topics.commands);
  });

  it('does not stall on keys and headers the database cannot store (NUL), in commands and dead letters', async () => {
    const userId = uniq('user');
    const invalid = { ...createAttempt({ examId: 'x', userId }), data: { examId: 'x' } };
    const after = registerExam({ examId: uniq('exam'), courseId: uniq('course') });
    await producer.send({
      topic: topics.commands,
      messages: [
        { key: `k\u0000${userId}`, value: JSON.stringify(invalid), headers: { 'x-trace\u0000': 'a\u0000b' } },
        { key: `k\u0000${userId}`, value: 'still not json', headers: { 'x-trace': '\u0000' } },
        { key: String(after.data.courseId), value: JSON.stringify(after) },
      ],
    });
    const rejected = await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === invalid.id);
    expect(rejected.data.reason).toBe('INVALID_MESSAGE');
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === after.id);
    await expectEventually(() => {
      const m = events.messages.find((x) => x.topic === topics.commandsDlq && x.raw?.toString() === 'still not json');
      if (!m) throw new Error('not dead-lettered yet');
    }, 20_000);
  });
});
