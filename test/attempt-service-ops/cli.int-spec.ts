import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { command, createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, opsEnv, removeCompiledCli, runCli, startOpsService, type OpsService } from './ops.support';
import { testIdentity } from '../support/test-env';

/** The command line never publishes events itself (SPEC §8.4): the running service's relay does. */
const PUBLISHED = /^The events are in the outbox: the attempt-service publishes them$/;

describe('attempt-service: the attempts command line', () => {
  let topics: TestTopics;
  let producer: Producer;
  let events: TopicCollector;
  let cliEnv: Record<string, string>;
  const courseId = uniq('course-v1:ops+Cli');
  const examId = uniq('exam-cli');
  const otherExamId = uniq('exam-cli-other');
  const userId = uniq('cli-user');
  let attemptId: string;
  let service: OpsService | null = null;

  const transitionsOf = async (id: string) =>
    (
      await db().query<{ from_status: string | null; to_status: string; cause_type: string; cause_id: string }>(
        `SELECT from_status, to_status, cause_type, cause_id FROM attempts.attempt_transition WHERE attempt_id = $1 ORDER BY id`,
        [id],
      )
    ).rows;

  /** Whether some relay holds the outbox leadership (its advisory lock) right now. */
  const relayLeaderExists = async () => {
    const client = await db().connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext('attempts.outbox_relay')) AS locked`);
      if (rows[0].locked) await client.query(`SELECT pg_advisory_unlock(hashtext('attempts.outbox_relay'))`);
      return !rows[0].locked;
    } finally {
      client.release();
    }
  };

  beforeAll(async () => {
    topics = await createTestTopics('ops-cli');
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents, topics.commands]);
    cliEnv = opsEnv(topics, { REDRIVE_GROUP_ID: `ops.redrive-${randomUUID()}` });

    // A running service: it processes the set-up, and publishes what the command line commits.
    service = await startOpsService(topics);
    {
      const regs = [registerExam({ examId, courseId, provider: 'software_secure' }), registerExam({ examId: otherExamId, courseId })];
      await publish(producer, topics.commands, ...regs);
      for (const r of regs) await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === r.id);
      const create = createAttempt({ examId, userId });
      await publish(producer, topics.commands, create);
      attemptId = (await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id)).data.attemptId;
      const start = updateStatus({ examId, userId, toStatus: 'started' });
      await publish(producer, topics.commands, start);
      await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === start.id);
    }
  });

  afterAll(async () => {
    await service?.stop();
    await events?.stop();
    await producer?.disconnect();
    await closeDb();
    removeCompiledCli();
  });

  it('set-status applies a valid change through the same use case, transaction and events', async () => {
    const r = await runCli(['set-status', '--exam', examId, '--user', userId, '--to', 'submitted'], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(4);
    expect(r.lines[0]).toBe(`Running management command to update user ${userId} attempt status on exam_id ${examId} to submitted`);
    expect(r.lines[1]).toBe(`Attempt ${attemptId}: started -> submitted (version 3)`);
    expect(r.lines[2]).toMatch(PUBLISHED);
    expect(r.lines[3]).toBe('Completed!');

    const t = await transitionsOf(attemptId);
    expect(t[t.length - 1]).toMatchObject({ from_status: 'started', to_status: 'submitted', cause_type: 'command' });
    const commandId = t[t.length - 1].cause_id;
    const changed = await events.waitFor((e) => e.type === 'AttemptStatusChanged' && e.causationid === commandId);
    expect(changed).toMatchObject({ source: 'urn:proctoring:attempt-service', subject: attemptId, correlationid: commandId });
    expect(changed.data).toMatchObject({ attemptId, examId, userId, fromStatus: 'started', toStatus: 'submitted', statusAlias: 'pending', version: 3 });
    const credit = await events.waitFor((e) => e.type === 'CredentialRequirementUpdated' && e.causationid === commandId);
    expect(credit.data).toMatchObject({ status: 'submitted', attemptId, attemptVersion: 3 });
    const processed = await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === commandId);
    expect(processed.data).toEqual({ commandId, commandType: 'UpdateAttemptStatus', outcome: 'applied' });
    const claimed = await db().query(`SELECT 1 FROM attempts.processed_command WHERE source = 'urn:proctoring:cli' AND command_id = $1`, [commandId]);
    expect(claimed.rowCount).toBe(1);
  });

  it('set-status repeated is a no-op and still completes', async () => {
    const r = await runCli(['set-status', '-e', examId, '-u', userId, '-t', 'submitted'], cliEnv);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.lines[0]).toBe(`Running management command to update user ${userId} attempt status on exam_id ${examId} to submitted`);
    expect(r.lines[1]).toBe(`Attempt ${attemptId} is already submitted; nothing changed`);
    expect(r.lines[2]).toMatch(PUBLISHED);
    expect(r.lines[3]).toBe('Completed!');
    expect(r.lines).toHaveLength(4);
  });

  it('set-status refuses an invalid status without touching anything', async () => {
    const before = await transitionsOf(attemptId);
    const r = await runCli(['set-status', '--exam', examId, '--user', userId, '--to', 'Verified'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Running management command to update user ${userId} attempt status on exam_id ${examId} to Verified\n`);
    expect(r.stderr).toBe('Verified is not a valid attempt status!\n');
    expect(await transitionsOf(attemptId)).toEqual(before);
    // An empty status is an invalid status too (SPEC §3), not bad usage.
    const empty = await runCli(['set-status', '--exam', examId, '--user', userId, '--to', ''], cliEnv);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(' is not a valid attempt status!\n');
    expect(await transitionsOf(attemptId)).toEqual(before);
  });

  it('set-status refuses an unknown exam', async () => {
    const unknown = uniq('no-such-exam');
    const r = await runCli(['set-status', '--exam', unknown, '--user', userId, '--to', 'verified'], cliEnv);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Running management command to update user ${userId} attempt status on exam_id ${unknown} to verified\n`);
    expect(r.stderr).toBe(`Exam with exam_id ${unknown} does not exist!\n`);
  });

  it('set-status reports a rejection (unknown attempt, illegal transition) with a non-zero exit and a CommandRejected event', async () => {
    const stranger = uniq('cli-stranger');
    const missing = await runCli(['set-status', '--exam', examId, '--user', stranger, '--to', 'verified'], cliEnv);
    expect(missing.code).toBe(1);
    expect(missing.lines[0]).toBe(`Running management command to update user ${stranger} attempt status on exam_id ${examId} to verified`);
    expect(missing.lines[1]).toMatch(PUBLISHED);
    expect(missing.lines).toHaveLength(2);
    expect(missing.stderr).toBe('Rejected: ATTEMPT_NOT_FOUND: no attempt matches the given attempt reference\n');
    const rejected = await events.waitFor((e) => e.type === 'CommandRejected' && e.data.reason === 'ATTEMPT_NOT_FOUND' && e.source === 'urn:proctoring:attempt-service' && e.correlationid === e.data.commandId && events.messages.some((m) => m.json === e && m.key === stranger));
    expect(rejected.data.commandType).toBe('UpdateAttemptStatus');

    const illegal = await runCli(['set-status', '--exam', examId, '--user', userId, '--to', 'started'], cliEnv);
    expect(illegal.code).toBe(1);
    expect(illegal.stderr).toBe('Rejected: ILLEGAL_TRANSITION: a status transition from submitted to started is not allowed\n');
    expect(illegal.lines).not.toContain('Completed!');
  });

  it('set-status leaves publishing to a running service, which publishes the events', async () => {
    // One relay per database publishes: this service's, or another suite's sharing the test database.
    await expectEventually(async () => expect(await relayLeaderExists()).toBe(true));
    const r = await runCli(['set-status', '--exam', examId, '--user', userId, '--to', 'verified'], cliEnv);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      `Running management command to update user ${userId} attempt status on exam_id ${examId} to verified`,
      `Attempt ${attemptId}: submitted -> verified (version 4)`,
      'The events are in the outbox: the attempt-service publishes them',
      'Completed!',
    ]);
    const changed = await events.waitFor((e) => e.type === 'AttemptStatusChanged' && e.data.attemptId === attemptId && e.data.toStatus === 'verified');
    expect(changed.data).toMatchObject({ fromStatus: 'submitted', statusAlias: 'satisfactory', version: 4 });
  });

  it('show prints the attempt with its transitions; remove archives it; show then lists the archive', async () => {
    const shown = await runCli(['show', '--exam', examId, '--user', userId], cliEnv);
    expect(shown.code).toBe(0);
    const view = JSON.parse(shown.stdout) as { transitions: { toStatus: string }[] };
    expect(view).toMatchObject({ attemptId, examId, userId, status: 'verified', version: 4, archived: [] });
    expect(view.transitions.map((t) => t.toStatus)).toEqual(['created', 'started', 'submitted', 'verified']);
    const byId = await runCli(['show', '--attempt', attemptId], cliEnv);
    expect(JSON.parse(byId.stdout)).toEqual(view);

    const removed = await runCli(['remove', '--exam', examId, '--user', userId], cliEnv);
    expect(removed.stderr).toBe('');
    expect(removed.code).toBe(0);
    expect(removed.lines).toEqual([
      `Removing exam attempt ${attemptId}`,
      `Removed attempt ${attemptId} (last status verified)`,
      'The events are in the outbox: the attempt-service publishes them',
      'Completed!',
    ]);
    const gone = await events.waitFor((e) => e.type === 'AttemptRemoved' && e.data.attemptId === attemptId);
    expect(gone.data).toMatchObject({ reason: 'removed', lastStatus: 'verified', userId, examId });
    await events.waitFor((e) => e.type === 'CredentialRequirementRemoved' && e.data.attemptId === attemptId);

    const after = await runCli(['show', '--exam', examId, '--user', userId], cliEnv);
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(`No attempt for exam_id = ${examId} and user_id = ${userId}\n`);
    expect(JSON.parse(after.stdout)).toMatchObject({ attempt: null, archived: [{ attemptId, status: 'verified', archiveReason: 'removed' }] });

    const again = await runCli(['remove', '--attempt', attemptId], cliEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`Cannot remove attempt for attempt_id = ${attemptId} because it does not exist!\n`);
  });

  it('retire retires the learner through the same use case and transaction (LearnerRetired); again, nothing changes', async () => {
    const r = await runCli(['retire', '--user', userId], cliEnv);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual([
      `Retiring learner ${userId}`,
      `Learner ${userId} retired: personal data scrubbed, LearnerRetired emitted`,
      'The events are in the outbox: the attempt-service publishes them',
      'Completed!',
    ]);
    await events.waitFor((e) => e.type === 'LearnerRetired' && e.data.userId === userId);
    const stored = await db().query(`SELECT DISTINCT username, email FROM attempts.attempt_history WHERE user_id = $1`, [userId]);
    expect(stored.rows).toEqual([{ username: 'retired_user', email: 'retired@invalid' }]);

    const again = await runCli(['retire', '-u', userId], cliEnv);
    expect(again.code).toBe(0);
    expect(again.lines[1]).toBe(`Learner ${userId} was already retired; nothing changed`);
    expect(again.lines[again.lines.length - 1]).toBe('Completed!');
  });

  it('rejects bad usage with exit code 2', async () => {
    const r = await runCli(['set-status', '--exam', examId], cliEnv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--user is required\n/);
    const unknown = await runCli(['frobnicate'], cliEnv);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown command frobnicate\n/);
  });

  it('fails fast on bad configuration, naming the variable and never its value', async () => {
    const r = await runCli(['show', '--attempt', randomUUID()], { ...cliEnv, SWEEPER_BATCH_SIZE: 'lots-of-secret-value', DATABASE_URL: 'mysql://x' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SWEEPER_BATCH_SIZE must be an integer');
    expect(r.stderr).toContain('DATABASE_URL must be a postgres: or postgresql: URL');
    expect(r.stderr).not.toContain('lots-of-secret-value');
    expect(r.stderr).not.toContain('mysql://x');
  });

  it('redrive re-publishes dead-lettered commands without their dlq-* headers, with a dry run first', async () => {
    expect(service).not.toBeNull();
    const fixedExam = uniq('exam-redriven');
    const fixed = [registerExam({ examId: fixedExam, courseId: uniq('course-v1:ops+Redrive') }), command('RemoveAttempt', { attemptId: randomUUID(), userId: uniq('nobody') })];
    await producer.send({
      topic: topics.commandsDlq,
      acks: -1,
      messages: fixed.map((c) => ({
        key: 'k-redrive',
        value: JSON.stringify(c),
        headers: {
          'content-type': 'application/cloudevents+json',
          'dlq-reason': 'not JSON',
          'dlq-source-topic': topics.commands,
          'dlq-source-partition': '0',
          'dlq-source-offset': '7',
          'dlq-failed-at': new Date().toISOString(),
        },
      })),
    });
    const dlq = topics.commandsDlq;
    // The ops principal reads and writes the DLQs and writes the commands topic (SPEC §8.4).
    const asOps = { ...cliEnv, ...testIdentity('ops') };

    const dry = await runCli(['redrive', '--topic', dlq, '--dry-run'], asOps);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.lines[0]).toBe(`Dry run: 2 message(s) pending on ${dlq} for consumer group ${cliEnv.REDRIVE_GROUP_ID}`);
    expect(dry.lines.slice(1, 3)).toEqual([
      expect.stringMatching(new RegExp(`^would redrive ${dlq.replace(/\./g, '\\.')}\\[\\d\\]@0 key=k-redrive reason=not JSON$`)),
      expect.stringMatching(new RegExp(`^would redrive ${dlq.replace(/\./g, '\\.')}\\[\\d\\]@1 key=k-redrive reason=not JSON$`)),
    ]);
    expect(dry.lines[3]).toBe(`Dry run: 2 message(s) would be redriven from ${dlq} to ${topics.commands}; nothing was published or committed`);
    expect(dry.lines).toHaveLength(4);

    const one = await runCli(['redrive', '--topic', dlq, '--limit', '1'], asOps);
    expect(one.code).toBe(0);
    expect(one.lines[0]).toBe(`2 message(s) pending on ${dlq} for consumer group ${cliEnv.REDRIVE_GROUP_ID}`);
    expect(one.lines[1]).toMatch(/^redriving .*\]@0 key=k-redrive reason=not JSON$/);
    expect(one.lines[2]).toBe(`Redriven 1 message(s) from ${dlq} to ${topics.commands}`);

    const rest = await runCli(['redrive', '--topic', dlq], asOps);
    expect(rest.code).toBe(0);
    expect(rest.lines[0]).toBe(`1 message(s) pending on ${dlq} for consumer group ${cliEnv.REDRIVE_GROUP_ID}`);
    expect(rest.lines[1]).toMatch(/^redriving .*\]@1 key=k-redrive reason=not JSON$/);
    expect(rest.lines[2]).toBe(`Redriven 1 message(s) from ${dlq} to ${topics.commands}`);

    const none = await runCli(['redrive', '--topic', dlq], asOps);
    expect(none.code).toBe(0);
    expect(none.lines).toEqual([`Nothing to redrive on ${dlq} (consumer group ${cliEnv.REDRIVE_GROUP_ID} is at the end)`]);

    // On the commands topic, once each, without dlq-* headers; the running service processes them.
    await expectEventually(() => {
      const redriven = events.messages.filter((m) => m.topic === topics.commands && fixed.some((c) => m.json?.id === c.id));
      expect(redriven).toHaveLength(2);
      for (const m of redriven) {
        expect(m.key).toBe('k-redrive');
        expect(m.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
      }
      expect(redriven.map((m) => m.json?.id)).toEqual(fixed.map((c) => c.id));
    });
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === fixed[0].id);
    await events.waitFor((e) => e.type === 'CommandRejected' && e.data.commandId === fixed[1].id && e.data.reason === 'ATTEMPT_NOT_FOUND');
  });
});
