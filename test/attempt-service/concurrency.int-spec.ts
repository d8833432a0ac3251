import { randomUUID } from 'node:crypto';
import { isLegalTransition, isStatus, type Exam } from '../../libs/domain/src';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { rng } from '../support/prng';
import { testKafka } from '../support/kafka-fixture';
import { cmp, Harness, ids, keyFor, type SeenEvent, type TestCommand } from './attempt-service.harness';
import { loadProviders, ReferenceModel, type ModelCommand, type ModelOutcome } from '../support/reference.model';

const STATUS_CHOICES = [
  'started',
  'started',
  'ready_to_submit',
  'submitted',
  'verified',
  'rejected',
  'declined',
  'declined',
  'error',
  'timed_out',
  'second_review_required',
  'created',
  'bogus',
];

/**
 * SPEC §4 Concurrency: two instances in one consumer group (one joining mid-stream, so partitions
 * move), several partitions consumed concurrently, commands for the same learners interleaved, and
 * some of a learner's commands keyed by attemptId so they land on other partitions than the rest.
 */
describe('attempt-service: two instances in one consumer group', () => {
  const seed = Number(process.env.CONCURRENCY_SEED ?? Date.now() % 100000);
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const groupId = `attempt-service.conc-${randomUUID()}`;
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('conc', {
      partitions: 6,
      startService: false,
      env: {
        ATTEMPT_SERVICE_GROUP_ID: groupId,
        COMMAND_BATCH_SIZE: '20',
        PARTITIONS_CONSUMED_CONCURRENTLY: '3',
      },
    });
    await h.startService();
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function waitForGroupMembers(n: number): Promise<void> {
    const admin = testKafka('test-admin').admin();
    await admin.connect();
    try {
      await expectEventually(
        async () => {
          const { groups } = await admin.describeGroups([groupId]);
          if (groups[0]?.state !== 'Stable' || groups[0].members.length !== n)
            throw new Error(`group ${groups[0]?.state} with ${groups[0]?.members.length} members`);
        },
        60_000,
        200,
      );
    } finally {
      await admin.disconnect();
    }
  }

  it(`keeps every learner's state equal to the reference model, versions and sequences contiguous, while instances join and leave (seed ${seed})`, async () => {
    const { courseId, user } = ids('conc');
    const courseB = `${courseId}-pt`;
    const exam = (course: string, n: string, o: Partial<Exam> = {}): Exam => ({
      examId: `${course}-${n}`,
      courseId: course,
      contentId: `block-${n}`,
      examName: `Exam ${n}`,
      courseName: 'Concurrency',
      timeLimitMins: 60,
      isProctored: true,
      isPracticeExam: false,
      isActive: true,
      provider: null,
      externalId: null,
      ...o,
    });
    const examsA = [
      exam(courseId, 'a1'),
      exam(courseId, 'a2'),
      exam(courseId, 'a3'),
      exam(courseId, 'a4-practice', { isPracticeExam: true }),
    ];
    const examsB = [
      exam(courseB, 'b1', { provider: 'proctortrack' }),
      exam(courseB, 'b2', { provider: 'proctortrack' }),
      exam(courseB, 'b3', { provider: 'software_secure' }),
      exam(courseB, 'b4-timed', { isProctored: false }),
    ];
    const allExams = [...examsA, ...examsB];
    const model = new ReferenceModel(allExams, loadProviders());

    // the exams first (keyed by course), and wait: commands must not race their exam's registration
    const regs = allExams.map((e) =>
      registerExam({
        ...e,
        courseName: e.courseName,
        provider: e.provider ?? undefined,
        externalId: undefined,
      }),
    );
    await h.send(regs);
    for (const r of regs) expect((await h.settle(r.id)).outcome.data.outcome).toBe('applied');

    // Group A: learners whose commands are all keyed by userId, compared command by command with the model.
    const modelled = new Map<string, { c: TestCommand; m: ModelCommand }>();
    const groupA = Array.from({ length: 14 }, (_, i) => user(`a${i}`));
    const perLearner: TestCommand[][] = groupA.map((userId, i) => {
      const exams = i % 2 === 0 ? examsA : examsB;
      const out: TestCommand[] = [];
      const add = (m: ModelCommand, c: TestCommand) => {
        const withId = { ...c, id: m.id };
        modelled.set(m.id, { c: withId, m });
        out.push(withId);
      };
      for (let k = 0; k < 15; k++) {
        const e = k === 0 ? exams[0] : pick(exams);
        const r = k === 0 ? 0 : rand();
        const id = randomUUID();
        if (r < 0.25) {
          const takingAsProctored = rand() < 0.5;
          add(
            { type: 'CreateAttempt', id, examId: e.examId, userId, takingAsProctored },
            createAttempt({ examId: e.examId, userId, takingAsProctored }),
          );
        } else if (r < 0.87) {
          const toStatus = pick(STATUS_CHOICES);
          add(
            { type: 'UpdateAttemptStatus', id, examId: e.examId, userId, toStatus },
            updateStatus({ examId: e.examId, userId, toStatus }),
          );
        } else {
          add(
            { type: 'RemoveAttempt', id, examId: e.examId, userId },
            command('RemoveAttempt', { examId: e.examId, userId }),
          );
        }
      }
      return out;
    });
    const interleave = (lists: TestCommand[][]): TestCommand[] => {
      const out: TestCommand[] = [];
      const queues = lists.map((l) => [...l]);
      while (queues.some((q) => q.length > 0)) {
        const q = pick(queues.filter((x) => x.length > 0));
        out.push(q.shift()!);
      }
      return out;
    };
    const streamA = interleave(perLearner);
    const half = Math.floor(streamA.length / 2);

    // Group B: learners with attempts on every exam of course A, then commands addressed by attemptId
    // (keyed by it, so on other partitions than the learner's) interleaved with per-learner ones.
    const groupB = Array.from({ length: 6 }, (_, i) => user(`b${i}`));
    const creates = groupB.flatMap((userId) =>
      examsA.map((e) => createAttempt({ examId: e.examId, userId })),
    );

    const first = interleave([streamA.slice(0, half), creates]);
    for (let i = 0; i < first.length; i += 30) await h.send(first.slice(i, i + 30));
    // the second instance joins mid-stream: partitions move while commands are in flight
    await h.startService();
    await waitForGroupMembers(2);

    for (const c of creates) await h.outcomeOf(c.id, 60_000);
    const attemptIds = new Map<string, string[]>();
    for (const c of creates) {
      const created = h.causedBy(c.id).find((e) => e.type === 'AttemptCreated');
      if (!created)
        throw new Error(
          `group B attempt not created: ${JSON.stringify(h.causedBy(c.id).map((e) => e.data))}`,
        );
      const userId = created.data.userId as string;
      attemptIds.set(userId, [...(attemptIds.get(userId) ?? []), created.data.attemptId as string]);
    }
    const streamB: { c: TestCommand; key: string }[] = [];
    for (const userId of groupB) {
      for (let k = 0; k < 20; k++) {
        const r = rand();
        const attemptId = pick(attemptIds.get(userId)!);
        const e = pick(examsA);
        if (r < 0.45)
          streamB.push({ c: updateStatus({ attemptId, toStatus: pick(STATUS_CHOICES) }), key: attemptId });
        else if (r < 0.55) streamB.push({ c: command('RemoveAttempt', { attemptId }), key: attemptId });
        else if (r < 0.65) streamB.push({ c: createAttempt({ examId: e.examId, userId }), key: userId });
        else if (r < 0.75)
          streamB.push({ c: updateStatus({ examId: e.examId, userId, toStatus: 'declined' }), key: userId });
        else
          streamB.push({
            c: updateStatus({ examId: e.examId, userId, toStatus: pick(STATUS_CHOICES) }),
            key: userId,
          });
      }
    }
    const rest = interleave([streamA.slice(half), streamB.map((x) => x.c)]);
    const keyOfB = new Map(streamB.map((x) => [x.c.id, x.key]));
    for (let i = 0; i < rest.length; i += 30) {
      const chunk = rest.slice(i, i + 30);
      await h.send(chunk, (c) => keyOfB.get(c.id) ?? keyFor(c));
      // half-way through, the first instance leaves: its partitions move to the second mid-stream
      if (i === 120) await h.stopService(h.services[0]);
    }

    const everyCommand = [...regs, ...streamA, ...creates, ...streamB.map((x) => x.c)];
    expect(everyCommand.length).toBeGreaterThan(300);
    await expectEventually(
      () => {
        const missing = everyCommand.filter(
          (c) =>
            !h
              .events()
              .some(
                (e) =>
                  (e.type === 'CommandProcessed' || e.type === 'CommandRejected') &&
                  e.data.commandId === c.id,
              ),
        );
        if (missing.length > 0) throw new Error(`${missing.length} commands without an outcome`);
      },
      90_000,
      250,
    );

    const users = [...groupA, ...groupB];
    // every key's sequence is exactly 1..n (no gap, no repeat), once everything has arrived
    const learnerKeys = new Set(users);
    await expectEventually(
      () => {
        const byKey = new Map<string, Map<string, bigint>>();
        for (const m of h.eventMessages()) {
          if (!m.key || !learnerKeys.has(m.key) || !m.json) continue;
          const perKey = byKey.get(m.key) ?? new Map<string, bigint>();
          perKey.set(m.json.id as string, BigInt(m.json.sequence as string));
          byKey.set(m.key, perKey);
        }
        for (const k of learnerKeys) {
          const seqs = [...(byKey.get(k)?.values() ?? [])].sort(cmp);
          seqs.forEach((s, i) => {
            if (s !== BigInt(i + 1)) throw new Error(`key ${k}: sequence #${i + 1} is ${s}`);
          });
        }
      },
      30_000,
      250,
    );

    // exactly one outcome per command
    const outcomeCount = new Map<string, number>();
    for (const e of h.events()) {
      if (e.type === 'CommandProcessed' || e.type === 'CommandRejected') {
        outcomeCount.set(e.data.commandId as string, (outcomeCount.get(e.data.commandId as string) ?? 0) + 1);
      }
    }
    expect(everyCommand.filter((c) => outcomeCount.get(c.id) !== 1).map((c) => c.id)).toEqual([]);

    // Group A: in per-key order, the model predicts every outcome, every event, and the final state.
    const mismatches: string[] = [];
    for (const list of perLearner) {
      for (const c of list) {
        const { m } = modelled.get(c.id)!;
        const expected: ModelOutcome = model.apply(m);
        const events = h.causedBy(c.id);
        const outcome = events[events.length - 1];
        const actual = {
          outcome: outcome.type === 'CommandRejected' ? 'rejected' : outcome.data.outcome,
          reason: outcome.data.reason,
          events: events.map((e) => e.type),
        };
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          mismatches.push(
            `${m.userId} ${m.type} ${m.examId} ${'toStatus' in m ? m.toStatus : ''}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
    const { rows } = await h.db.query(
      'SELECT exam_id, user_id, status, version, taking_as_proctored, is_sample_attempt, started_at, completed_at FROM attempts.attempt WHERE user_id = ANY($1::text[])',
      [groupA],
    );
    const stored = rows.map((r) => ({
      key: `${r.user_id} ${r.exam_id}`,
      status: r.status,
      version: r.version,
      takingAsProctored: r.taking_as_proctored,
      isSampleAttempt: r.is_sample_attempt,
      started: r.started_at !== null,
      completed: r.completed_at !== null,
    }));
    const predicted = [...model.attempts].flatMap(([userId, byExam]) =>
      [...byExam.values()].map((a) => ({
        key: `${userId} ${a.examId}`,
        status: a.status,
        version: a.version,
        takingAsProctored: a.takingAsProctored,
        isSampleAttempt: a.isSampleAttempt,
        started: a.startedAt !== null,
        completed: a.completedAt !== null,
      })),
    );
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    expect(stored.sort(byKey)).toEqual(predicted.sort(byKey));
    expect(predicted.length).toBeGreaterThan(14);

    // Everyone: each attempt's versions are 1..n in attempt_transition, chained (from = previous to),
    // legal, ending at the stored status and version; its AttemptStatusChanged events match them.
    const everCreated = h
      .events()
      .filter((e) => e.type === 'AttemptCreated' && users.includes(e.data.userId as string));
    const changes = new Map<string, SeenEvent[]>();
    for (const e of h.events())
      if (e.type === 'AttemptStatusChanged')
        changes.set(e.data.attemptId as string, [...(changes.get(e.data.attemptId as string) ?? []), e]);
    const { rows: live } = await h.db.query(
      'SELECT id, status, version FROM attempts.attempt WHERE user_id = ANY($1::text[])',
      [users],
    );
    const { rows: archived } = await h.db.query(
      'SELECT attempt_id AS id, status, version FROM attempts.attempt_history WHERE user_id = ANY($1::text[])',
      [users],
    );
    const { rows: transitions } = await h.db.query(
      `SELECT t.attempt_id, t.version, t.from_status, t.to_status FROM attempts.attempt_transition t
        WHERE t.attempt_id = ANY($1::uuid[]) ORDER BY t.attempt_id, t.version, t.id`,
      [everCreated.map((e) => e.data.attemptId as string)],
    );
    const finalOf = new Map<string, { status: string; version: number }>();
    for (const r of [...live, ...archived])
      finalOf.set(r.id as string, r as { status: string; version: number });
    const problems: string[] = [];
    for (const created of everCreated) {
      const id = created.data.attemptId as string;
      const ts = transitions.filter((t) => t.attempt_id === id);
      const last = finalOf.get(id);
      if (!last) problems.push(`${id}: neither live nor archived`);
      ts.forEach((t, i) => {
        if (t.version !== i + 1) problems.push(`${id}: transition #${i + 1} has version ${t.version}`);
        const prev = i === 0 ? null : ts[i - 1].to_status;
        if (t.from_status !== prev)
          problems.push(`${id}: v${t.version} from ${t.from_status}, previous to ${prev}`);
        const from: unknown = t.from_status;
        const to: unknown = t.to_status;
        if (i > 0 && !(isStatus(from) && isStatus(to) && isLegalTransition(from, to))) {
          problems.push(`${id}: illegal ${t.from_status} → ${t.to_status}`);
        }
      });
      if (last && (ts.length !== last.version || ts[ts.length - 1]?.to_status !== last.status)) {
        problems.push(
          `${id}: stored ${last.status} v${last.version}, transitions end at v${ts.length} ${ts[ts.length - 1]?.to_status}`,
        );
      }
      const evs = [...new Map((changes.get(id) ?? []).map((e) => [e.id, e])).values()].sort(
        (a, b) => (a.data.version as number) - (b.data.version as number),
      );
      const expectedEvents = ts.slice(1).map((t) => `${t.version}:${t.from_status}→${t.to_status}`);
      const seenEvents = evs.map(
        (e) => `${e.data.version as number}:${e.data.fromStatus as string}→${e.data.toStatus as string}`,
      );
      if (JSON.stringify(expectedEvents) !== JSON.stringify(seenEvents))
        problems.push(`${id}: transitions ${expectedEvents.join(',')} but events ${seenEvents.join(',')}`);
    }
    expect(problems).toEqual([]);
    expect(everCreated.length).toBeGreaterThan(40);

    // both instances did part of the work
    for (const s of h.services) {
      const counted = (await s.runtime.metrics.commands.get()).values.filter(
        (v) => v.labels.outcome !== 'duplicate',
      );
      expect(counted.reduce((n, v) => n + v.value, 0)).toBeGreaterThan(0);
    }
    // cascades happened under concurrency
    expect(
      h
        .events()
        .filter(
          (e) =>
            e.type === 'AttemptStatusChanged' &&
            e.data.cascadeFromAttemptId &&
            users.includes(e.data.userId as string),
        ).length,
    ).toBeGreaterThan(5);
    expect(h.assertContract()).toBeGreaterThan(300);
  });
});
