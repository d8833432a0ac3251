import type { Producer } from 'kafkajs';
import { createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, opsEnv, removeCompiledCli, runCli, startOpsService, type OpsService } from './ops.support';

/** The command line never publishes events itself (SPEC §8.4): the running service's relay does. */
const PUBLISHED = /^The events are in the outbox: the attempt-service publishes them$/;

describe('attempt-service: attempts -- allowance grant|remove|list', () => {
  let service: OpsService | null = null;
  let topics: TestTopics;
  let producer: Producer;
  let events: TopicCollector;
  let cliEnv: Record<string, string>;
  const courseId = uniq('course-v1:ops+Allow');
  const examId = uniq('exam-allow-cli');
  const userId = uniq('allow-cli-user');
  let attemptId: string;

  beforeAll(async () => {
    topics = await createTestTopics('ops-allow-cli');
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents]);
    cliEnv = opsEnv(topics);
    // a running service: it processes the set-up and publishes what the command line commits
    service = await startOpsService(topics);
    {
      const reg = registerExam({ examId, courseId, timeLimitMins: 60 });
      await publish(producer, topics.commands, reg);
      await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === reg.id);
      const create = createAttempt({ examId, userId });
      await publish(producer, topics.commands, create);
      attemptId = (await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id)).data.attemptId;
      const start = updateStatus({ examId, userId, toStatus: 'started' });
      await publish(producer, topics.commands, start);
      await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === start.id);
    }
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await events?.stop();
    await producer?.disconnect();
    await closeDb();
    removeCompiledCli();
  });

  it('grant applies a GrantAllowance through the use case: the attempt gets its time, the events are published', async () => {
    const r = await runCli(['allowance', 'grant', '--exam', examId, '--user', userId, '--key', 'additional_time_granted', '--value', '30'], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe(`Attempt ${attemptId}: started -> started (version 3)`);
    expect(r.lines[1]).toBe(`Granted additional_time_granted to user ${userId} on exam_id ${examId}`);
    expect(r.lines[2]).toMatch(PUBLISHED);
    expect(r.lines[3]).toBe('Completed!');
    const changed = await events.waitFor((e) => e.type === 'AttemptTimeLimitChanged' && e.data.attemptId === attemptId);
    expect(changed.data).toMatchObject({ fromMins: 60, toMins: 90, version: 3 });
    const { rows } = await db().query(`SELECT allowed_time_limit_mins FROM attempts.attempt WHERE id = $1`, [attemptId]);
    expect(rows[0]).toEqual({ allowed_time_limit_mins: 90 });
  });

  it('a value that does not parse is refused with a non-zero exit, never echoing the value', async () => {
    const r = await runCli(['allowance', 'grant', '-e', examId, '-u', userId, '-k', 'time_multiplier', '--value', '42.5'], cliEnv);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Rejected: INVALID_ALLOWANCE');
    expect(r.stderr).not.toContain('42.5');
  });

  it('list prints the allowances and their history; remove takes the time back; removing again changes nothing', async () => {
    const text = 'screen reader';
    expect((await runCli(['allowance', 'grant', '-e', examId, '-u', userId, '-k', 'review_policy_exception', '--value', text], cliEnv)).code).toBe(0);
    const list = await runCli(['allowance', 'list', '--user', userId, '--exam', examId], cliEnv);
    expect(list.code).toBe(0);
    const shown = JSON.parse(list.stdout) as { allowances: { key: string; value: string }[]; history: { key: string; action: string }[] };
    expect(shown.allowances.map((a) => [a.key, a.value])).toEqual([
      ['additional_time_granted', '30'],
      ['review_policy_exception', text],
    ]);
    expect(shown.history.map((h) => [h.key, h.action])).toEqual([
      ['additional_time_granted', 'granted'],
      ['review_policy_exception', 'granted'],
    ]);

    const removed = await runCli(['allowance', 'remove', '-e', examId, '-u', userId, '-k', 'additional_time_granted'], cliEnv);
    expect(removed.code).toBe(0);
    expect(removed.lines).toContain(`Removed additional_time_granted of user ${userId} on exam_id ${examId}`);
    const again = await runCli(['allowance', 'remove', '-e', examId, '-u', userId, '-k', 'additional_time_granted'], cliEnv);
    expect(again.code).toBe(0);
    expect(again.lines[0]).toBe(`No additional_time_granted for user ${userId} on exam_id ${examId}; nothing changed`);
    const { rows } = await db().query(`SELECT allowed_time_limit_mins, version FROM attempts.attempt WHERE id = $1`, [attemptId]);
    expect(rows[0]).toEqual({ allowed_time_limit_mins: 60, version: 4 });
  });

  it('rejects bad usage with exit code 2', async () => {
    expect((await runCli(['allowance'], cliEnv)).code).toBe(2);
    expect((await runCli(['allowance', 'grant', '--exam', examId, '--user', userId, '--key', 'time_multiplier'], cliEnv)).code).toBe(2);
  });
});
