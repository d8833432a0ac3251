import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { createdIn, Harness, ids, type CreatedAttempt, type DbRow, type RunResult } from './attempt-service.harness';

/** RemoveAttempt and the replacement of sample attempts (SPEC §2 "Removing an attempt", "Creating an attempt"). */
describe('attempt-service remove and replace', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('remove');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const types = (r: RunResult) => r.events.map((e) => e.type);

  async function exam(o: { examId: string; courseId: string; [k: string]: unknown }): Promise<void> {
    const r = await h.run(registerExam(o));
    expect(r.outcome.type).toBe('CommandProcessed');
  }

  async function create(examId: string, userId: string, extra: Record<string, unknown> = {}): Promise<CreatedAttempt> {
    const r = await h.run(createAttempt({ examId, userId, ...extra }));
    return createdIn(r.events);
  }

  async function moveTo(attemptId: string, path: string[]): Promise<void> {
    for (const to of path) {
      const r = await h.run(updateStatus({ attemptId, toStatus: to }));
      expect(r.outcome.data.outcome).toBe('applied');
    }
  }

  const paths: Record<string, string[]> = {
    created: [],
    started: ['started'],
    second_review_required: ['started', 'second_review_required'],
    verified: ['started', 'submitted', 'verified'],
    submitted: ['started', 'submitted'],
    error: ['started', 'error'],
    declined: ['declined'],
    rejected: ['started', 'rejected'],
    not_reviewed: ['started', 'not_reviewed'],
  };
  const cases: [string, boolean][] = [
    ['verified', true],
    ['submitted', true],
    ['error', true],
    ['declined', true],
    ['rejected', true],
    ['not_reviewed', true],
    ['created', false],
    ['started', false],
    ['second_review_required', false],
  ];

  it.each(cases)('removing an attempt in %s: archived, AttemptRemoved (removed), credit removal %s', async (status, removesCredit) => {
    // one exam in the course, so a declined or rejected attempt cascades nowhere
    const { courseId, exam: examOf, user } = ids(`rm-${status}`);
    const examId = examOf();
    const userId = user();
    await exam({ examId, courseId, externalId: 'exam-ext' });
    const a = await create(examId, userId, { externalId: 'att-ext', additionalTimeMins: 5 });
    const attemptId = a.attemptId;
    await moveTo(attemptId, paths[status]);
    const before = await h.attemptRow(attemptId);
    expect(before?.status).toBe(status);

    const rm = command('RemoveAttempt', { examId, userId });
    const r = await h.run(rm);
    expect(types(r)).toEqual(removesCredit ? ['AttemptRemoved', 'CredentialRequirementRemoved', 'CommandProcessed'] : ['AttemptRemoved', 'CommandProcessed']);
    expect(r.events[0].data).toEqual({
      attemptId,
      attemptCode: a.attemptCode,
      examId,
      courseId,
      contentId: `block-${examId}`,
      userId,
      lastStatus: status,
      reason: 'removed',
    });
    expect(r.events[0].subject).toBe(attemptId);
    if (removesCredit) {
      expect(r.events[1].data).toEqual({ userId, courseId, namespace: 'proctored_exam', name: `block-${examId}`, attemptId });
      const m = h.messageOf(r.events[1].id);
      expect(m.topic).toBe(h.topics.credentialEvents);
      expect(m.key).toBe(userId);
    }
    expect(r.outcome.data).toEqual({ commandId: rm.id, commandType: 'RemoveAttempt', outcome: 'applied' });

    expect(await h.attemptRow(attemptId)).toBeUndefined();
    const history = await h.history(attemptId);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      attempt_code: a.attemptCode,
      exam_id: examId,
      user_id: userId,
      username: `name-${userId}`,
      status,
      version: before!.version,
      taking_as_proctored: before!.taking_as_proctored,
      external_id: before!.external_id,
      allowed_time_limit_mins: 65,
      started_at: before!.started_at,
      completed_at: before!.completed_at,
      archive_reason: 'removed',
      archived_by: rm.id,
    });
  });

  it('a removed attempt can be re-created (a new attemptId and code); the old id and code reach nothing', async () => {
    const { courseId, exam: examOf, user } = ids('recreate');
    const examId = examOf();
    const userId = user();
    await exam({ examId, courseId });
    const old = await create(examId, userId);
    await moveTo(old.attemptId, ['started', 'submitted']);
    await h.run(command('RemoveAttempt', { attemptId: old.attemptId }));
    const fresh = await create(examId, userId);
    expect(fresh.attemptId).not.toBe(old.attemptId);
    expect(fresh.attemptCode).not.toBe(old.attemptCode);
    expect(fresh).toMatchObject({ status: 'created', version: 1 });
    // a late review for the old attempt, by id or by code, never reaches the new one
    for (const ref of [{ attemptId: old.attemptId }, { attemptCode: old.attemptCode }]) {
      const r = await h.run(updateStatus({ ...ref, toStatus: 'verified' }));
      expect(r.outcome.data.reason).toBe('ATTEMPT_NOT_FOUND');
    }
    expect(await h.attemptRow(fresh.attemptId)).toMatchObject({ status: 'created', version: 1 });
    expect(await h.history(old.attemptId)).toHaveLength(1);
  });

  it('remove and re-create in one batch (same key, one send) both apply', async () => {
    const { courseId, exam: examOf, user } = ids('rm-batch');
    const examId = examOf();
    const userId = user();
    await exam({ examId, courseId });
    const old = await create(examId, userId);
    const rm = command('RemoveAttempt', { examId, userId });
    const again = createAttempt({ examId, userId, takingAsProctored: false });
    const start = updateStatus({ examId, userId, toStatus: 'started' });
    await h.send([rm, again, start]);
    const r3 = await h.settle(start.id);
    const r1 = h.causedBy(rm.id);
    const r2 = h.causedBy(again.id);
    expect(r1.map((e) => e.type)).toEqual(['AttemptRemoved', 'CommandProcessed']);
    expect(r2.map((e) => e.type)).toEqual(['AttemptCreated', 'CommandProcessed']);
    const newId = r2[0].data.attemptId;
    expect(r3.events[0]).toMatchObject({ type: 'AttemptStatusChanged', subject: newId, data: { version: 2, takingAsProctored: false } });
    expect(await h.attemptRow(old.attemptId)).toBeUndefined();
    expect(await h.attemptFor(examId, userId)).toMatchObject({ id: newId, status: 'started', version: 2 });
  });

  it('re-creating a practice (sample) attempt archives the old one as replaced, with AttemptRemoved replaced and no credit removal', async () => {
    const { courseId, exam: examOf, user } = ids('practice');
    const examId = examOf();
    const userId = user();
    await exam({ examId, courseId, isPracticeExam: true });
    const old = await create(examId, userId);
    expect(old.isSampleAttempt).toBe(true);
    // submitted writes a credit requirement; replacing must not remove it
    await moveTo(old.attemptId, ['started', 'submitted']);
    const c = createAttempt({ examId, userId });
    const r = await h.run(c);
    expect(types(r)).toEqual(['AttemptRemoved', 'AttemptCreated', 'CommandProcessed']);
    expect(r.events[0].data).toMatchObject({ attemptId: old.attemptId, lastStatus: 'submitted', reason: 'replaced' });
    const fresh = r.events[1].data;
    expect(fresh.attemptId).not.toBe(old.attemptId);
    expect(fresh).toMatchObject({ status: 'created', version: 1, isSampleAttempt: true });
    expect(r.outcome.data.outcome).toBe('applied');
    const history = await h.history(old.attemptId);
    expect(history).toEqual([expect.objectContaining({ status: 'submitted', archive_reason: 'replaced', archived_by: c.id, version: 3 })]);
    expect(await h.attemptFor(examId, userId)).toMatchObject({ id: fresh.attemptId, status: 'created' });
  });

  it('attempts declined by a cascade stay declined after the triggering attempt is removed', async () => {
    const { courseId, exam: examOf, user } = ids('rm-cascade');
    const userId = user();
    await exam({ examId: examOf(1), courseId, contentId: 'block-1' });
    await exam({ examId: examOf(2), courseId, contentId: 'block-2' });
    await exam({ examId: examOf(3), courseId, contentId: 'block-3' });
    const existing = await create(examOf(3), userId);
    const trigger = await create(examOf(1), userId);
    await moveTo(trigger.attemptId, ['started', 'declined']);
    const declined = await h.db.query<DbRow>('SELECT id, exam_id, status, version FROM attempts.attempt WHERE user_id = $1 AND exam_id <> $2 ORDER BY exam_id', [
      userId,
      examOf(1),
    ]);
    expect(declined.rows.map((r) => [r.exam_id, r.status])).toEqual([
      [examOf(2), 'declined'],
      [examOf(3), 'declined'],
    ]);
    const r = await h.run(command('RemoveAttempt', { attemptId: trigger.attemptId }));
    expect(types(r)).toEqual(['AttemptRemoved', 'CredentialRequirementRemoved', 'CommandProcessed']);
    const after = await h.db.query<DbRow>('SELECT id, exam_id, status, version FROM attempts.attempt WHERE user_id = $1 ORDER BY exam_id', [userId]);
    expect(after.rows).toEqual(declined.rows);
    expect(after.rows[1].id).toBe(existing.attemptId);
    // and a re-created trigger starts afresh without touching them
    const again = await create(examOf(1), userId);
    await moveTo(again.attemptId, ['started']);
    const final = await h.db.query<DbRow>('SELECT exam_id, status FROM attempts.attempt WHERE user_id = $1 ORDER BY exam_id', [userId]);
    expect(final.rows.map((x) => x.status)).toEqual(['started', 'declined', 'declined']);
  });

  it('every collected event satisfies the v1 contract, with per-key sequences strictly increasing', () => {
    expect(h.assertContract()).toBeGreaterThan(40);
  });
});
