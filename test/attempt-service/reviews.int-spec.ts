import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertConsumedTopicsExist } from '../../apps/attempt-service/src/attempt-service.runtime';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { TopicCollector } from '../support/kafka-fixture';
import { Harness, ids, type SeenEvent } from './attempt-service.harness';

/**
 * SPEC §8.1 on the topics of §8.4: a provider's review through its own review topic, the outcome copies
 * on its outcomes topic, a staff second review on the commands topic, and what is refused where.
 */
describe('attempt-service: reviews from provider pipelines', () => {
  let h: Harness;
  let outcomes: TopicCollector;
  const key = randomBytes(32);

  beforeAll(async () => {
    h = await Harness.start('reviews', { env: { REVIEW_VIDEO_URL_KEY: key.toString('base64') } });
    const reviews = h.topics.reviews ?? {};
    outcomes = await TopicCollector.start(Object.values(reviews).map((r) => r.outcomes));
  });

  afterAll(async () => {
    await outcomes?.stop();
    await h?.stop();
  });

  const types = (events: SeenEvent[]) => events.map((e) => e.type);
  const review = (attemptCode: string, provider: string, data: Record<string, unknown>, o: { id?: string; source?: string } = {}) =>
    command('RecordReview', { attemptCode, reviewId: `rev-${attemptCode}`, ...data }, { source: o.source ?? `provider:${provider}`, id: o.id });

  /** A submitted attempt at a proctored exam of `provider`; a second exam of the course too (for cascades). */
  async function submitted(tag: string, provider: string | null = 'software_secure') {
    const { courseId, exam, user } = ids(tag);
    const examId = exam('a');
    const userId = user();
    await h.run(registerExam({ examId, courseId, provider }));
    await h.run(registerExam({ examId: exam('b'), courseId, provider }));
    const created = await h.run(createAttempt({ examId, userId }));
    const attemptCode = String(created.events.find((e) => e.type === 'AttemptCreated')?.data.attemptCode);
    await h.run(updateStatus({ examId, userId, toStatus: 'started' }));
    await h.run(updateStatus({ examId, userId, toStatus: 'submitted' }));
    return { examId, userId, attemptCode };
  }

  async function viaReviewTopic(provider: string, c: ReturnType<typeof review>) {
    await h.sendToReviews(provider, c);
    return h.settle(c.id);
  }

  it("runs a provider's whole exchange: review on its topic, copies on its outcomes topic, then a staff second review", async () => {
    const { examId, userId, attemptCode } = await submitted('exchange');
    const first = review(attemptCode, 'software_secure', {
      reviewStatus: 'Suspicious',
      videoUrl: 'https://videos.example.com/s/1',
      comments: [{ category: 'Browser', comment: 'second tab' }],
      rawData: { score: 7 },
    });
    const r = await viaReviewTopic('software_secure', first);
    expect(types(r.events)).toEqual(['AttemptReviewed', 'AttemptStatusChanged', 'CommandProcessed']);
    expect(r.events[0].data).toMatchObject({
      attemptCode,
      provider: 'software_secure',
      reviewStatus: 'suspicious',
      providerReviewStatus: 'Suspicious',
      resultingStatus: 'second_review_required',
      isUpdate: false,
      archived: false,
    });
    expect(r.events[1].data).toMatchObject({ fromStatus: 'submitted', toStatus: 'second_review_required' });
    // the provider reads the same events (same ids) on its outcomes topic, and nothing of the learner
    const outTopic = h.topics.reviews!.software_secure.outcomes;
    await expectEventually(() => {
      const copied = outcomes.messages.filter((m) => m.topic === outTopic && m.json?.causationid === first.id).map((m) => m.json!.id);
      expect(copied).toEqual([r.events[0].id, r.events[2].id]);
    });
    const wire = outcomes.messages.filter((m) => m.topic === outTopic).map((m) => m.raw!.toString()).join('\n');
    for (const secret of ['learners.example.com', `name-${userId}`, 'videos.example.com', 'second tab']) expect(wire).not.toContain(secret);

    // stored: comments and raw data kept, the video URL only encrypted
    const [row] = (await h.db.query(`SELECT * FROM attempts.review WHERE attempt_code = $1`, [attemptCode])).rows as Record<string, unknown>[];
    expect(row).toMatchObject({ review_status: 'suspicious', provider_review_status: 'Suspicious', comments: [{ category: 'Browser', comment: 'second tab' }], raw_data: { score: 7 } });
    expect(String(row.video_url_encrypted)).not.toContain('videos.example.com');
    expect(String(row.video_url_encrypted)).toMatch(/^v1\./);

    // the staff second review, on the commands topic, settles it
    const second = review(attemptCode, 'software_secure', { reviewStatus: 'suspicious', reviewedBy: 'staff-42' }, { source: 'staff-tools' });
    const s = await h.run(second);
    expect(types(s.events)[0]).toBe('AttemptReviewed');
    expect(s.events[0].data).toMatchObject({ reviewedBy: 'staff-42', resultingStatus: 'rejected', isUpdate: true });
    expect((await h.attemptFor(examId, userId))?.status).toBe('rejected');
    // the rejection cascades (CASCADE_STATUSES: rejected) to the course's other exam, as any rejection
    expect(types(s.events)).toContain('AttemptCreated');
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.review_history WHERE attempt_code = $1`, [attemptCode])).toBe(1);
    // the read API shows the review and its history, the video URL decrypted
    const attemptId = String(r.events[0].data.attemptId);
    const view = (await (await fetch(`${h.services[0].url}/attempts/${attemptId}`)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      status: 'rejected',
      review: { reviewStatus: 'suspicious', reviewedBy: 'staff-42', videoUrl: null, commandId: second.id },
      reviewHistory: [{ reviewStatus: 'suspicious', providerReviewStatus: 'Suspicious', videoUrl: 'https://videos.example.com/s/1', comments: [{ category: 'Browser', comment: 'second tab' }], rawData: { score: 7 }, replacedBy: second.id }],
    });
    // not copied to the provider: it came from the commands topic
    await new Promise((r2) => setTimeout(r2, 500));
    expect(outcomes.messages.some((m) => m.json?.causationid === second.id)).toBe(false);
  });

  it("refuses a review from another provider's topic (PROVIDER_MISMATCH), told on that provider's outcomes topic", async () => {
    const { attemptCode } = await submitted('mismatch');
    const c = review(attemptCode, 'proctortrack', { reviewStatus: 'passed' });
    const r = await viaReviewTopic('proctortrack', c);
    expect(r.outcome.data).toMatchObject({ reason: 'PROVIDER_MISMATCH' });
    const outTopic = h.topics.reviews!.proctortrack.outcomes;
    await expectEventually(() => expect(outcomes.messages.some((m) => m.topic === outTopic && m.json?.id === r.outcome.id)).toBe(true));
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.review WHERE attempt_code = $1`, [attemptCode])).toBe(0);
  });

  it('refuses FORBIDDEN: a review with another source on a review topic, with reviewedBy there, or without reviewedBy on the commands topic', async () => {
    const { attemptCode } = await submitted('forbidden');
    for (const c of [
      review(attemptCode, 'software_secure', { reviewStatus: 'passed' }, { source: 'provider:proctortrack' }),
      review(attemptCode, 'software_secure', { reviewStatus: 'passed', reviewedBy: 'staff-1' }),
    ])
      expect((await viaReviewTopic('software_secure', c)).outcome.data).toMatchObject({ reason: 'FORBIDDEN' });
    expect((await h.run(review(attemptCode, 'software_secure', { reviewStatus: 'passed' }))).outcome.data).toMatchObject({ reason: 'FORBIDDEN' });
    expect((await viaReviewTopic('software_secure', updateStatus({ attemptCode, toStatus: 'verified' }) as never)).outcome.data).toMatchObject({ reason: 'FORBIDDEN' });
  });

  it('the same reviewId again is an update (a new command id); the same command id again is a duplicate', async () => {
    const { examId, userId, attemptCode } = await submitted('update');
    const a = review(attemptCode, 'software_secure', { reviewStatus: 'Clean' });
    expect(types((await viaReviewTopic('software_secure', a)).events)).toEqual(['AttemptReviewed', 'AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
    const again = review(attemptCode, 'software_secure', { reviewStatus: 'Clean' });
    const r = await viaReviewTopic('software_secure', again);
    // verified already: the review is stored again (an update), the status is a no-op
    expect(types(r.events)).toEqual(['AttemptReviewed', 'CommandProcessed']);
    expect(r.events[0].data).toMatchObject({ isUpdate: true, resultingStatus: 'verified' });
    await h.sendToReviews('software_secure', a);
    const marker = review(attemptCode, 'software_secure', { reviewStatus: 'Clean' });
    await viaReviewTopic('software_secure', marker);
    expect(h.events().filter((e) => e.causationid === a.id && e.type === 'CommandProcessed')).toHaveLength(1);
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.review_history WHERE attempt_code = $1`, [attemptCode])).toBe(2);
    expect((await h.attemptFor(examId, userId))?.version).toBe(4);
  });

  it('rejects an unknown review status INVALID_REVIEW_STATUS and an unknown code ATTEMPT_NOT_FOUND', async () => {
    const { attemptCode } = await submitted('invalid');
    expect((await viaReviewTopic('software_secure', review(attemptCode, 'software_secure', { reviewStatus: 'clean' }))).outcome.data).toMatchObject({ reason: 'INVALID_REVIEW_STATUS' });
    expect((await viaReviewTopic('software_secure', review('NO-SUCH-CODE', 'software_secure', { reviewStatus: 'passed' }))).outcome.data).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
  });

  it('stores a review of an archived attempt against the archive, with no status change', async () => {
    const { examId, userId, attemptCode } = await submitted('archived');
    await h.run(command('RemoveAttempt', { examId, userId }));
    const r = await viaReviewTopic('software_secure', review(attemptCode, 'software_secure', { reviewStatus: 'Rules Violation' }));
    expect(types(r.events)).toEqual(['AttemptReviewed', 'CommandProcessed']);
    expect(r.events[0].data).toMatchObject({ archived: true, resultingStatus: null, reviewStatus: 'violation' });
    expect(await h.count(`SELECT count(*)::int AS n FROM attempts.review WHERE attempt_code = $1 AND archived`, [attemptCode])).toBe(1);
  });

  it('refuses to start, naming the topic, when a review topic is missing (SPEC §8.4)', async () => {
    const rt = h.services[0].runtime;
    await expect(assertConsumedTopicsExist(rt)).resolves.toBeUndefined();
    const ghost = { reviews: `proctoring.attempt.reviews.ghost.v1${h.topics.reviewsSuffix}`, outcomes: 'unused' };
    const missing = { ...rt, config: { ...rt.config, topics: { ...rt.config.topics, reviews: { ...rt.config.topics.reviews, ghost } } } };
    await expect(assertConsumedTopicsExist(missing)).rejects.toThrow(`missing topic to consume: ${ghost.reviews}`);
  });

  it('every event published (AttemptReviewed included) is valid v1 on its topic, in per-key sequence order', () => {
    expect(h.assertContract()).toBeGreaterThan(0);
  });
});

/** The two review settings of the providers file, off (SPEC §8.1 rules 3 and 4), on the same review topics. */
describe('attempt-service: reviews with ALLOW_REVIEW_UPDATES and REQUIRE_FAILURE_SECOND_REVIEWS false', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'providers-'));
    const file = join(dir, 'providers.json');
    const base = JSON.parse(readFileSync('config/providers.json', 'utf8')) as { defaults: object; providers: Record<string, object> };
    base.providers.software_secure = { ...base.providers.software_secure, ALLOW_REVIEW_UPDATES: false, REQUIRE_FAILURE_SECOND_REVIEWS: false };
    writeFileSync(file, JSON.stringify(base));
    h = await Harness.start('reviews-strict', { env: { PROVIDERS_FILE: file } });
  });

  afterAll(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a suspicious review rejects at once (no second review), and a second review of the attempt is REVIEW_ALREADY_EXISTS', async () => {
    const { courseId, exam, user } = ids('strict');
    const examId = exam('a');
    const userId = user();
    await h.run(registerExam({ examId, courseId, provider: 'software_secure' }));
    const created = await h.run(createAttempt({ examId, userId }));
    const attemptCode = String(created.events.find((e) => e.type === 'AttemptCreated')?.data.attemptCode);
    await h.run(updateStatus({ examId, userId, toStatus: 'started' }));
    await h.run(updateStatus({ examId, userId, toStatus: 'submitted' }));
    const first = command('RecordReview', { attemptCode, reviewId: 'r1', reviewStatus: 'Suspicious' }, { source: 'provider:software_secure' });
    await h.sendToReviews('software_secure', first);
    const r = await h.settle(first.id);
    expect(r.events[0].data).toMatchObject({ resultingStatus: 'rejected' });
    expect((await h.attemptFor(examId, userId))?.status).toBe('rejected');
    const again = command('RecordReview', { attemptCode, reviewId: 'r1', reviewStatus: 'Clean' }, { source: 'provider:software_secure' });
    await h.sendToReviews('software_secure', again);
    expect((await h.settle(again.id)).outcome.data).toMatchObject({ reason: 'REVIEW_ALREADY_EXISTS' });
    // a staff second review is refused too: the provider allows no update of a stored review
    const staff = await h.run(command('RecordReview', { attemptCode, reviewId: 'r2', reviewStatus: 'passed', reviewedBy: 'staff-1' }, { source: 'staff-tools' }));
    expect(staff.outcome.data).toMatchObject({ reason: 'REVIEW_ALREADY_EXISTS' });
    expect((await h.attemptFor(examId, userId))?.status).toBe('rejected');
  });
});
