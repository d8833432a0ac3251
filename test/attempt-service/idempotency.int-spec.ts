import { randomUUID } from 'node:crypto';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { testKafka } from '../support/kafka-fixture';
import { Harness, ids, type TestCommand } from './attempt-service.harness';

/** SPEC §3/§4: (source, id) is a command's idempotency key; a repeat has no effect and no new outcome. */
describe('attempt-service idempotency', () => {
  let h: Harness;
  /** The one id this suite deliberately uses from two sources (two commands, two outcomes). */
  let sharedId = '';

  beforeAll(async () => {
    h = await Harness.start('idem');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const outcomes = (commandId: string) => h.events().filter((e) => (e.type === 'CommandProcessed' || e.type === 'CommandRejected') && e.data.commandId === commandId);
  const caused = (commandId: string) => h.events().filter((e) => e.causationid === commandId);

  /** Publishes a marker on `key` and settles it: commands published before it on the same key are done by then. */
  async function barrier(key: string): Promise<void> {
    const marker = updateStatus({ attemptId: randomUUID(), toStatus: 'started' });
    await h.send([marker], () => key);
    await h.settle(marker.id);
  }

  async function setup(tag: string) {
    const { courseId, exam, user } = ids(tag);
    const r = await h.run(registerExam({ examId: exam(), courseId }));
    expect(r.outcome.data.outcome).toBe('applied');
    return { courseId, examId: exam(), user };
  }

  async function outboxCount(): Promise<number> {
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM attempts.outbox_message WHERE topic = ANY($1::text[])', [
      [h.topics.attemptEvents, h.topics.credentialEvents, h.topics.commandsDlq],
    ]);
    return rows[0].n as number;
  }

  it('the same command twice in one batch: one effect, one set of events, one outcome', async () => {
    const { examId, user } = await setup('same-batch');
    const c = createAttempt({ examId, userId: user() });
    await h.send([c, c, c]);
    await h.settle(c.id);
    await barrier(user());
    expect(caused(c.id).map((e) => e.type)).toEqual(['AttemptCreated', 'CommandProcessed']);
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM attempts.attempt WHERE exam_id = $1', [examId]);
    expect(rows[0].n).toBe(1);
    const inbox = await h.db.query('SELECT count(*)::int AS n FROM attempts.processed_command WHERE source = $1 AND command_id = $2', [c.source, c.id]);
    expect(inbox.rows[0].n).toBe(1);
  });

  it('a repeat in a later batch, with a different payload, is acknowledged with no effect and no outcome', async () => {
    const { examId, user } = await setup('later');
    const userId = user();
    const created = await h.run(createAttempt({ examId, userId }));
    const attemptId = created.events[0].data.attemptId as string;
    const start = updateStatus({ attemptId, toStatus: 'started' });
    await h.run(start);
    // same (source, id), same payload, then a different payload
    await h.send([start]);
    const changed: TestCommand = { ...start, data: { attemptId, toStatus: 'error' } };
    await h.send([changed]);
    await barrier(userId);
    await barrier(attemptId);
    expect(outcomes(start.id)).toHaveLength(1);
    expect(caused(start.id).map((e) => e.type)).toEqual(['AttemptStatusChanged', 'CommandProcessed']);
    expect(await h.attemptRow(attemptId)).toMatchObject({ status: 'started', version: 2 });
    expect(await h.transitions(attemptId)).toHaveLength(2);
  });

  it('repeated rejections and repeated invalid messages get exactly one CommandRejected', async () => {
    const { examId, user } = await setup('rej');
    const userId = user();
    const missing = updateStatus({ examId, userId, toStatus: 'started' }); // no attempt: ATTEMPT_NOT_FOUND
    const invalid = command('CreateAttempt', { examId, userId }); // INVALID_MESSAGE
    await h.send([missing, invalid]);
    await h.settle(missing.id);
    await h.settle(invalid.id);
    await h.send([missing, invalid, missing]);
    // a valid create under a reused id from an earlier invalid message is a repeat too: nothing is created
    await h.send([{ ...invalid, data: { examId, userId, user: { username: 'u', email: 'u@example.com' }, takingAsProctored: true } }]);
    await barrier(userId);
    expect(outcomes(missing.id).map((e) => e.data.reason)).toEqual(['ATTEMPT_NOT_FOUND']);
    expect(outcomes(invalid.id).map((e) => e.data.reason)).toEqual(['INVALID_MESSAGE']);
    expect(await h.attemptFor(examId, userId)).toBeUndefined();
  });

  it('the same id from a different source is a different command', async () => {
    const { examId, user } = await setup('sources');
    const id = randomUUID();
    sharedId = id;
    const a = { ...createAttempt({ examId, userId: user(1) }), id, source: 'urn:test:lms' };
    const b = { ...createAttempt({ examId, userId: user(2) }), id, source: 'urn:test:studio' };
    await h.send([a, b]);
    await h.settle(id);
    await barrier(user(1));
    await barrier(user(2));
    const created = h.events().filter((e) => e.type === 'AttemptCreated' && e.causationid === id);
    expect(created.map((e) => e.data.userId).sort()).toEqual([user(1), user(2)].sort());
    expect(outcomes(id)).toHaveLength(2);
    expect(await h.attemptFor(examId, user(1))).toBeDefined();
    expect(await h.attemptFor(examId, user(2))).toBeDefined();
  });

  it('RegisterExam repeated under one id applies once, even with changed fields', async () => {
    const { courseId, exam } = ids('reg');
    const reg = registerExam({ examId: exam(), courseId, examName: 'first' });
    await h.run(reg);
    await h.send([{ ...reg, data: { ...reg.data, examName: 'second' } }]);
    const marker = registerExam({ examId: exam(2), courseId });
    await h.run(marker);
    expect(outcomes(reg.id)).toHaveLength(1);
    const { rows } = await h.db.query('SELECT exam_name FROM attempts.exam WHERE exam_id = $1', [exam()]);
    expect(rows[0].exam_name).toBe('first');
  });

  it('a second consumer group re-reading every command from the beginning changes nothing and publishes nothing', async () => {
    const before = await outboxCount();
    const processed = await h.count('SELECT count(*)::int AS n FROM attempts.processed_command', []);
    const groupId = `attempt-service.replay-${randomUUID()}`;
    const replay = await h.startService({ ATTEMPT_SERVICE_GROUP_ID: groupId });
    const admin = testKafka('test-admin').admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(h.topics.commands);
      await expectEventually(async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [h.topics.commands] });
        for (const end of ends) {
          if (end.high === end.low) continue; // an empty partition has nothing to commit
          const p = committed.partitions.find((x) => x.partition === end.partition);
          if (p?.offset !== end.high) throw new Error(`partition ${end.partition} at ${p?.offset}, end ${end.high}`);
        }
      }, 60_000, 200);
    } finally {
      await admin.disconnect();
    }
    expect(await outboxCount()).toBe(before);
    // it did read them all: every command it saw was a duplicate (invalid ones too)
    const counted = (await replay.runtime.metrics.commands.get()).values;
    const duplicates = counted.filter((v) => v.labels.outcome === 'duplicate').reduce((n, v) => n + v.value, 0);
    expect(duplicates).toBeGreaterThan(20);
    expect(counted.filter((v) => v.labels.outcome !== 'duplicate' && v.labels.outcome !== 'dead-lettered')).toEqual([]);
    const after = await h.count('SELECT count(*)::int AS n FROM attempts.processed_command', []);
    // other suites may run beside this one, so only "no fewer"; ours are all repeats (outbox unchanged)
    expect(after).toBeGreaterThanOrEqual(processed);
    // and exactly one outcome per command ever published on the topic (one id is used by two sources)
    const seen = new Map<string, number>();
    for (const e of h.events()) {
      if (e.type !== 'CommandProcessed' && e.type !== 'CommandRejected') continue;
      seen.set(e.data.commandId as string, (seen.get(e.data.commandId as string) ?? 0) + 1);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].filter(([id, n]) => n !== (id === sharedId ? 2 : 1))).toEqual([]);
  });

  it('every collected event satisfies the v1 contract, with per-key sequences strictly increasing', () => {
    expect(h.assertContract()).toBeGreaterThan(20);
  });
});
