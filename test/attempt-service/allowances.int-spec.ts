import type { Producer } from 'kafkajs';
import { command, createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { closeDb, db, getJson, startOpsService, type OpsService } from '../attempt-service-ops/ops.support';

/*
 * Allowances (SPEC §8.2) end to end: real Kafka, real PostgreSQL, the service's own sweeper. Time is
 * moved by writing `started_at` (with the derived expires_at / sweep_at) into the past, as the
 * sweeper suite does; the sweeper then runs with the real clock.
 */

const MIN = 60_000;
type Cmd = ReturnType<typeof command>;
type Row = { id: string; status: string; started_at: Date | null; completed_at: Date | null; allowed_time_limit_mins: number; version: number; time_limit_changed_at: Date | null; sweep_at: Date | null };

describe('attempt-service: allowances (SPEC §8.2)', () => {
  let topics: TestTopics;
  let producer: Producer;
  let events: TopicCollector;
  let service: OpsService;
  const extra: OpsService[] = [];
  const courseId = uniq('course-v1:allow');
  const examId = uniq('exam-allow');
  const inactiveExam = uniq('exam-inactive');

  beforeAll(async () => {
    topics = await createTestTopics('allowances');
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents]);
    service = await startOpsService(topics);
    await run(registerExam({ examId, courseId, timeLimitMins: 60 }));
    await run(registerExam({ examId: inactiveExam, courseId, timeLimitMins: 60, isActive: false }));
  }, 60_000);

  afterAll(async () => {
    for (const s of extra) await s.stop().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    await events?.stop();
    await producer?.disconnect();
    await closeDb();
  });

  /** Publishes and waits for the outcome; returns the outcome and every event the command caused, in order. */
  async function run(c: Cmd): Promise<{ outcome: Record<string, any>; caused: Record<string, any>[] }> {
    await publish(producer, topics.commands, c);
    const outcome = await events.waitFor((e) => (e.type === 'CommandProcessed' || e.type === 'CommandRejected') && e.data.commandId === c.id);
    const caused = events.events().filter((e) => e.causationid === c.id);
    return { outcome, caused };
  }
  const grant = (userId: string, key: string, value: unknown, exam = examId) => command('GrantAllowance', { examId: exam, userId, key, value });
  const removal = (userId: string, key: string, exam = examId) => command('RemoveAllowance', { examId: exam, userId, key });

  async function startedAttempt(userId: string): Promise<string> {
    const created = await run(createAttempt({ examId, userId }));
    const id = created.caused.find((e) => e.type === 'AttemptCreated')!.data.attemptId as string;
    expect((await run(updateStatus({ examId, userId, toStatus: 'started' }))).outcome.type).toBe('CommandProcessed');
    return id;
  }

  /**
   * Moves the attempt's start `minutes` before now, with its derived expiry and sweep time, and the
   * time of an earlier limit change by as much (the whole past moves, as if it had happened then).
   */
  async function startedAgo(attemptId: string, minutes: number): Promise<Date> {
    const startedAt = new Date(Date.now() - minutes * MIN);
    await db().query(
      `UPDATE attempts.attempt SET started_at = $2::timestamptz,
          time_limit_changed_at = time_limit_changed_at + ($2::timestamptz - started_at),
          expires_at = $2::timestamptz + allowed_time_limit_mins * interval '1 minute',
          sweep_at = CASE WHEN sweep_at IS NULL THEN NULL ELSE $2::timestamptz + allowed_time_limit_mins * interval '1 minute' END
        WHERE id = $1`,
      [attemptId, startedAt],
    );
    return startedAt;
  }

  async function row(attemptId: string): Promise<Row> {
    const { rows } = await db().query<Row>(
      `SELECT id, status, started_at, completed_at, allowed_time_limit_mins, version, time_limit_changed_at, sweep_at FROM attempts.attempt WHERE id = $1`,
      [attemptId],
    );
    return rows[0];
  }

  const sweeperTimeouts = async (attemptIds: string[]) =>
    (
      await db().query<{ attempt_id: string; occurred_at: Date }>(
        `SELECT attempt_id, occurred_at FROM attempts.attempt_transition WHERE attempt_id = ANY($1::uuid[]) AND cause_type = 'sweeper'`,
        [attemptIds],
      )
    ).rows;

  describe('validation', () => {
    it.each([
      ['unknown_key', '30'],
      ['additional_time_granted', '0'],
      ['additional_time_granted', '10081'],
      ['time_multiplier', '1.0'],
      ['time_multiplier', '10.00001'],
      ['review_policy_exception', 'x'.repeat(1001)],
    ])('%s = %j is rejected INVALID_ALLOWANCE', async (key, value) => {
      const { outcome, caused } = await run(grant(uniq('u-bad'), key, value));
      expect(outcome).toMatchObject({ type: 'CommandRejected', data: { reason: 'INVALID_ALLOWANCE', commandType: 'GrantAllowance' } });
      expect(caused.map((e) => e.type)).toEqual(['CommandRejected']);
    });

    it('a value that is not a string is INVALID_MESSAGE', async () => {
      const { outcome } = await run(grant(uniq('u-num'), 'additional_time_granted', 30));
      expect(outcome).toMatchObject({ type: 'CommandRejected', data: { reason: 'INVALID_MESSAGE' } });
    });

    it('an unknown exam is EXAM_NOT_FOUND; a grant on an inactive exam is EXAM_NOT_ACTIVE, its removal is not', async () => {
      const userId = uniq('u-inactive');
      expect((await run(grant(userId, 'additional_time_granted', '30', uniq('no-exam')))).outcome.data.reason).toBe('EXAM_NOT_FOUND');
      expect((await run(grant(userId, 'additional_time_granted', '30', inactiveExam))).outcome.data.reason).toBe('EXAM_NOT_ACTIVE');
      expect((await run(removal(userId, 'additional_time_granted', inactiveExam))).outcome).toMatchObject({ type: 'CommandProcessed', data: { outcome: 'noop' } });
      // a row granted while active can be removed once the exam is inactive (set up directly: the grant would be refused)
      await db().query(
        `INSERT INTO attempts.allowance (exam_id, user_id, key, value, from_multiplier, created_at, updated_at) VALUES ($1, $2, 'additional_time_granted', '30', false, now(), now())`,
        [inactiveExam, userId],
      );
      const removed = await run(removal(userId, 'additional_time_granted', inactiveExam));
      expect(removed.caused.map((e) => e.type)).toEqual(['AllowanceRemoved', 'CommandProcessed']);
      expect(removed.outcome.data.outcome).toBe('applied');
    });
  });

  it('stores one allowance per key, upserted, with its history; events keyed by the learner; a missing removal is a noop', async () => {
    const userId = uniq('u-hist');
    const first = await run(grant(userId, 'additional_time_granted', '30'));
    expect(first.caused.map((e) => e.type)).toEqual(['AllowanceGranted', 'CommandProcessed']);
    expect(first.caused[0].data).toEqual({ examId, courseId, userId, key: 'additional_time_granted', value: '30' });
    expect((await run(grant(userId, 'additional_time_granted', '30'))).outcome.data.outcome).toBe('noop');
    expect((await run(grant(userId, 'additional_time_granted', '45'))).outcome.data.outcome).toBe('applied');
    expect((await run(removal(userId, 'additional_time_granted'))).outcome.data.outcome).toBe('applied');
    expect((await run(removal(userId, 'additional_time_granted'))).outcome.data.outcome).toBe('noop');
    const keys = events.messages.filter((m) => m.json?.causationid === first.outcome.causationid).map((m) => m.key);
    expect(new Set(keys)).toEqual(new Set([userId]));
    const history = await db().query(`SELECT key, action, value FROM attempts.allowance_history WHERE exam_id = $1 AND user_id = $2 ORDER BY id`, [examId, userId]);
    expect(history.rows).toEqual([
      { key: 'additional_time_granted', action: 'granted', value: '30' },
      { key: 'additional_time_granted', action: 'granted', value: '45' },
      { key: 'additional_time_granted', action: 'removed', value: '45' },
    ]);
    expect((await db().query(`SELECT 1 FROM attempts.allowance WHERE exam_id = $1 AND user_id = $2`, [examId, userId])).rowCount).toBe(0);
  });

  it('a multiplier grants ⌊T × (m − 1) + ½⌋ minutes in exact decimal; removing it removes only the minutes it produced', async () => {
    const t5 = uniq('exam-t5');
    await run(registerExam({ examId: t5, courseId, timeLimitMins: 5 }));
    const userId = uniq('u-mult');
    // 5 × 1.3 = 6.5 exactly: 7 (upstream's float round: 6); 5 × 0.5 = 2.5: 3 (upstream's round half even: 2)
    await run(grant(userId, 'time_multiplier', '2.3', t5));
    const rows = async () => (await db().query(`SELECT key, value, from_multiplier FROM attempts.allowance WHERE exam_id = $1 AND user_id = $2 ORDER BY key`, [t5, userId])).rows;
    expect(await rows()).toEqual([
      { key: 'additional_time_granted', value: '7', from_multiplier: true },
      { key: 'time_multiplier', value: '2.3', from_multiplier: false },
    ]);
    await run(grant(userId, 'time_multiplier', '1.5', t5));
    expect((await rows())[0]).toEqual({ key: 'additional_time_granted', value: '3', from_multiplier: true });
    const created = await run(createAttempt({ examId: t5, userId }));
    expect(created.caused.find((e) => e.type === 'AttemptCreated')!.data.allowedTimeLimitMins).toBe(8);
    await run(removal(userId, 'time_multiplier', t5));
    expect(await rows()).toEqual([]);

    // minutes granted directly stay when the multiplier goes
    const other = uniq('u-mult2');
    await run(grant(other, 'time_multiplier', '2', t5));
    await run(grant(other, 'additional_time_granted', '20', t5));
    await run(removal(other, 'time_multiplier', t5));
    expect((await db().query(`SELECT key, value, from_multiplier FROM attempts.allowance WHERE exam_id = $1 AND user_id = $2`, [t5, other])).rows).toEqual([
      { key: 'additional_time_granted', value: '20', from_multiplier: false },
    ]);
  });

  it('time granted before creation sets allowedTimeLimitMins (the command’s additionalTimeMins applies only without one)', async () => {
    const userId = uniq('u-before');
    await run(grant(userId, 'additional_time_granted', '30'));
    const created = await run(createAttempt({ examId, userId, additionalTimeMins: 15 }));
    expect(created.caused.find((e) => e.type === 'AttemptCreated')!.data.allowedTimeLimitMins).toBe(90);
    const plain = await run(createAttempt({ examId, userId: uniq('u-plain'), additionalTimeMins: 15 }));
    expect(plain.caused.find((e) => e.type === 'AttemptCreated')!.data.allowedTimeLimitMins).toBe(75);
  });

  it('a learner granted 30 extra minutes after starting is timed out 30 minutes later than without it, by the real sweeper', async () => {
    const without = uniq('u-plain60');
    const withTime = uniq('u-plus30');
    const a = await startedAttempt(without);
    const b = await startedAttempt(withTime);
    const granted = await run(grant(withTime, 'additional_time_granted', '30'));
    expect(granted.caused.map((e) => e.type)).toEqual(['AllowanceGranted', 'AttemptTimeLimitChanged', 'CommandProcessed']);
    expect(granted.caused[1]).toMatchObject({ subject: b, data: { attemptId: b, fromMins: 60, toMins: 90, version: 3 } });
    expect((await row(b)).version).toBe(3);

    // both started 70 minutes ago: the one without extra time is timed out at the next sweep, the other is not
    const startA = await startedAgo(a, 70);
    const startB = await startedAgo(b, 70);
    await service.runtime.sweeper.sweepOnce();
    expect(await row(a)).toMatchObject({ status: 'submitted', completed_at: new Date(startA.getTime() + 60 * MIN) });
    expect(await row(b)).toMatchObject({ status: 'started', allowed_time_limit_mins: 90 });

    // 89 minutes in: still running; 95 minutes in: timed out, completed at start + 90
    await startedAgo(b, 89);
    await service.runtime.sweeper.sweepOnce();
    expect((await row(b)).status).toBe('started');
    const startB2 = await startedAgo(b, 95);
    await service.runtime.sweeper.sweepOnce();
    const done = await row(b);
    expect(done).toMatchObject({ status: 'submitted', completed_at: new Date(startB2.getTime() + 90 * MIN) });
    expect(done.completed_at!.getTime() - startB2.getTime() - ((await row(a)).completed_at!.getTime() - startA.getTime())).toBe(30 * MIN);
    void startB;
  });

  it('removal makes an attempt expire at the next sweep, completed at max(new expiry, time of the removal)', async () => {
    const userId = uniq('u-removal');
    const id = await startedAttempt(userId);
    await run(grant(userId, 'additional_time_granted', '30'));
    const startedAt = await startedAgo(id, 70);
    await service.runtime.sweeper.sweepOnce();
    expect((await row(id)).status).toBe('started');

    const removed = await run(removal(userId, 'additional_time_granted'));
    expect(removed.caused.map((e) => e.type)).toEqual(['AllowanceRemoved', 'AttemptTimeLimitChanged', 'CommandProcessed']);
    expect(removed.caused[1].data).toMatchObject({ fromMins: 90, toMins: 60, expiresAt: new Date(startedAt.getTime() + 60 * MIN).toISOString(), version: 4 });
    const changed = await row(id);
    expect(changed).toMatchObject({ status: 'started', allowed_time_limit_mins: 60, sweep_at: new Date(startedAt.getTime() + 60 * MIN) });

    await service.runtime.sweeper.sweepOnce();
    const done = await row(id);
    expect(done.status).toBe('submitted');
    // the new expiry (10 minutes ago) is before the removal: completed at the removal, never before it
    expect(done.completed_at).toEqual(changed.time_limit_changed_at);
    expect(done.completed_at!.getTime()).toBeGreaterThan(startedAt.getTime() + 60 * MIN);
  });

  it('time granted to an attempt already expired but not swept times it out first; a completed attempt is not touched', async () => {
    const userId = uniq('u-expired');
    const id = await startedAttempt(userId);
    const startedAt = await startedAgo(id, 61);
    const granted = await run(grant(userId, 'additional_time_granted', '30'));
    // (the credit event is on the credential topic: ordered with these per key, not across topics)
    expect(granted.caused.filter((e) => e.type !== 'CredentialRequirementUpdated').map((e) => e.type)).toEqual([
      'AllowanceGranted',
      'AttemptStatusChanged',
      'CommandProcessed',
    ]);
    await events.waitFor((e) => e.type === 'CredentialRequirementUpdated' && e.causationid === granted.outcome.causationid && e.data.status === 'submitted');
    expect(await row(id)).toMatchObject({ status: 'submitted', allowed_time_limit_mins: 60, completed_at: new Date(startedAt.getTime() + 60 * MIN) });

    // after completion: the allowance is stored, the attempt untouched
    const before = await row(id);
    const again = await run(grant(userId, 'additional_time_granted', '45'));
    expect(again.caused.map((e) => e.type)).toEqual(['AllowanceGranted', 'CommandProcessed']);
    expect(await row(id)).toEqual(before);
  });

  it('a review policy exception is stored and shown by the read API, never on the shared events topic', async () => {
    const userId = uniq('u-policy');
    const text = `Screen reader and extra breaks ${uniq('marker')}`;
    const id = await startedAttempt(userId);
    const granted = await run(grant(userId, 'review_policy_exception', text));
    expect(granted.caused.map((e) => e.type)).toEqual(['AllowanceGranted', 'CommandProcessed']);
    expect(granted.caused[0].data).toEqual({ examId, courseId, userId, key: 'review_policy_exception' });
    const removed = await run(removal(userId, 'review_policy_exception'));
    await run(grant(userId, 'review_policy_exception', text));
    expect(removed.caused[0].data).toEqual({ examId, courseId, userId, key: 'review_policy_exception' });
    for (const m of events.messages) expect(m.raw?.toString('utf8') ?? '').not.toContain(text);

    const view = await getJson(`${service.url}/attempts/${id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ reviewPolicyException: text, allowances: [{ key: 'review_policy_exception', value: text }] });
  });

  it('two instances sweeping while allowances change: no attempt timed out early, none twice', async () => {
    const a = await startOpsService(topics, { SWEEPER_INTERVAL_MS: '100' });
    extra.push(a);
    const b = await startOpsService(topics, { SWEEPER_INTERVAL_MS: '100' });
    extra.push(b);
    const group = (tag: string, n: number) => Array.from({ length: n }, () => uniq(`u-race-${tag}`));
    const keep = group('keep', 6); // +30 already, started 70 min ago, more time granted during the sweeps: never timed out
    const late = group('late', 6); // started 50 min ago, +30 granted during the sweeps: never timed out
    const lose = group('lose', 6); // +30, started 70 min ago, removed during the sweeps: timed out once, not before the removal
    const plain = group('plain', 6); // started 65 min ago: timed out once, at its expiry
    const ids = new Map<string, string>();
    const starts = new Map<string, Date>();
    for (const u of [...keep, ...late, ...lose, ...plain]) ids.set(u, await startedAttempt(u));
    for (const u of [...keep, ...lose]) await run(grant(u, 'additional_time_granted', '30'));
    for (const u of [...keep, ...lose]) starts.set(u, await startedAgo(ids.get(u)!, 70));
    for (const u of late) starts.set(u, await startedAgo(ids.get(u)!, 50));
    for (const u of plain) starts.set(u, await startedAgo(ids.get(u)!, 65));

    a.runtime.sweeper.start();
    b.runtime.sweeper.start();
    const changes = [
      ...keep.map((u) => grant(u, 'additional_time_granted', '45')),
      ...late.map((u) => grant(u, 'additional_time_granted', '30')),
      ...lose.map((u) => removal(u, 'additional_time_granted')),
    ];
    await publish(producer, topics.commands, ...changes);
    for (const c of changes) await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === c.id);
    const all = [...ids.values()];
    const expected = [...lose, ...plain].map((u) => ids.get(u)!);
    await expectEventually(async () => expect((await sweeperTimeouts(expected)).length).toBe(expected.length), 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // many more sweeps by both
    await a.runtime.sweeper.stop();
    await b.runtime.sweeper.stop();

    const timeouts = await sweeperTimeouts(all);
    const count = (id: string) => timeouts.filter((t) => t.attempt_id === id).length;
    for (const u of [...keep, ...late]) {
      expect({ u, n: count(ids.get(u)!), status: (await row(ids.get(u)!)).status }).toEqual({ u, n: 0, status: 'started' });
    }
    for (const u of keep) expect((await row(ids.get(u)!)).allowed_time_limit_mins).toBe(105);
    for (const u of late) expect((await row(ids.get(u)!)).allowed_time_limit_mins).toBe(90);
    for (const u of plain) {
      const r = await row(ids.get(u)!);
      expect({ u, n: count(r.id), status: r.status, completed: r.completed_at }).toEqual({ u, n: 1, status: 'submitted', completed: new Date(starts.get(u)!.getTime() + 60 * MIN) });
    }
    for (const u of lose) {
      const r = await row(ids.get(u)!);
      expect({ u, n: count(r.id), status: r.status }).toEqual({ u, n: 1, status: 'submitted' });
      // timed out after the removal, completed at the removal (its new expiry had passed)
      expect(r.completed_at).toEqual(r.time_limit_changed_at);
      expect(timeouts.find((t) => t.attempt_id === r.id)!.occurred_at.getTime()).toBeGreaterThanOrEqual(r.time_limit_changed_at!.getTime());
    }
  }, 60_000);
});
