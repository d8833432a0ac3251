import { randomUUID } from 'node:crypto';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { Harness, ids, UUID_RE, type RunResult, type SeenEvent, type TestCommand } from './attempt-service.harness';

/**
 * Every command type and rejection reason through the real service, with every event's fields
 * checked against SPEC §3 (envelope, data, Kafka key and topic) and, at the end, against the v1
 * contract schemas.
 */
describe('attempt-service commands and events (SPEC §2, §3)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('cmds');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const SOURCE = 'urn:proctoring:attempt-service';
  /** Something shaped like an address (the messages may mention the '@' character itself). */
  const EMAIL_ADDRESS = /[^\s'"@]+@[^\s'"@]+/;
  const types = (r: RunResult) => r.events.map((e) => e.type);
  const only = (r: RunResult, type: string): SeenEvent => {
    const found = r.events.filter((e) => e.type === type);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const withCorrelation = (c: TestCommand, correlationid: string): TestCommand => ({ ...c, correlationid });

  async function register(o: { examId: string; courseId: string; [k: string]: unknown }): Promise<RunResult> {
    const r = await h.run(registerExam(o));
    expect(r.outcome).toMatchObject({ type: 'CommandProcessed', data: { outcome: 'applied' } });
    return r;
  }

  async function create(examId: string, userId: string, extra: Record<string, unknown> = {}): Promise<SeenEvent> {
    const r = await h.run(createAttempt({ examId, userId, ...extra }));
    expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
    return r.events[0];
  }

  async function status(ref: Record<string, unknown>, toStatus: string): Promise<RunResult> {
    return h.run(updateStatus({ ...ref, toStatus }));
  }

  function expectRejected(r: RunResult, reason: string, commandType: string): SeenEvent {
    expect(types(r)).toEqual(['CommandRejected']);
    expect(r.outcome.data).toEqual({ commandId: r.outcome.causationid, commandType, reason, message: expect.any(String) });
    expect(r.outcome.data.message).not.toMatch(EMAIL_ADDRESS);
    return r.outcome;
  }

  /** The envelope every event carries, for a command `c`; `subject`: the attempt id of attempt events, absent (undefined) or 'any' (not checked). */
  function expectEnvelope(e: SeenEvent, c: TestCommand, type: string, subject?: string) {
    expect(e).toMatchObject({
      specversion: '1.0',
      source: SOURCE,
      type,
      datacontenttype: 'application/json',
      causationid: c.id,
      correlationid: (c as { correlationid?: string }).correlationid ?? c.id,
    });
    expect(e.id).toMatch(UUID_RE);
    expect(e.sequence).toMatch(/^[1-9][0-9]*$/);
    expect(new Date(e.time).toISOString()).toBe(e.time);
    if (subject === undefined) expect(e).not.toHaveProperty('subject');
    else if (subject !== 'any') expect(e.subject).toBe(subject);
  }

  describe('RegisterExam', () => {
    it('applies, then acknowledges an identical registration as noop, then stores changed fields; outcome keyed by courseId', async () => {
      const { courseId, exam } = ids('reg');
      const examId = exam();
      const c = withCorrelation(registerExam({ examId, courseId, courseName: 'Course ÄÖ' }), `corr-${randomUUID()}`);
      const before = Date.now();
      const r = await h.run(c);
      expect(types(r)).toEqual(['CommandProcessed']);
      expectEnvelope(r.outcome, c, 'CommandProcessed');
      expect(r.outcome.data).toEqual({ commandId: c.id, commandType: 'RegisterExam', outcome: 'applied' });
      expect(r.outcome.sequence).toBe('1');
      expect(Date.parse(r.outcome.time)).toBeGreaterThanOrEqual(before - 1000);
      const m = h.messageOf(r.outcome.id);
      expect(m.key).toBe(courseId);
      expect(m.topic).toBe(h.topics.attemptEvents);
      const { rows } = await h.db.query('SELECT * FROM attempts.exam WHERE exam_id = $1', [examId]);
      expect(rows[0]).toMatchObject({
        course_id: courseId,
        content_id: `block-${examId}`,
        exam_name: `Exam ${examId}`,
        course_name: 'Course ÄÖ',
        time_limit_mins: 60,
        is_proctored: true,
        is_practice_exam: false,
        is_active: true,
        provider: null,
        external_id: null,
      });

      const again = await h.run(registerExam({ examId, courseId, courseName: 'Course ÄÖ' }));
      expect(again.outcome.data.outcome).toBe('noop');
      expect(again.outcome.sequence).toBe('2');

      const changed = await h.run(
        registerExam({ examId, courseId, courseName: 'Renamed', examName: 'Final', timeLimitMins: 30, isActive: false, provider: 'proctortrack', externalId: 'ext-exam', isPracticeExam: true }),
      );
      expect(changed.outcome.data.outcome).toBe('applied');
      const { rows: after } = await h.db.query('SELECT * FROM attempts.exam WHERE exam_id = $1', [examId]);
      expect(after[0]).toMatchObject({ exam_name: 'Final', course_name: 'Renamed', time_limit_mins: 30, is_active: false, provider: 'proctortrack', external_id: 'ext-exam', is_practice_exam: true });
    });

    it('accepts the configured providers and rejects any other with UNKNOWN_PROVIDER, storing nothing', async () => {
      const { courseId, exam } = ids('prov');
      await register({ examId: exam(1), courseId, provider: 'software_secure' });
      await register({ examId: exam(2), courseId, provider: 'proctortrack' });
      const c = registerExam({ examId: exam(3), courseId, provider: 'examity' });
      const r = await h.run(c);
      expectRejected(r, 'UNKNOWN_PROVIDER', 'RegisterExam');
      expectEnvelope(r.outcome, c, 'CommandRejected');
      expect(h.messageOf(r.outcome.id).key).toBe(courseId);
      const { rows } = await h.db.query('SELECT exam_id, provider FROM attempts.exam WHERE course_id = $1 ORDER BY exam_id', [courseId]);
      expect(rows).toEqual([
        { exam_id: exam(1), provider: 'software_secure' },
        { exam_id: exam(2), provider: 'proctortrack' },
      ]);
    });

    it('rejects EXAM_CONFLICT when (courseId, contentId) belongs to another exam', async () => {
      const { courseId, exam } = ids('conf');
      await register({ examId: exam(1), courseId, contentId: 'block-shared' });
      const r = await h.run(registerExam({ examId: exam(2), courseId, contentId: 'block-shared' }));
      expectRejected(r, 'EXAM_CONFLICT', 'RegisterExam');
      const { rows } = await h.db.query('SELECT exam_id FROM attempts.exam WHERE course_id = $1', [courseId]);
      expect(rows).toEqual([{ exam_id: exam(1) }]);
      // the same examId may keep (or take back) its contentId
      await register({ examId: exam(1), courseId, contentId: 'block-shared', examName: 'renamed' });
    });
  });

  describe('CreateAttempt', () => {
    it('creates an attempt: AttemptCreated with every field, then CommandProcessed, keyed by userId', async () => {
      const { courseId, exam, user } = ids('create');
      const examId = exam();
      const userId = user();
      await register({ examId, courseId, provider: 'software_secure', courseName: 'Demo' });
      const c = withCorrelation(createAttempt({ examId, userId, externalId: 'ext-attempt', additionalTimeMins: 15 }), 'corr-create');
      const r = await h.run(c);
      expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
      const created = r.events[0];
      const attemptId = created.data.attemptId as string;
      expect(attemptId).toMatch(UUID_RE);
      expectEnvelope(created, c, 'AttemptCreated', attemptId);
      expectEnvelope(r.outcome, c, 'CommandProcessed', 'any');
      expect(created.data).toEqual({
        attemptId,
        attemptCode: expect.stringMatching(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/),
        examId,
        courseId,
        contentId: `block-${examId}`,
        examName: `Exam ${examId}`,
        courseName: 'Demo',
        provider: 'software_secure',
        userId,
        user: { username: `name-${userId}`, email: `${userId}@learners.example.com` },
        takingAsProctored: true,
        isSampleAttempt: false,
        isPracticeExam: false,
        isProctored: true,
        startedAt: null,
        completedAt: null,
        status: 'created',
        allowedTimeLimitMins: 75,
        externalId: 'ext-attempt',
        version: 1,
      });
      expect(r.outcome.data).toEqual({ commandId: c.id, commandType: 'CreateAttempt', outcome: 'applied' });
      expect(BigInt(r.outcome.sequence)).toBe(BigInt(created.sequence) + 1n);
      for (const e of r.events) {
        const m = h.messageOf(e.id);
        expect(m.key).toBe(userId);
        expect(m.topic).toBe(h.topics.attemptEvents);
      }
      const row = await h.attemptRow(attemptId);
      expect(row).toMatchObject({
        attempt_code: created.data.attemptCode,
        exam_id: examId,
        user_id: userId,
        status: 'created',
        version: 1,
        taking_as_proctored: true,
        is_sample_attempt: false,
        external_id: 'ext-attempt',
        allowed_time_limit_mins: 75,
        started_at: null,
        completed_at: null,
      });
      expect(await h.transitions(attemptId)).toEqual([
        expect.objectContaining({ version: 1, from_status: null, to_status: 'created', cause_type: 'command', cause_id: c.id }),
      ]);
    });

    it('creates on an inactive exam; a practice exam gives a sample attempt; null provider and course name are null', async () => {
      const { courseId, exam, user } = ids('create2');
      await register({ examId: exam(1), courseId, isActive: false, courseName: null });
      await register({ examId: exam(2), courseId, isPracticeExam: true });
      const inactive = await create(exam(1), user(), { takingAsProctored: false });
      expect(inactive.data).toMatchObject({ status: 'created', takingAsProctored: false, provider: null, courseName: null, externalId: null, allowedTimeLimitMins: 60 });
      const sample = await create(exam(2), user());
      expect(sample.data).toMatchObject({ isSampleAttempt: true, isPracticeExam: true });
    });

    it('rejects EXAM_NOT_FOUND for an unregistered exam and ATTEMPT_ALREADY_EXISTS for a second attempt', async () => {
      const { courseId, exam, user } = ids('create3');
      const r1 = await h.run(createAttempt({ examId: exam(9), userId: user() }));
      expectRejected(r1, 'EXAM_NOT_FOUND', 'CreateAttempt');
      expect(h.messageOf(r1.outcome.id).key).toBe(user());
      expect(await h.attemptFor(exam(9), user())).toBeUndefined();

      await register({ examId: exam(1), courseId });
      const first = await create(exam(1), user());
      const r2 = await h.run(createAttempt({ examId: exam(1), userId: user(), takingAsProctored: false }));
      expectRejected(r2, 'ATTEMPT_ALREADY_EXISTS', 'CreateAttempt');
      const { rows } = await h.db.query('SELECT id, taking_as_proctored, version FROM attempts.attempt WHERE exam_id = $1', [exam(1)]);
      expect(rows).toEqual([{ id: first.data.attemptId, taking_as_proctored: true, version: 1 }]);
    });
  });

  describe('UpdateAttemptStatus', () => {
    it('created → started → submitted → verified, addressed three ways, with timestamps, aliases and credit events', async () => {
      const { courseId, exam, user } = ids('upd');
      const examId = exam();
      const userId = user();
      await register({ examId, courseId, courseName: 'Course' });
      const created = await create(examId, userId);
      const attemptId = created.data.attemptId as string;
      const attemptCode = created.data.attemptCode as string;

      // The command's `time` is informational: timestamps come from the service's clock.
      const start = { ...updateStatus({ attemptId, toStatus: 'started' }), time: '2001-01-01T00:00:00.000Z' };
      const t0 = Date.now();
      const started = await h.run(start);
      expect(types(started)).toEqual(['AttemptStatusChanged', 'CommandProcessed']);
      const sc = started.events[0];
      expectEnvelope(sc, start, 'AttemptStatusChanged', attemptId);
      expect(sc.data).toEqual({
        ...created.data,
        status: undefined,
        allowedTimeLimitMins: undefined,
        externalId: undefined,
        fromStatus: 'created',
        toStatus: 'started',
        requestedStatus: 'started',
        statusAlias: '',
        startedAt: expect.any(String),
        completedAt: null,
        version: 2,
      });
      expect(sc.data).not.toHaveProperty('cascadeFromAttemptId');
      expect(Date.parse(sc.data.startedAt as string)).toBeGreaterThanOrEqual(t0 - 5000);
      expect(h.messageOf(sc.id).key).toBe(userId);
      expect(started.outcome.data).toEqual({ commandId: start.id, commandType: 'UpdateAttemptStatus', outcome: 'applied' });

      const submit = updateStatus({ attemptCode, toStatus: 'submitted' });
      const submitted = await h.run(submit);
      expect(types(submitted)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
      const [change, credit] = submitted.events;
      expect(change.data).toMatchObject({ fromStatus: 'started', toStatus: 'submitted', statusAlias: 'pending', version: 3, startedAt: sc.data.startedAt });
      expect(change.data.completedAt).toEqual(expect.any(String));
      expectEnvelope(credit, submit, 'CredentialRequirementUpdated', attemptId);
      expect(credit.data).toEqual({
        userId,
        courseId,
        namespace: 'proctored_exam',
        name: `block-${examId}`,
        status: 'submitted',
        attemptId,
        attemptVersion: 3,
        isPracticeExam: false,
        isProctored: true,
      });
      const cm = h.messageOf(credit.id);
      expect(cm.topic).toBe(h.topics.credentialEvents);
      expect(cm.key).toBe(userId);

      const verified = await status({ examId, userId }, 'verified');
      expect(types(verified)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
      expect(verified.events[0].data).toMatchObject({ fromStatus: 'submitted', toStatus: 'verified', statusAlias: 'satisfactory', version: 4, completedAt: change.data.completedAt });
      expect(verified.events[1].data).toMatchObject({ status: 'satisfied', attemptVersion: 4 });

      const row = await h.attemptRow(attemptId);
      expect(row).toMatchObject({ status: 'verified', version: 4 });
      expect((row!.started_at as Date).toISOString()).toBe(sc.data.startedAt);
      expect((row!.completed_at as Date).toISOString()).toBe(change.data.completedAt);
      expect((await h.transitions(attemptId)).map((t) => [t.version, t.from_status, t.to_status])).toEqual([
        [1, null, 'created'],
        [2, 'created', 'started'],
        [3, 'started', 'submitted'],
        [4, 'submitted', 'verified'],
      ]);
    });

    it('a same-status request is a noop: CommandProcessed noop, no change event, version and timestamps unchanged', async () => {
      const { courseId, exam, user } = ids('noop');
      await register({ examId: exam(), courseId });
      const attemptId = (await create(exam(), user())).data.attemptId as string;
      await status({ attemptId }, 'started');
      const before = await h.attemptRow(attemptId);
      const c = updateStatus({ attemptId, toStatus: 'started' });
      const r = await h.run(c);
      expect(types(r)).toEqual(['CommandProcessed']);
      expect(r.outcome.data).toEqual({ commandId: c.id, commandType: 'UpdateAttemptStatus', outcome: 'noop' });
      const after = await h.attemptRow(attemptId);
      expect(after).toMatchObject({ version: 2, status: 'started', started_at: before!.started_at, updated_at: before!.updated_at });
      expect(await h.transitions(attemptId)).toHaveLength(2);
    });

    it('maps credit: rejected, declined, not_reviewed and error → failed; second_review_required and timed_out write none', async () => {
      const { courseId, exam, user } = ids('credit');
      // one exam per course, so nothing cascades
      await register({ examId: exam(1), courseId });
      await register({ examId: exam(2), courseId: `${courseId}-pt`, provider: 'proctortrack' });
      const cases: [string, string, string | null][] = [
        [exam(1), 'rejected', 'failed'],
        [exam(1), 'declined', 'failed'],
        [exam(1), 'not_reviewed', 'failed'],
        [exam(1), 'error', 'failed'],
        [exam(1), 'second_review_required', null],
        [exam(2), 'timed_out', null],
      ];
      for (const [i, [examId, to, credit]] of cases.entries()) {
        const userId = user(i);
        const attemptId = (await create(examId, userId)).data.attemptId as string;
        await status({ attemptId }, 'started');
        const r = await status({ attemptId }, to);
        const changed = only(r, 'AttemptStatusChanged');
        expect(changed.data).toMatchObject({ fromStatus: 'started', toStatus: to, requestedStatus: to });
        const credits = r.events.filter((e) => e.type === 'CredentialRequirementUpdated');
        if (credit === null) expect(credits).toEqual([]);
        else expect(credits.map((e) => e.data.status)).toEqual([credit]);
      }
    });

    it('rejects INVALID_STATUS for unknown, wrongly cased and empty statuses, changing nothing', async () => {
      const { courseId, exam, user } = ids('invst');
      await register({ examId: exam(), courseId });
      const attemptId = (await create(exam(), user())).data.attemptId as string;
      for (const to of ['bogus', 'Started', 'started ', 'timedout', '']) {
        const r = await status({ attemptId }, to);
        expectRejected(r, 'INVALID_STATUS', 'UpdateAttemptStatus');
        if (to) expect(r.outcome.data.message).not.toContain(to);
      }
      expect(await h.attemptRow(attemptId)).toMatchObject({ status: 'created', version: 1 });
    });

    it('rejects ILLEGAL_TRANSITION: submitted → started, error → error, verified → ready_to_start; completed → completed is allowed', async () => {
      const { courseId, exam, user } = ids('illegal');
      await register({ examId: exam(), courseId });
      const a = (await create(exam(), user(1))).data.attemptId as string;
      await status({ attemptId: a }, 'started');
      await status({ attemptId: a }, 'submitted');
      expectRejected(await status({ attemptId: a }, 'started'), 'ILLEGAL_TRANSITION', 'UpdateAttemptStatus');
      expectRejected(await status({ attemptId: a }, 'error'), 'ILLEGAL_TRANSITION', 'UpdateAttemptStatus');
      expect(only(await status({ attemptId: a }, 'verified'), 'AttemptStatusChanged').data).toMatchObject({ fromStatus: 'submitted', toStatus: 'verified' });
      expectRejected(await status({ attemptId: a }, 'ready_to_start'), 'ILLEGAL_TRANSITION', 'UpdateAttemptStatus');
      expect(await h.attemptRow(a)).toMatchObject({ status: 'verified', version: 4 });

      const b = (await create(exam(), user(2))).data.attemptId as string;
      expect(only(await status({ attemptId: b }, 'error'), 'AttemptStatusChanged').data.toStatus).toBe('error');
      const again = await status({ attemptId: b }, 'error');
      expectRejected(again, 'ILLEGAL_TRANSITION', 'UpdateAttemptStatus');
      expect(again.outcome.data.message).not.toMatch(EMAIL_ADDRESS);
      expect(await h.attemptRow(b)).toMatchObject({ status: 'error', version: 2 });
    });

    it('rejects ATTEMPT_NOT_FOUND when nothing matches or the given fields name different attempts', async () => {
      const { courseId, exam, user } = ids('nf');
      await register({ examId: exam(1), courseId });
      await register({ examId: exam(2), courseId });
      const a1 = (await create(exam(1), user(1))).data;
      const a2 = (await create(exam(2), user(1))).data;
      const b1 = (await create(exam(1), user(2))).data;
      const refs: Record<string, unknown>[] = [
        { attemptId: randomUUID() },
        { attemptCode: randomUUID().toUpperCase() },
        { examId: exam(1), userId: user(3) }, // registered exam, no attempt
        { attemptId: a1.attemptId, examId: exam(1), userId: user(2) }, // a1 vs b1
        { attemptId: a1.attemptId, examId: exam(2), userId: user(1) }, // a1 vs a2
        { attemptCode: a1.attemptCode, attemptId: b1.attemptId },
        { attemptId: a1.attemptId, userId: user(2) }, // a1 is not user 2's
        { attemptId: a1.attemptId, examId: exam(2) }, // a1 is not at exam 2
        { attemptCode: a2.attemptCode, examId: exam(1) },
      ];
      for (const ref of refs) {
        const r = await status(ref, 'started');
        try {
          expectRejected(r, 'ATTEMPT_NOT_FOUND', 'UpdateAttemptStatus');
        } catch (e) {
          throw new Error(`${JSON.stringify(ref)}: ${(e as Error).message}`, { cause: e });
        }
      }
      for (const a of [a1, a2, b1]) expect(await h.attemptRow(a.attemptId as string)).toMatchObject({ status: 'created', version: 1 });

      // all of them naming the same attempt is fine
      const ok = await status({ attemptId: a1.attemptId, attemptCode: a1.attemptCode, examId: exam(1), userId: user(1) }, 'started');
      expect(only(ok, 'AttemptStatusChanged').subject).toBe(a1.attemptId);
    });

    it('a command aimed at an expired attempt is applied as asked (no timeout first)', async () => {
      const { courseId, exam, user } = ids('expired');
      await register({ examId: exam(), courseId, timeLimitMins: 0 });
      const attemptId = (await create(exam(), user())).data.attemptId as string;
      await status({ attemptId }, 'started');
      // allowedTimeLimitMins 0: expired from the first millisecond after the start
      const r = await status({ attemptId }, 'ready_to_submit');
      expect(types(r)).toEqual(['AttemptStatusChanged', 'CommandProcessed']);
      expect(r.events[0].data).toMatchObject({ fromStatus: 'started', toStatus: 'ready_to_submit', version: 3 });
      const v = await status({ attemptId }, 'verified');
      expect(types(v)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
      expect(v.events[0].data).toMatchObject({ fromStatus: 'ready_to_submit', toStatus: 'verified', completedAt: null });
    });

    it('rejects EXAM_NOT_FOUND when addressed by an unregistered exam', async () => {
      const { user } = ids('enf');
      expectRejected(await status({ examId: `exam-missing-${randomUUID()}`, userId: user() }, 'started'), 'EXAM_NOT_FOUND', 'UpdateAttemptStatus');
    });

    describe('the timeout alias (rule 2)', () => {
      it('software_secure (ALLOW_TIMED_OUT_STATE false): started → timed_out is stored as submitted', async () => {
        const { courseId, exam, user } = ids('ss');
        await register({ examId: exam(), courseId, provider: 'software_secure' });
        const a = (await create(exam(), user())).data.attemptId as string;
        await status({ attemptId: a }, 'started');
        const r = await status({ attemptId: a }, 'timed_out');
        expect(types(r)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
        expect(r.events[0].data).toMatchObject({ fromStatus: 'started', toStatus: 'submitted', requestedStatus: 'timed_out', statusAlias: 'pending' });
        expect(r.events[1].data.status).toBe('submitted');
        expect(await h.attemptRow(a)).toMatchObject({ status: 'submitted' });
        // created → timed_out is aliased too with the setting false
        const b = (await create(exam(), user(2))).data.attemptId as string;
        expect(only(await status({ attemptId: b }, 'timed_out'), 'AttemptStatusChanged').data.toStatus).toBe('submitted');
      });

      it('proctortrack (ALLOW_TIMED_OUT_STATE true): started → timed_out stays timed_out', async () => {
        const { courseId, exam, user } = ids('pt');
        await register({ examId: exam(), courseId, provider: 'proctortrack' });
        const a = (await create(exam(), user())).data.attemptId as string;
        await status({ attemptId: a }, 'started');
        const r = await status({ attemptId: a }, 'timed_out');
        expect(types(r)).toEqual(['AttemptStatusChanged', 'CommandProcessed']);
        expect(r.events[0].data).toMatchObject({ fromStatus: 'started', toStatus: 'timed_out', requestedStatus: 'timed_out', statusAlias: '' });
        expect(await h.attemptRow(a)).toMatchObject({ status: 'timed_out', completed_at: null });
      });

      it('no provider, setting absent: created → timed_out stores timed_out, started → timed_out stores submitted, timed_out twice → submitted', async () => {
        const { courseId, exam, user } = ids('np');
        await register({ examId: exam(), courseId });
        const a = (await create(exam(), user(1))).data.attemptId as string;
        const first = await status({ attemptId: a }, 'timed_out');
        expect(only(first, 'AttemptStatusChanged').data).toMatchObject({ fromStatus: 'created', toStatus: 'timed_out', requestedStatus: 'timed_out' });
        const second = await status({ attemptId: a }, 'timed_out');
        expect(only(second, 'AttemptStatusChanged').data).toMatchObject({ fromStatus: 'timed_out', toStatus: 'submitted', requestedStatus: 'timed_out' });

        const b = (await create(exam(), user(2))).data.attemptId as string;
        await status({ attemptId: b }, 'started');
        expect(only(await status({ attemptId: b }, 'timed_out'), 'AttemptStatusChanged').data).toMatchObject({ fromStatus: 'started', toStatus: 'submitted' });
        expect(await h.attemptRow(b)).toMatchObject({ status: 'submitted', version: 3 });
      });
    });
  });

  describe('RemoveAttempt', () => {
    it('removes by attemptId and by (examId, userId); rejects ATTEMPT_NOT_FOUND and EXAM_NOT_FOUND', async () => {
      const { courseId, exam, user } = ids('rm');
      await register({ examId: exam(), courseId });
      await register({ examId: exam(2), courseId });
      const a = (await create(exam(), user(1))).data;
      const b = (await create(exam(), user(2))).data;
      const r1 = await h.run(command('RemoveAttempt', { attemptId: a.attemptId }));
      expect(types(r1)).toEqual(['AttemptRemoved', 'CommandProcessed']);
      expect(r1.events[0].data).toEqual({
        attemptId: a.attemptId,
        attemptCode: a.attemptCode,
        examId: exam(),
        courseId,
        contentId: `block-${exam()}`,
        userId: user(1),
        lastStatus: 'created',
        reason: 'removed',
      });
      expect(r1.events[0].subject).toBe(a.attemptId);
      expect(h.messageOf(r1.events[0].id).key).toBe(user(1));
      expect(await h.attemptRow(a.attemptId as string)).toBeUndefined();

      expectRejected(await h.run(command('RemoveAttempt', { attemptId: a.attemptId })), 'ATTEMPT_NOT_FOUND', 'RemoveAttempt');
      expectRejected(await h.run(command('RemoveAttempt', { attemptId: b.attemptId, userId: user(1) })), 'ATTEMPT_NOT_FOUND', 'RemoveAttempt');
      expectRejected(await h.run(command('RemoveAttempt', { attemptId: b.attemptId, examId: exam(2) })), 'ATTEMPT_NOT_FOUND', 'RemoveAttempt');
      expectRejected(await h.run(command('RemoveAttempt', { examId: `exam-missing-${randomUUID()}`, userId: user(2) })), 'EXAM_NOT_FOUND', 'RemoveAttempt');
      expect(await h.attemptRow(b.attemptId as string)).toBeDefined();

      const r2 = await h.run(command('RemoveAttempt', { examId: exam(), userId: user(2) }));
      expect(types(r2)).toEqual(['AttemptRemoved', 'CommandProcessed']);
      expect(await h.attemptRow(b.attemptId as string)).toBeUndefined();
    });
  });

  describe('invalid input', () => {
    it('rejects INVALID_MESSAGE (missing, mistyped, null fields; bad email) and UNKNOWN_COMMAND_TYPE, keyed as received, without personal data', async () => {
      const { user } = ids('inv');
      const userId = user();
      const email = `${userId}@learners.example.com`;
      const cases: { c: Record<string, unknown>; reason: string; type: string }[] = [
        { c: command('CreateAttempt', { examId: 'x', userId, user: { email }, takingAsProctored: true }), reason: 'INVALID_MESSAGE', type: 'CreateAttempt' },
        { c: command('CreateAttempt', { examId: 'x', userId, user: { username: 'u', email: `bad@@${email}` }, takingAsProctored: 'yes' }), reason: 'INVALID_MESSAGE', type: 'CreateAttempt' },
        { c: command('UpdateAttemptStatus', { toStatus: 'started' }), reason: 'INVALID_MESSAGE', type: 'UpdateAttemptStatus' },
        { c: command('UpdateAttemptStatus', { attemptId: 'not-a-uuid', toStatus: 'started' }), reason: 'INVALID_MESSAGE', type: 'UpdateAttemptStatus' },
        { c: command('RegisterExam', { examId: 'x', courseId: null, contentId: 'c', examName: 'n', timeLimitMins: 1, isProctored: true, isPracticeExam: false }), reason: 'INVALID_MESSAGE', type: 'RegisterExam' },
        { c: { ...command('RemoveAttempt', { attemptId: randomUUID() }), specversion: '0.3' }, reason: 'INVALID_MESSAGE', type: 'RemoveAttempt' },
        { c: command('DeleteEverything', { userId, email }), reason: 'UNKNOWN_COMMAND_TYPE', type: 'DeleteEverything' },
        { c: command('createAttempt', { userId }), reason: 'UNKNOWN_COMMAND_TYPE', type: 'createAttempt' },
      ];
      const corr = `corr-${randomUUID()}`;
      const all = cases.map(({ c }, i) => (i === 0 ? { ...c, correlationid: corr } : c));
      await h.sendRaw(all.map((c) => ({ key: userId, value: JSON.stringify(c) })));
      for (const [i, { reason, type }] of cases.entries()) {
        const c = all[i] as TestCommand;
        const r = await h.settle(c.id);
        expect(types(r)).toEqual(['CommandRejected']);
        expect(r.outcome.data).toEqual({ commandId: c.id, commandType: type, reason, message: expect.any(String) });
        expect(r.outcome.data.message).not.toMatch(EMAIL_ADDRESS);
        expect(r.outcome.data.message).not.toContain('learners.example');
        expectEnvelope(r.outcome, c, 'CommandRejected');
        expect(h.messageOf(r.outcome.id).key).toBe(userId);
      }
      expect(h.causedBy(all[0].id as string)[0].correlationid).toBe(corr);
    });

    it('keeps one strictly increasing sequence per learner key, including for rejections keyed by that learner', async () => {
      const { courseId, exam, user } = ids('seq');
      const userId = user();
      await register({ examId: exam(), courseId });
      const attemptId = (await create(exam(), userId)).data.attemptId as string;
      await status({ attemptId }, 'started');
      const lastSeq = () =>
        h
          .eventMessages()
          .filter((m) => m.key === userId)
          .map((m) => BigInt(m.json!.sequence as string))
          .reduce((a, b) => (a > b ? a : b), 0n);
      const before = lastSeq();
      // an attempt reference that resolves to nobody, and an invalid message, both keyed by the learner
      const ghost = updateStatus({ attemptId: randomUUID(), toStatus: 'started' });
      const invalid = command('CreateAttempt', { examId: exam(), userId });
      await h.send([ghost, invalid], () => userId);
      const r1 = await h.outcomeOf(ghost.id);
      const r2 = await h.outcomeOf(invalid.id);
      expect(r1.data.reason).toBe('ATTEMPT_NOT_FOUND');
      expect(r2.data.reason).toBe('INVALID_MESSAGE');
      expect(BigInt(r1.sequence)).toBe(before + 1n);
      expect(BigInt(r2.sequence)).toBe(before + 2n);
      // addressed by attemptId and published with the attemptId as key: every event, outcome included,
      // is keyed by the learner and continues the learner's sequence
      const byId = updateStatus({ attemptId: attemptId.toUpperCase(), toStatus: 'submitted' });
      const next = await h.run(byId, () => attemptId);
      expect(types(next)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
      expect(next.events.map((e) => BigInt(e.sequence))).toEqual([before + 3n, before + 4n, before + 5n]);
      for (const e of next.events) expect(h.messageOf(e.id).key).toBe(userId);
      expect(next.events[0].subject).toBe(attemptId);
    });

    it('dead-letters what cannot be read (not JSON, larger than 64 KiB) without an outcome, and moves on', async () => {
      const { courseId, exam, user } = ids('dlq');
      const userId = user();
      await register({ examId: exam(), courseId });
      const big = JSON.stringify(createAttempt({ examId: exam(), userId, padding: 'x'.repeat(70 * 1024) }));
      const after = createAttempt({ examId: exam(), userId });
      await h.sendRaw([
        { key: userId, value: '{"specversion": "1.0", "id": ' },
        { key: userId, value: big },
        { key: userId, value: JSON.stringify(after) },
      ]);
      const r = await h.settle(after.id);
      expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
      const dead = await expectEventually(() => {
        const found = h.collector.messages.filter((m) => m.topic === h.topics.commandsDlq && m.key === userId);
        if (found.length < 2) throw new Error('not dead-lettered yet');
        return found;
      }, 20_000);
      expect(dead.map((m) => m.headers['dlq-reason'])).toEqual(['not JSON', 'message larger than 65536 bytes']);
      expect(dead[1].raw?.length).toBe(Buffer.byteLength(big));
      for (const m of dead) expect(m.headers['dlq-source-topic']).toBe(h.topics.commands);
      // the big one has a readable id, but it is never parsed: no outcome for it
      expect(h.events().filter((e) => e.type === 'CommandRejected' && e.data.commandId === (JSON.parse(big) as TestCommand).id)).toEqual([]);
    });

    it('publishes a burst of large dead letters (3 MB, above the broker limit of one request) without stalling the outbox', async () => {
      const { courseId, exam, user } = ids('dlq-burst');
      const userId = user();
      await register({ examId: exam(), courseId });
      const bigs = Array.from({ length: 30 }, (_, i) => ({ key: userId, value: `${i}:${'y'.repeat(100 * 1024)}` }));
      const after = createAttempt({ examId: exam(), userId });
      // 3 MB of dead letters on one key, published in requests the commands topic takes (1 MiB each,
      // uncompressed): the relay must split what piles up into requests the broker takes
      for (let i = 0; i < bigs.length; i += 8) await h.sendRaw(bigs.slice(i, i + 8));
      await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
      const r = await h.settle(after.id);
      expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
      const dead = await expectEventually(() => {
        const found = h.collector.messages.filter((m) => m.topic === h.topics.commandsDlq && m.key === userId);
        if (found.length < bigs.length) throw new Error(`${found.length} of ${bigs.length} dead-lettered`);
        return found;
      }, 30_000);
      expect(dead.map((m) => m.raw?.toString('utf8').split(':')[0])).toEqual(bigs.map((_, i) => String(i)));
    });
  });

  it('every collected event satisfies the v1 contract (strict), on its topic, with per-key sequences strictly increasing', () => {
    expect(h.assertContract()).toBeGreaterThan(50);
  });
});
