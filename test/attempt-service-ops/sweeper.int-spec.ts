import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { EXPIRED_ATTEMPTS_SQL } from '../../apps/attempt-service/src/sweeper/timeout.sweeper';
import { createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, startOpsService, type OpsService } from './ops.support';

interface Target {
  attemptId: string;
  examId: string;
  userId: string;
  expect: 'submitted' | 'timed_out';
  expiresAt: Date;
}

/** Sum of a counter across instances (labels ignored). */
async function counterSum(services: OpsService[], name: string, labels: Record<string, string> = {}): Promise<number> {
  let total = 0;
  for (const s of services) {
    const metric = await s.runtime.metrics.registry.getSingleMetric(name)?.get();
    for (const v of metric?.values ?? []) {
      if (Object.entries(labels).every(([k, l]) => v.labels[k] === l)) total += v.value;
    }
  }
  return total;
}

describe('attempt-service: the timeout sweeper', () => {
  let topics: TestTopics;
  let producer: Producer;
  let events: TopicCollector;
  const services: OpsService[] = [];
  const groupId = `attempt-service.ops-sweep-${randomUUID()}`;

  beforeAll(async () => {
    topics = await createTestTopics('ops-sweep');
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents]);
  });

  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await events?.stop();
    await producer?.disconnect();
    await closeDb();
  });

  it('selects expired attempts through the partial index attempt_sweep_idx', async () => {
    const client = await db().connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${EXPIRED_ATTEMPTS_SQL}`, [new Date(), 200]);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('attempt_sweep_idx');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('times out expired attempts once across two sweeping instances, completed at the expiry time', async () => {
    // Set-up through commands, with no sweeper running.
    const setup = await startOpsService(topics, { ATTEMPT_SERVICE_GROUP_ID: groupId });
    services.push(setup);
    const courseId = uniq('course-v1:ops+Sweep');
    const exams = {
      ss: { examId: uniq('exam-ss'), provider: 'software_secure' as string | undefined, expect: 'submitted' as const },
      pt: { examId: uniq('exam-pt'), provider: 'proctortrack' as string | undefined, expect: 'timed_out' as const },
      none: { examId: uniq('exam-none'), provider: undefined as string | undefined, expect: 'submitted' as const },
    };
    const fresh = uniq('exam-fresh');
    const regs = [
      ...Object.values(exams).map((e) => registerExam({ examId: e.examId, courseId, timeLimitMins: 1, ...(e.provider ? { provider: e.provider } : {}) })),
      registerExam({ examId: fresh, courseId, timeLimitMins: 60, provider: 'software_secure' }),
    ];
    await publish(producer, topics.commands, ...regs);
    for (const r of regs) await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === r.id);

    const users = [uniq('sweep-user'), uniq('sweep-user')];
    const started: { examId: string; userId: string }[] = [];
    for (const userId of users) for (const e of [...Object.values(exams).map((x) => x.examId), fresh]) started.push({ examId: e, userId });
    const idle = { examId: exams.none.examId, userId: uniq('sweep-idle') }; // created, never started: never expires
    const creates = [...started, idle].map((p) => createAttempt(p));
    await publish(producer, topics.commands, ...creates);
    for (const c of creates) await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === c.id);
    const starts = started.map((p) => updateStatus({ ...p, toStatus: 'started' }));
    await publish(producer, topics.commands, ...starts);
    for (const c of starts) await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === c.id);

    // Move the start of the 1-minute attempts (this suite's rows only) two minutes into the past.
    const shifted = await db().query<{ id: string; exam_id: string; user_id: string; expires_at: Date }>(
      `UPDATE attempts.attempt SET started_at = started_at - interval '2 minutes', expires_at = expires_at - interval '2 minutes', sweep_at = sweep_at - interval '2 minutes'
        WHERE exam_id = ANY($1) AND user_id = ANY($2) AND status = 'started' RETURNING id, exam_id, user_id, expires_at`,
      [Object.values(exams).map((e) => e.examId), users],
    );
    expect(shifted.rowCount).toBe(6);
    const targets: Target[] = shifted.rows.map((r) => ({
      attemptId: r.id,
      examId: r.exam_id,
      userId: r.user_id,
      expect: Object.values(exams).find((e) => e.examId === r.exam_id)!.expect,
      expiresAt: r.expires_at,
    }));
    const ids = targets.map((t) => t.attemptId);

    // Two more instances of the same group; both sweep at once, then keep sweeping every 100 ms.
    const a = await startOpsService(topics, { ATTEMPT_SERVICE_GROUP_ID: groupId, SWEEPER_INTERVAL_MS: '100' });
    services.push(a);
    const b = await startOpsService(topics, { ATTEMPT_SERVICE_GROUP_ID: groupId, SWEEPER_INTERVAL_MS: '100' });
    services.push(b);
    const [ra, rb] = await Promise.all([a.runtime.sweeper.sweepOnce(), b.runtime.sweeper.sweepOnce()]);
    expect(ra.found + rb.found).toBeGreaterThanOrEqual(ids.length);
    a.runtime.sweeper.start();
    b.runtime.sweeper.start();

    const transitions = async () =>
      (
        await db().query<{ attempt_id: string; from_status: string; to_status: string; requested_status: string; cause_type: string; cause_id: string; version: number }>(
          `SELECT attempt_id, from_status, to_status, requested_status, cause_type, cause_id, version
             FROM attempts.attempt_transition WHERE attempt_id = ANY($1::uuid[]) AND cause_type = 'sweeper' ORDER BY id`,
          [ids],
        )
      ).rows;
    await expectEventually(async () => expect((await transitions()).length).toBe(ids.length), 20_000);
    for (const t of targets) {
      await events.waitFor((e) => e.type === 'AttemptStatusChanged' && e.data.attemptId === t.attemptId && e.data.fromStatus === 'started');
    }
    // Let both loops sweep many more times: nothing changes again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await counterSum([a, b], 'proctoring_sweeper_runs_total', { result: 'ok' })).toBeGreaterThanOrEqual(6);
    expect(await counterSum([a, b], 'proctoring_sweeper_timeouts_total')).toBeGreaterThanOrEqual(ids.length);

    const rows = await transitions();
    expect(rows).toHaveLength(ids.length);
    const rowsNow = await db().query<{ id: string; status: string; completed_at: Date | null; version: number }>(
      `SELECT id, status, completed_at, version FROM attempts.attempt WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    for (const t of targets) {
      const mine = rows.filter((r) => r.attempt_id === t.attemptId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ from_status: 'started', to_status: t.expect, requested_status: 'timed_out', cause_type: 'sweeper', version: 3 });
      const now = rowsNow.rows.find((r) => r.id === t.attemptId)!;
      expect(now.status).toBe(t.expect);
      expect(now.version).toBe(3);
      if (t.expect === 'submitted') expect(now.completed_at?.toISOString()).toBe(t.expiresAt.toISOString());
      else expect(now.completed_at).toBeNull();

      const changes = events.events('AttemptStatusChanged').filter((e) => e.data.attemptId === t.attemptId && e.data.fromStatus === 'started');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ causationid: mine[0].cause_id, correlationid: mine[0].cause_id, subject: t.attemptId });
      expect(changes[0].data).toMatchObject({
        toStatus: t.expect,
        requestedStatus: 'timed_out',
        statusAlias: t.expect === 'submitted' ? 'pending' : '',
        version: 3,
        completedAt: t.expect === 'submitted' ? t.expiresAt.toISOString() : null,
      });
      const credits = events.events('CredentialRequirementUpdated').filter((e) => e.data.attemptId === t.attemptId);
      if (t.expect === 'submitted') {
        expect(credits).toHaveLength(1);
        expect(credits[0].data).toMatchObject({ status: 'submitted', attemptVersion: 3 });
      } else {
        expect(credits).toHaveLength(0);
      }
    }
    // The sweep ids are fresh per sweep and recorded as the cause.
    expect(new Set(rows.map((r) => r.cause_id)).size).toBeGreaterThanOrEqual(1);
    for (const r of rows) expect(r.cause_id).toMatch(/^[0-9a-f-]{36}$/);

    // Attempts that have not expired, or never started, are left alone.
    const untouched = await db().query<{ status: string }>(
      `SELECT status FROM attempts.attempt WHERE (exam_id = $1 AND user_id = ANY($2)) OR (exam_id = $3 AND user_id = $4)`,
      [fresh, users, idle.examId, idle.userId],
    );
    expect(untouched.rows.map((r) => r.status).sort()).toEqual(['created', 'started', 'started']);
  });

  it('stops sweeping when the service shuts down', async () => {
    const s = await startOpsService(topics, { SWEEPER_ENABLED: 'true', SWEEPER_INTERVAL_MS: '100' });
    expect(s.runtime.sweeper.isRunning).toBe(true);
    await s.stop();
    expect(s.runtime.sweeper.isRunning).toBe(false);
  });
});
