import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RETIRED_EMAIL, RETIRED_USERNAME } from '../../libs/domain/src';
import { FileSender } from '../../apps/notifier/src/email/file.sender';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { TEST_DATABASE_URL } from '../support/test-env';
import { createTestLedger, TestPipeline, type TestLedger } from '../notifier/notifier.fixture';
import { createdIn, Harness, ids, type CreatedAttempt, type SeenEvent } from './attempt-service.harness';

/**
 * Learner retirement end to end (SPEC §8.3, issue #21): the attempt-service on real Kafka and
 * PostgreSQL, the notifier's application layer (file sender, its own ledger schema in the same
 * database) fed with the events the service published, in topic order. After the learner is retired,
 * a data-only dump of the whole test database (both services' schemas) and the email folder contain
 * neither their email address nor their username.
 */
describe('learner retirement', () => {
  let h: Harness;
  let notifierDb: TestLedger;
  let notifier: TestPipeline;
  let outboxDir: string;
  const fed = new Set<string>();

  beforeAll(async () => {
    h = await Harness.start('retire');
    notifierDb = await createTestLedger();
    outboxDir = mkdtempSync(join(tmpdir(), 'retire-eml-'));
    notifier = new TestPipeline(notifierDb, { sender: new FileSender({ outboxDir }) });
  });

  afterAll(async () => {
    await notifier?.stopAll();
    await h?.stop();
    await notifierDb?.dispose();
    if (outboxDir) rmSync(outboxDir, { recursive: true, force: true });
  });

  /** What the notifier's consumer does with the attempt events topic: every event not fed yet, in order. */
  async function feedNotifier(): Promise<void> {
    const fresh = h.collector.messages.filter((m) => m.topic === h.topics.attemptEvents && m.json && !fed.has(m.json.id as string));
    for (const m of fresh) fed.add(m.json!.id as string);
    if (fresh.length > 0) await notifier.consumeRaw(fresh.map((m) => JSON.stringify(m.json)));
  }

  /** Waits until the worker has no due row left (sent, or parked by the test). */
  async function sendAll(): Promise<void> {
    const worker = notifier.startWorker();
    await expectEventually(async () => {
      const b = await notifierDb.ledger.backlog();
      if (b.pending + b.sending > 0) throw new Error(`backlog ${JSON.stringify(b)}`);
    }, 20_000);
    await worker.stop();
  }

  /** Every row of both services' schemas (pg_dump --data-only of the test database), and every email file. */
  function dumpEverything(): string {
    const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', TEST_DATABASE_URL], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const files = readdirSync(outboxDir).map((f) => readFileSync(join(outboxDir, f), 'utf8'));
    return [dump, ...files].join('\n');
  }

  /** Whether the dump holds a text, as text or inside a bytea column (which pg_dump writes in hex). */
  function expectNoTrace(everything: string, text: string): void {
    expect(everything).not.toContain(text);
    expect(everything.toLowerCase()).not.toContain(Buffer.from(text, 'utf8').toString('hex'));
  }

  const ok = (e: SeenEvent) => expect(e.type).toBe('CommandProcessed');

  it('leaves no trace of the learner in either service, and later commands still work on placeholders', async () => {
    const id = ids('retire');
    const user = id.user();
    const username = `name-${user}`;
    const email = `${user}@learners.example.com`;
    const key = (c: { data: Record<string, unknown> }) => String(c.data.userId ?? c.data.courseId);
    for (const n of [1, 2, 3, 4, 5]) ok((await h.run(registerExam({ examId: id.exam(n), courseId: id.courseId }))).outcome);

    const create = async (n: number): Promise<CreatedAttempt> => createdIn((await h.run(createAttempt({ examId: id.exam(n), userId: user }))).events);
    const move = async (a: CreatedAttempt, toStatus: string, reason?: string) => {
      const r = await h.run(updateStatus({ attemptId: a.attemptId, userId: user, toStatus, ...(reason ? { reason } : {}) }), key);
      expect(r.outcome.data.outcome).toBe('applied');
    };

    // exam 1: submitted (its email is sent: a .eml file), then rejected with free text naming the learner,
    // which cascades a declined attempt to the course's other exams (exam 5 among them)
    const a1 = await create(1);
    await move(a1, 'started');
    await move(a1, 'submitted');
    // exams 2, 3, 4: submitted (emails left pending, parked `unknown`, `failed`)
    const a2 = await create(2);
    await move(a2, 'started');
    await move(a2, 'submitted');
    const a3 = await create(3);
    await move(a3, 'started');
    await move(a3, 'submitted');
    const a4 = await create(4);
    await move(a4, 'started');
    await move(a4, 'submitted');
    await feedNotifier();
    await sendAll(); // every email so far is a .eml file now
    await move(a2, 'verified', `reviewed by staff; contacted ${username} at ${email}`);
    await move(a3, 'rejected', `rejected: ${email} shared the screen`); // cascades: exam 5 gets a declined attempt
    // archived: exam 4's attempt removed
    ok((await h.run(command('RemoveAttempt', { attemptId: a4.attemptId, userId: user }), key)).outcome);
    // a dead letter that arrived keyed by the learner, its value naming them
    await h.sendRaw([{ key: user, value: `{"oops": "${email}"` }]);
    await expectEventually(async () => {
      expect(await h.count(`SELECT count(*)::int AS n FROM attempts.outbox_message WHERE topic = $1 AND key = $2`, [h.topics.commandsDlq, user])).toBe(1);
    }, 30_000);
    await feedNotifier();
    // the ledger in every state: sent (exam 1, 2, 3, 4 submitted), pending (verified), parked (unknown),
    // failed, and one claimed in flight by a worker that then dies
    const rows = await notifierDb.dataSource.query<{ event_id: string; status: string }[]>(
      `SELECT event_id, status FROM "${notifierDb.schema}".email_delivery WHERE user_id = $1 ORDER BY created_at`,
      [user],
    );
    const pending = rows.filter((r) => r.status === 'pending').map((r) => r.event_id);
    expect(pending.length).toBeGreaterThanOrEqual(2);
    const sent = rows.filter((r) => r.status === 'sent');
    expect(sent.length).toBe(4);
    const t = `"${notifierDb.schema}".email_delivery`;
    await notifierDb.dataSource.query(`UPDATE ${t} SET status = 'unknown' WHERE event_id = $1`, [sent[0].event_id]);
    await notifierDb.dataSource.query(`UPDATE ${t} SET status = 'failed', last_error = 'HTTP 400' WHERE event_id = $1`, [sent[1].event_id]);
    await notifierDb.dataSource.query(
      `UPDATE ${t} SET status = 'sending', lease_owner = 'dead-worker', lease_until = now() - interval '1 second' WHERE event_id = $1`,
      [pending[0]],
    );
    // allowances: a review policy exception naming the learner (kept, with its history), and extra time
    const exception = { examId: id.exam(1), userId: user, key: 'review_policy_exception', value: `extra breaks for ${username} (${email})` };
    ok((await h.run(command('GrantAllowance', exception), key)).outcome);
    ok((await h.run(command('GrantAllowance', { examId: id.exam(2), userId: user, key: 'additional_time_granted', value: '30' }), key)).outcome);
    // reviews (SPEC §8.1): two staff reviews of exam 2's attempt (the first moves to the review history),
    // their comments, raw data and video URL naming the learner
    for (const reviewId of ['review-1', 'review-2']) {
      const review = command(
        'RecordReview',
        {
          attemptCode: a2.attemptCode,
          reviewId,
          reviewStatus: 'passed',
          reviewedBy: 'staff-1',
          videoUrl: `https://videos.example.com/${username}`,
          comments: [{ category: 'note', comment: `${username} looked away` }],
          rawData: { learner: email, name: username },
        },
        { source: 'staff-tools' },
      );
      ok((await h.run(review, () => a2.attemptCode)).outcome);
    }
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.review_history WHERE attempt_id = $1`, [a2.attemptId])).toBe(1);
    const before = dumpEverything(); // the state holds the learner before the retirement (as text and in the outbox's bytea)
    expect(before).toContain(email);
    expect(before.toLowerCase()).toContain(Buffer.from(email, 'utf8').toString('hex'));
    expect(readdirSync(outboxDir).length).toBeGreaterThanOrEqual(4);

    // retire
    const retire = command('RetireLearner', { userId: user });
    const r = await h.run(retire, key);
    expect(r.outcome.data.outcome).toBe('applied');
    expect(r.events.map((e) => e.type)).toEqual(['LearnerRetired', 'CommandProcessed']);
    expect(r.events[0].data).toEqual({ userId: user });
    await feedNotifier();

    // the relay deleted the learner's rows once published; nothing of theirs is left unpublished
    await expectEventually(async () => {
      expect(await h.count(`SELECT count(*)::int AS n FROM attempts.outbox_message WHERE key = $1`, [user])).toBe(0);
    }, 30_000);
    let everything = dumpEverything();
    expectNoTrace(everything, email);
    expectNoTrace(everything, username);
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.eml'))).toEqual([]);

    // nothing unsent is ever sent: cancelled, not requeued, not parked again after the dead worker's lease
    const after = await notifierDb.dataSource.query<{ status: string; to_address: string }[]>(
      `SELECT event_id, status, to_address FROM ${t} WHERE user_id = $1`,
      [user],
    );
    expect(after.every((x) => x.to_address === RETIRED_EMAIL)).toBe(true);
    expect(after.filter((x) => x.status === 'cancelled').length).toBe(rows.length - 2); // all but the two still `sent`
    expect((await notifierDb.ledger.requeue({ kind: 'status', status: 'failed' })).filter((x) => x.userId === user)).toEqual([]);
    expect((await notifierDb.ledger.requeue({ kind: 'status', status: 'unknown' })).filter((x) => x.userId === user)).toEqual([]);
    expect(await notifierDb.ledger.parkExpiredLeases(true)).toEqual([]);
    await sendAll();
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.eml'))).toEqual([]);

    // the learner's stored rows hold the placeholders; their free text is gone
    const stored = await h.db.query(`SELECT DISTINCT username, email FROM attempts.attempt WHERE user_id = $1
                                     UNION SELECT DISTINCT username, email FROM attempts.attempt_history WHERE user_id = $1`, [user]);
    expect(stored.rows).toEqual([{ username: RETIRED_USERNAME, email: RETIRED_EMAIL }]);
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.attempt_transition t JOIN attempts.attempt a ON a.id = t.attempt_id
                           WHERE a.user_id = $1 AND t.reason IS NOT NULL`, [user])).toBe(0);

    // the reviews stay (ids, statuses), without the reviewer's comments, raw data or video URL
    expect(
      await h.count(
        `SELECT count(*)::int AS n FROM (SELECT comments, raw_data, video_url_encrypted FROM attempts.review WHERE user_id = $1
                  UNION ALL SELECT comments, raw_data, video_url_encrypted FROM attempts.review_history WHERE user_id = $1) r
          WHERE r.comments IS NULL AND r.raw_data IS NULL AND r.video_url_encrypted IS NULL`,
        [user],
      ),
    ).toBe(2);

    // later commands still work, on scrubbed data: the exam 5 attempt (declined by the cascade) is
    // removed, a new one is created with the learner's user data again, and it is submitted
    ok((await h.run(command('RemoveAttempt', { examId: id.exam(5), userId: user }), key)).outcome);
    const again = await create(5);
    await move(again, 'started');
    await move(again, 'submitted', `note about ${username}`);
    expect(again.user).toEqual({ username: RETIRED_USERNAME, email: RETIRED_EMAIL });
    await feedNotifier();
    await sendAll();
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.eml'))).toEqual([]);
    // the placeholder address is never recorded, so the ledger holds no new row for the learner
    expect(await h.count(`SELECT count(*)::int AS n FROM ${t} WHERE user_id = $1`, [user])).toBe(rows.length);
    everything = dumpEverything();
    expectNoTrace(everything, email);
    expectNoTrace(everything, username);
    h.assertContract();
  });

  it('retiring twice is a noop (no second LearnerRetired); a learner never seen is retired all the same', async () => {
    const id = ids('retire2');
    const user = id.user();
    const first = await h.run(command('RetireLearner', { userId: user }));
    expect(first.outcome.data.outcome).toBe('applied');
    const second = await h.run(command('RetireLearner', { userId: user }));
    expect(second.outcome.data.outcome).toBe('noop');
    expect(second.events.map((e) => e.type)).toEqual(['CommandProcessed']);
    expect(h.events().filter((e) => e.type === 'LearnerRetired' && e.data.userId === user)).toHaveLength(1);
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.retired_learner WHERE user_id = $1`, [user])).toBe(1);

    // the never-seen learner's first attempt is stored with the placeholders
    ok((await h.run(registerExam({ examId: id.exam(), courseId: id.courseId }))).outcome);
    const created = createdIn((await h.run(createAttempt({ examId: id.exam(), userId: user }))).events);
    expect(created.user).toEqual({ username: RETIRED_USERNAME, email: RETIRED_EMAIL });
    expect(await h.attemptFor(id.exam(), user)).toMatchObject({ username: RETIRED_USERNAME, email: RETIRED_EMAIL });
  });
});
