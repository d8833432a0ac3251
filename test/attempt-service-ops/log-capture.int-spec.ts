import { Writable } from 'node:stream';
import type { Producer } from 'kafkajs';
import { createLogger } from '../../libs/platform/src/logging/logger';
import { createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, startOpsService, type OpsService } from './ops.support';

/** Anything shaped like an email address (the scrubber's own marker `[email]` is not). */
const EMAIL = /[^\s"'<>@,;:()[\]\\]+@[^\s"'<>@,;:()[\]\\]+\.[a-z]{2,}/i;

describe('attempt-service: logs never contain email addresses', () => {
  let topics: TestTopics;
  let service: OpsService;
  let producer: Producer;
  let events: TopicCollector;
  const lines: string[] = [];

  beforeAll(async () => {
    topics = await createTestTopics('ops-logs');
    const capture = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
        done();
      },
    });
    // debug: every command line, kafkajs's info lines, Nest's start-up lines, the sweeper.
    const logger = createLogger('attempt-service', 'debug', capture);
    service = await startOpsService(topics, { LOG_LEVEL: 'debug' }, { logger });
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.commandsDlq]);
  });

  afterAll(async () => {
    await events?.stop();
    await producer?.disconnect();
    await service?.stop();
    await closeDb();
  });

  it('runs register, create, start, submit, rejected and unreadable commands and a timeout without logging an address', async () => {
    const courseId = uniq('course-v1:ops+Logs');
    const examId = uniq('exam-logs');
    const userId = uniq('log-user');
    const email = `${userId}.private@learners.example.com`;
    const reg = registerExam({ examId, courseId, timeLimitMins: 1, provider: 'software_secure' });
    await publish(producer, topics.commands, reg);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === reg.id);

    const create = createAttempt({ examId, userId, user: { username: `name-${userId}`, email } });
    await publish(producer, topics.commands, create);
    const created = await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id);
    expect(created.data.user.email).toBe(email); // the event carries it; the logs must not

    const start = updateStatus({ examId, userId, toStatus: 'started' });
    const submit = updateStatus({ examId, userId, toStatus: 'submitted' });
    // rejected: an email address where a status belongs, and an invalid email in a new attempt
    const badStatus = updateStatus({ examId, userId, toStatus: email });
    const badCreate = createAttempt({ examId: uniq('exam-missing'), userId, user: { username: email, email: `not an address ${email}` } });
    await publish(producer, topics.commands, start, submit, badStatus, badCreate);
    await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === badStatus.id);
    await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === badCreate.id);
    // unreadable (not JSON) with an address inside: dead-lettered
    await producer.send({ topic: topics.commands, messages: [{ key: userId, value: `{"oops": "${email}"` }] });
    await expectDeadLettered(events, email);

    // a second learner whose attempt the sweeper times out
    const sleeper = uniq('log-sleeper');
    const c2 = createAttempt({ examId, userId: sleeper, user: { username: sleeper, email: `${sleeper}@learners.example.com` } });
    await publish(producer, topics.commands, c2);
    const a2 = await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === c2.id);
    const sleeperAttempt = String(a2.data.attemptId);
    const s2 = updateStatus({ attemptId: a2.data.attemptId, userId: sleeper, toStatus: 'started' });
    await publish(producer, topics.commands, s2);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === s2.id);
    await db().query(`UPDATE attempts.attempt SET started_at = started_at - interval '5 minutes', expires_at = expires_at - interval '5 minutes', sweep_at = sweep_at - interval '5 minutes' WHERE id = $1`, [
      a2.data.attemptId,
    ]);
    // one sweep, not a sweeping loop: the sweeper sweeps the whole shared test database
    await service.runtime.sweeper.sweepOnce();
    await events.waitFor((e) => e.type === 'AttemptStatusChanged' && e.data.attemptId === a2.data.attemptId && e.data.toStatus === 'submitted');

    // a command line per command, with its outcome
    const byCommand = (id: string) => lines.filter((l) => l.includes(id));
    for (const c of [reg, create, start, submit, badStatus, badCreate, c2, s2]) expect(byCommand(c.id).length).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.includes('"reason":"INVALID_STATUS"'))).toBe(true);
    expect(lines.some((l) => l.includes('unreadable message dead-lettered'))).toBe(true);
    expect(lines.some((l) => l.includes('expired attempt timed out') && l.includes(sleeperAttempt))).toBe(true);

    const leaks = lines.filter((l) => EMAIL.test(l));
    expect(leaks).toEqual([]);
    expect(lines.join('\n')).not.toContain('learners.example.com');
  });
});

async function expectDeadLettered(events: TopicCollector, email: string): Promise<void> {
  await expectEventually(() => {
    const dead = events.messages.find((m) => m.topic.includes('.dlq.') && m.raw?.toString('utf8').includes(email));
    if (!dead) throw new Error('not dead-lettered yet');
  }, 20_000);
}
