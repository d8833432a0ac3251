import { createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { createdIn, Harness, ids, type CreatedAttempt, type RunResult } from './attempt-service.harness';

/**
 * The cascade (SPEC §2 rule 5 and 6; edx-proctoring-tests.md C, the 0.10.5 rows): a learner's
 * attempt moving to a CASCADE_STATUSES status declines their other active, proctored, non-practice
 * exams of the course, in contentId order.
 */
describe('attempt-service cascade (SPEC §2 rules 5-6, upstream test_cascading)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('cascade');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const summary = (r: RunResult) => r.events.map((e) => `${e.type}:${(e.data.examId ?? e.data.name ?? '') as string}`);

  async function ok(c: ReturnType<typeof registerExam>): Promise<RunResult> {
    const r = await h.run(c);
    expect(r.outcome.type).toBe('CommandProcessed');
    return r;
  }

  /**
   * The upstream fixture: a course with the main proctored exam, a 2nd proctored exam, a practice,
   * a timed and an inactive exam. contentIds sort main < second < the others.
   */
  async function course(tag: string, o: { mainProvider?: string; secondTimeLimit?: number; secondProvider?: string } = {}) {
    const { courseId, exam, user } = ids(tag);
    const e = {
      main: exam('main'),
      second: exam('second'),
      practice: exam('practice'),
      timed: exam('timed'),
      inactive: exam('inactive'),
    };
    await ok(registerExam({ examId: e.main, courseId, contentId: 'block-1-main', ...(o.mainProvider ? { provider: o.mainProvider } : {}) }));
    await ok(
      registerExam({
        examId: e.second,
        courseId,
        contentId: 'block-2-second',
        timeLimitMins: o.secondTimeLimit ?? 60,
        ...(o.secondProvider ? { provider: o.secondProvider } : {}),
      }),
    );
    await ok(registerExam({ examId: e.practice, courseId, contentId: 'block-3-practice', isPracticeExam: true }));
    await ok(registerExam({ examId: e.timed, courseId, contentId: 'block-4-timed', isProctored: false }));
    await ok(registerExam({ examId: e.inactive, courseId, contentId: 'block-5-inactive', isActive: false }));
    return { courseId, e, userId: user() };
  }

  async function create(examId: string, userId: string, extra: Record<string, unknown> = {}): Promise<CreatedAttempt> {
    const r = await h.run(createAttempt({ examId, userId, ...extra }));
    return createdIn(r.events);
  }

  async function status(attemptId: string, toStatus: string): Promise<RunResult> {
    const r = await h.run(updateStatus({ attemptId, toStatus }));
    expect(r.outcome).toMatchObject({ type: 'CommandProcessed', data: { outcome: 'applied' } });
    return r;
  }

  async function expectNoAttempts(userId: string, ...examIds: string[]) {
    const { rows } = await h.db.query('SELECT exam_id FROM attempts.attempt WHERE user_id = $1 AND exam_id = ANY($2::text[])', [userId, examIds]);
    expect(rows).toEqual([]);
  }

  const matrix: [string, string, string][] = [
    // trigger, the 2nd exam's attempt before, the 2nd exam's status after (0.10.5)
    ['declined', 'none', 'declined'],
    ['rejected', 'none', 'declined'],
    ['declined', 'created', 'declined'],
    ['rejected', 'created', 'declined'],
    ['declined', 'verified', 'verified'],
    ['rejected', 'verified', 'verified'],
    ['declined', 'submitted', 'submitted'],
    ['rejected', 'submitted', 'submitted'],
  ];

  it.each(matrix)('started → %s with the 2nd exam %s: the 2nd attempt ends %s; practice, timed and inactive get none', async (to, second, expected) => {
    const { courseId, e, userId } = await course(`m-${to}-${second}`);
    let secondAttempt: CreatedAttempt | undefined;
    if (second !== 'none') {
      // taken as proctored with an external id: a cascaded decline must not clear either
      secondAttempt = await create(e.second, userId, { externalId: 'ext-second' });
      if (second !== 'created') {
        await status(secondAttempt.attemptId, 'started');
        await status(secondAttempt.attemptId, second);
      }
    }
    const main = await create(e.main, userId, { externalId: 'ext-main' });
    const mainId = main.attemptId;
    await status(mainId, 'started');
    const trigger = updateStatus({ attemptId: mainId, toStatus: to });
    const r = await h.run(trigger);

    // the trigger's change, and its credit event first
    expect(r.events[0]).toMatchObject({ type: 'AttemptStatusChanged', subject: mainId, data: { fromStatus: 'started', toStatus: to, version: 3 } });
    expect(r.events[0].data).not.toHaveProperty('cascadeFromAttemptId');
    expect(r.events[1]).toMatchObject({ type: 'CredentialRequirementUpdated', data: { name: 'block-1-main', status: 'failed', attemptId: mainId } });
    const mainRow = await h.attemptRow(mainId);
    expect(mainRow).toMatchObject({ status: to, version: 3 });
    if (to === 'declined') {
      expect(r.events[0].data.takingAsProctored).toBe(false);
      expect(mainRow).toMatchObject({ taking_as_proctored: false, external_id: null });
    } else {
      expect(r.events[0].data.takingAsProctored).toBe(true);
      expect(mainRow).toMatchObject({ taking_as_proctored: true, external_id: 'ext-main' });
    }

    const cascaded = r.events.slice(2, -1);
    if (second === 'none') {
      expect(cascaded.map((x) => x.type)).toEqual(['AttemptCreated', 'AttemptStatusChanged', 'CredentialRequirementUpdated']);
      const [created, changed, credit] = cascaded;
      const newId = created.data.attemptId as string;
      expect(created.data).toMatchObject({
        examId: e.second,
        userId,
        status: 'created',
        version: 1,
        takingAsProctored: false,
        isSampleAttempt: false,
        externalId: null,
        user: main.user,
      });
      expect(changed.data).toMatchObject({ attemptId: newId, fromStatus: 'created', toStatus: 'declined', cascadeFromAttemptId: mainId, version: 2, takingAsProctored: false });
      expect(credit.data).toMatchObject({ attemptId: newId, name: 'block-2-second', status: 'failed', attemptVersion: 2, courseId });
      expect(await h.attemptRow(newId)).toMatchObject({ status: 'declined', version: 2, taking_as_proctored: false, username: `name-${userId}` });
    } else if (second === 'created') {
      expect(cascaded.map((x) => x.type)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated']);
      expect(cascaded[0].data).toMatchObject({
        attemptId: secondAttempt!.attemptId,
        fromStatus: 'created',
        toStatus: 'declined',
        cascadeFromAttemptId: mainId,
        version: 2,
        takingAsProctored: true,
      });
      expect(cascaded[1].data).toMatchObject({ attemptId: secondAttempt!.attemptId, status: 'failed' });
      expect(await h.attemptRow(secondAttempt!.attemptId)).toMatchObject({ status: 'declined', taking_as_proctored: true, external_id: 'ext-second' });
    } else {
      expect(cascaded).toEqual([]);
      expect(await h.attemptRow(secondAttempt!.attemptId)).toMatchObject({ status: expected, version: 3 });
    }
    expect(r.outcome).toMatchObject({ type: 'CommandProcessed', data: { outcome: 'applied' } });
    for (const x of r.events) expect(x).toMatchObject({ causationid: trigger.id, correlationid: trigger.id });
    // every event of the command is keyed by the learner
    for (const x of r.events) expect(h.messageOf(x.id).key).toBe(userId);

    const after = await h.attemptFor(e.second, userId);
    expect(after?.status).toBe(expected);
    await expectNoAttempts(userId, e.practice, e.timed, e.inactive);
  });

  it('cascades to every other exam in contentId order, whatever order the exams were registered in', async () => {
    const { courseId, exam, user } = ids('order');
    const userId = user();
    // registered in an order that differs from both the examId and the contentId order
    await ok(registerExam({ examId: exam('a'), courseId, contentId: 'block-c' }));
    await ok(registerExam({ examId: exam('b'), courseId, contentId: 'block-a' }));
    await ok(registerExam({ examId: exam('c'), courseId, contentId: 'block-d' }));
    await ok(registerExam({ examId: exam('d'), courseId, contentId: 'block-b' }));
    const existing = await create(exam('d'), userId); // block-b, created → declined
    const trigger = await create(exam('c'), userId); // block-d triggers
    const r = await h.run(updateStatus({ attemptId: trigger.attemptId, toStatus: 'declined' }));
    expect(summary(r)).toEqual([
      `AttemptStatusChanged:${exam('c')}`,
      'CredentialRequirementUpdated:block-d',
      `AttemptCreated:${exam('b')}`, // block-a
      `AttemptStatusChanged:${exam('b')}`,
      'CredentialRequirementUpdated:block-a',
      `AttemptStatusChanged:${exam('d')}`, // block-b, existing
      'CredentialRequirementUpdated:block-b',
      `AttemptCreated:${exam('a')}`, // block-c
      `AttemptStatusChanged:${exam('a')}`,
      'CredentialRequirementUpdated:block-c',
      'CommandProcessed:',
    ]);
    expect(r.events[5].data).toMatchObject({ attemptId: existing.attemptId, cascadeFromAttemptId: trigger.attemptId });
    // the cascade does not cascade further: exactly one decline per exam
    const { rows } = await h.db.query('SELECT exam_id, status, version FROM attempts.attempt WHERE user_id = $1 ORDER BY exam_id', [userId]);
    expect(rows).toEqual([
      { exam_id: exam('a'), status: 'declined', version: 2 },
      { exam_id: exam('b'), status: 'declined', version: 2 },
      { exam_id: exam('c'), status: 'declined', version: 2 },
      { exam_id: exam('d'), status: 'declined', version: 2 },
    ]);
    // other learners are untouched
    const { rows: others } = await h.db.query(
      'SELECT count(*)::int AS n FROM attempts.attempt a JOIN attempts.exam e ON e.exam_id = a.exam_id WHERE e.course_id = $1 AND a.user_id <> $2',
      [courseId, userId],
    );
    expect(others[0].n).toBe(0);
  });

  it('times out an expired attempt on the other exam first (timeLimitMins 0, aliased to submitted, completed at its expiry) and then leaves it alone', async () => {
    const { e, userId } = await course('expired', { secondTimeLimit: 0 });
    const second = await create(e.second, userId);
    const started = await status(second.attemptId, 'started');
    const startedAt = started.events[0].data.startedAt as string;
    const main = await create(e.main, userId);
    await status(main.attemptId, 'started');
    const r = await status(main.attemptId, 'rejected');
    expect(summary(r)).toEqual([
      `AttemptStatusChanged:${e.main}`,
      'CredentialRequirementUpdated:block-1-main',
      `AttemptStatusChanged:${e.second}`,
      'CredentialRequirementUpdated:block-2-second',
      'CommandProcessed:',
    ]);
    // no provider, setting absent: started → timed_out is stored as submitted, completed at the expiry (startedAt + 0)
    expect(r.events[2].data).toMatchObject({ fromStatus: 'started', toStatus: 'submitted', requestedStatus: 'timed_out', statusAlias: 'pending', completedAt: startedAt, version: 3 });
    expect(r.events[3].data).toMatchObject({ status: 'submitted', attemptVersion: 3 });
    const row = await h.attemptRow(second.attemptId);
    expect(row).toMatchObject({ status: 'submitted', version: 3 });
    expect((row!.completed_at as Date).toISOString()).toBe(startedAt);
    await expectNoAttempts(userId, e.practice, e.timed, e.inactive);
  });

  it('an expired attempt whose provider allows timed_out is stored timed_out (started_at set in the past), then left alone', async () => {
    const { e, userId } = await course('expired-pt', { secondTimeLimit: 1, secondProvider: 'proctortrack' });
    const second = await create(e.second, userId);
    await status(second.attemptId, 'started');
    // test set-up on this test's own row: the attempt started 5 minutes ago (its limit is 1 minute)
    await h.db.query(`UPDATE attempts.attempt SET started_at = now() - interval '5 minutes' WHERE id = $1`, [second.attemptId]);
    const main = await create(e.main, userId);
    await status(main.attemptId, 'started');
    const r = await status(main.attemptId, 'declined');
    expect(summary(r)).toEqual([
      `AttemptStatusChanged:${e.main}`,
      'CredentialRequirementUpdated:block-1-main',
      `AttemptStatusChanged:${e.second}`,
      'CommandProcessed:',
    ]);
    expect(r.events[2].data).toMatchObject({ fromStatus: 'started', toStatus: 'timed_out', requestedStatus: 'timed_out', version: 3, completedAt: null });
    expect(r.events[2].data).not.toHaveProperty('cascadeFromAttemptId');
    expect(await h.attemptRow(second.attemptId)).toMatchObject({ status: 'timed_out', version: 3 });
  });

  it('proctortrack (CASCADE_STATUSES [declined]): rejected does not cascade, declined does', async () => {
    const { e, userId } = await course('pt', { mainProvider: 'proctortrack' });
    const main = await create(e.main, userId);
    await status(main.attemptId, 'started');
    const rejected = await status(main.attemptId, 'rejected');
    expect(summary(rejected)).toEqual([`AttemptStatusChanged:${e.main}`, 'CredentialRequirementUpdated:block-1-main', 'CommandProcessed:']);
    expect(await h.attemptFor(e.second, userId)).toBeUndefined();

    const other = (await course('pt2', { mainProvider: 'proctortrack' }));
    const m2 = await create(other.e.main, other.userId);
    const declined = await status(m2.attemptId, 'declined');
    expect(summary(declined)).toEqual([
      `AttemptStatusChanged:${other.e.main}`,
      'CredentialRequirementUpdated:block-1-main',
      `AttemptCreated:${other.e.second}`,
      `AttemptStatusChanged:${other.e.second}`,
      'CredentialRequirementUpdated:block-2-second',
      'CommandProcessed:',
    ]);
    expect(declined.events[0].data.takingAsProctored).toBe(false);
  });

  it('any kind of exam can trigger: a timed (not proctored) exam declined declines the proctored exams only', async () => {
    const { e, userId } = await course('timed-trigger');
    const timed = await create(e.timed, userId, { takingAsProctored: false });
    const r = await status(timed.attemptId, 'declined');
    expect(summary(r)).toEqual([
      `AttemptStatusChanged:${e.timed}`,
      'CredentialRequirementUpdated:block-4-timed',
      `AttemptCreated:${e.main}`,
      `AttemptStatusChanged:${e.main}`,
      'CredentialRequirementUpdated:block-1-main',
      `AttemptCreated:${e.second}`,
      `AttemptStatusChanged:${e.second}`,
      'CredentialRequirementUpdated:block-2-second',
      'CommandProcessed:',
    ]);
    expect(r.events[1].data).toMatchObject({ isProctored: false, isPracticeExam: false, status: 'failed' });
    await expectNoAttempts(userId, e.practice, e.inactive);
  });

  it('every collected event satisfies the v1 contract, with per-key sequences strictly increasing', () => {
    expect(h.assertContract()).toBeGreaterThan(50);
  });
});
