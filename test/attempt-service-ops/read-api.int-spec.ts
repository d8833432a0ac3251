import type { Producer } from 'kafkajs';
import { command, createAttempt, publish, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type TestTopics } from '../support/kafka-fixture';
import { createReadApiTestKeys, signToken, type ReadApiTestKeys } from '../support/read-api-keys';
import { closeDb, db, getJson, startOpsService, type OpsService } from './ops.support';

describe('attempt-service: read API, health and metrics over HTTP', () => {
  let topics: TestTopics;
  let service: OpsService;
  let producer: Producer;
  let events: TopicCollector;
  const courseId = uniq('course-v1:ops+Read');
  const examId = uniq('exam-read');
  const otherExamId = uniq('exam-read-other');
  const practiceExamId = uniq('exam-read-practice');
  const userId = uniq('read-user');
  let attemptId: string;
  let keys: ReadApiTestKeys;
  let token: string;

  beforeAll(async () => {
    topics = await createTestTopics('ops-read');
    keys = await createReadApiTestKeys();
    token = await keys.token();
    service = await startOpsService(topics, { ...keys.env, CONSUMER_LAG_INTERVAL_MS: '1000', HEALTH_KAFKA_CACHE_MS: '0' });
    producer = await connectedProducer();
    events = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents]);

    const regs = [
      registerExam({ examId, courseId, provider: 'software_secure' }),
      registerExam({ examId: otherExamId, courseId }),
      registerExam({ examId: practiceExamId, courseId, isPracticeExam: true }),
    ];
    await publish(producer, topics.commands, ...regs);
    for (const r of regs) await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === r.id);
    // A practice attempt replaced by a new one (archived), then the learner's main attempt, started
    // and rejected: the rejection declines the other proctored exam by cascade.
    const practice1 = createAttempt({ examId: practiceExamId, userId });
    await publish(producer, topics.commands, practice1);
    await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === practice1.id);
    const practice2 = createAttempt({ examId: practiceExamId, userId });
    const create = createAttempt({ examId, userId });
    await publish(producer, topics.commands, practice2, create);
    const created = await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === create.id);
    attemptId = created.data.attemptId;
    const start = updateStatus({ examId, userId, toStatus: 'started' });
    const reject = updateStatus({ examId, userId, toStatus: 'rejected' });
    await publish(producer, topics.commands, start, reject);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === reject.id);
  });

  afterAll(async () => {
    await events?.stop();
    await producer?.disconnect();
    await service?.stop();
    await closeDb();
    keys?.dispose();
  });

  describe('needs a Bearer token with the read scope (SPEC §8.4)', () => {
    const path = () => `${service.url}/attempts/${attemptId}`;
    const refused401 = (res: Awaited<ReturnType<typeof getJson>>, challenge: RegExp) => {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(challenge);
      // nothing that tells a caller why
      expect(res.body).toEqual({ statusCode: 401, message: 'Unauthorized' });
    };

    it('answers 401 with a Bearer challenge without a token, on both routes', async () => {
      refused401(await getJson(path()), /^Bearer realm="proctoring-attempts"$/);
      refused401(await getJson(`${service.url}/attempts?examId=${encodeURIComponent(examId)}&userId=${encodeURIComponent(userId)}`), /^Bearer realm=/);
      // a bad request is not answered before the token is checked
      refused401(await getJson(`${service.url}/attempts/not-a-uuid`), /^Bearer realm=/);
    });

    it('answers 401 invalid_token for a malformed, expired, foreign-key, wrong-audience or unsigned token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const other = await createReadApiTestKeys();
      try {
        const bad = [
          'not-a-jwt',
          `${token}x`,
          await keys.token({ claims: { exp: now - 600, iat: now - 4000 } }),
          await keys.token({ claims: { exp: undefined } }),
          await keys.token({ claims: { aud: 'urn:someone-else' } }),
          await keys.token({ claims: { iss: 'https://evil.example/' } }),
          await keys.token({ key: other.privateKey }),
          await signToken(new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!'), { alg: 'HS256', kid: keys.kid }, {}),
          `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${token.split('.')[1]}.`,
        ];
        for (const t of bad) refused401(await getJson(path(), t), /^Bearer realm="proctoring-attempts", error="invalid_token"$/);
      } finally {
        other.dispose();
      }
      const basic = await fetch(path(), { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(basic.status).toBe(401);
    });

    it('answers 403 insufficient_scope for a valid token without the read scope', async () => {
      for (const claims of [{ scope: 'proctoring:attempts:write openid' }, { scope: undefined }, { scope: undefined, scopes: ['openid'] }]) {
        const res = await getJson(path(), await keys.token({ claims }));
        expect(res.status).toBe(403);
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="proctoring-attempts", error="insufficient_scope", scope="proctoring:attempts:read"');
        expect(res.body).toEqual({ statusCode: 403, message: 'Forbidden' });
      }
    });

    it('answers 200, not cached, with the scope in `scope` or in a `scopes` array', async () => {
      const res = await getJson(path(), token);
      expect(res).toMatchObject({ status: 200, body: { attemptId } });
      expect(res.headers.get('cache-control')).toBe('no-store');
      const viaArray = await getJson(path(), await keys.token({ claims: { scope: undefined, scopes: ['openid', 'proctoring:attempts:read'] } }));
      expect(viaArray).toMatchObject({ status: 200, body: { attemptId } });
    });

    it('serves health and metrics without a token, and counts refusals by reason', async () => {
      expect((await getJson(`${service.url}/health/live`)).status).toBe(200);
      expect((await getJson(`${service.url}/health/ready`)).status).not.toBe(401);
      const metrics = await getJson(`${service.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/proctoring_read_api_auth_total\{result="missing",service="attempt-service"\} [1-9]/);
      expect(metrics.body).toMatch(/proctoring_read_api_auth_total\{result="insufficient_scope",service="attempt-service"\} [1-9]/);
      expect(metrics.body).toMatch(/proctoring_read_api_auth_total\{result="ok",service="attempt-service"\} [1-9]/);
    });
  });

  it('returns an attempt by id with its transitions, as the AttemptStatusChanged fields', async () => {
    const res = await getJson(`${service.url}/attempts/${attemptId.toUpperCase()}`, token);
    expect(res.status).toBe(200);
    expect(res.contentType).toContain('application/json');
    expect(res.body).toMatchObject({
      attemptId,
      attemptCode: expect.stringMatching(/^[0-9A-F-]{36}$/),
      examId,
      courseId,
      contentId: `block-${examId}`,
      examName: `Exam ${examId}`,
      courseName: 'Demo Course',
      provider: 'software_secure',
      userId,
      user: { username: `name-${userId}`, email: `${userId}@learners.example.com` },
      status: 'rejected',
      statusAlias: 'unsatisfactory',
      takingAsProctored: true,
      isSampleAttempt: false,
      isPracticeExam: false,
      isProctored: true,
      allowedTimeLimitMins: 60,
      startedAt: expect.any(String),
      completedAt: null,
      version: 3,
      archived: [],
    });
    const t = res.body.transitions as Record<string, unknown>[];
    expect(t.map((x) => [x.fromStatus, x.toStatus, x.version])).toEqual([
      [null, 'created', 1],
      ['created', 'started', 2],
      ['started', 'rejected', 3],
    ]);
    expect(t[2]).toMatchObject({ requestedStatus: 'rejected', cause: { type: 'command', id: expect.any(String) }, cascadeFromAttemptId: null, occurredAt: expect.any(String) });
  });

  it('returns an attempt by examId and userId; a cascaded decline names its trigger; archived attempts are listed', async () => {
    const other = await getJson(`${service.url}/attempts?examId=${encodeURIComponent(otherExamId)}&userId=${encodeURIComponent(userId)}`, token);
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ examId: otherExamId, userId, status: 'declined', takingAsProctored: false, version: 2 });
    expect(other.body.transitions[1]).toMatchObject({ fromStatus: 'created', toStatus: 'declined', cascadeFromAttemptId: attemptId });

    const practice = await getJson(`${service.url}/attempts?examId=${encodeURIComponent(practiceExamId)}&userId=${encodeURIComponent(userId)}`, token);
    expect(practice.status).toBe(200);
    expect(practice.body.isSampleAttempt).toBe(true);
    expect(practice.body.archived).toHaveLength(1);
    expect(practice.body.archived[0]).toMatchObject({ examId: practiceExamId, userId, status: 'created', archiveReason: 'replaced', archivedBy: expect.any(String) });
    expect(practice.body.archived[0].attemptId).not.toBe(practice.body.attemptId);
  });

  it('answers 404 for a missing attempt and 400 for bad ids', async () => {
    const missing = await getJson(`${service.url}/attempts/00000000-0000-4000-8000-000000000000`, token);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, message: expect.any(String) });
    const missingPair = await getJson(`${service.url}/attempts?examId=${examId}&userId=nobody-${userId}`, token);
    expect(missingPair.status).toBe(404);

    const badId = await getJson(`${service.url}/attempts/not-a-uuid`, token);
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ statusCode: 400, message: 'attemptId must be a UUID' });
    const noUser = await getJson(`${service.url}/attempts?examId=${examId}`, token);
    expect(noUser.status).toBe(400);
    const control = await getJson(`${service.url}/attempts?examId=${examId}&userId=a%01b`, token);
    expect(control.status).toBe(400);
    const repeated = await getJson(`${service.url}/attempts?examId=${examId}&userId=a&userId=b`, token);
    expect(repeated.status).toBe(400);
  });

  it('reading an expired attempt does not change it', async () => {
    const reader = uniq('read-expired');
    const c = createAttempt({ examId: otherExamId, userId: reader });
    await publish(producer, topics.commands, c);
    const created = await events.waitFor((e) => e.type === 'AttemptCreated' && e.causationid === c.id);
    const s = updateStatus({ attemptId: created.data.attemptId, userId: reader, toStatus: 'started' });
    await publish(producer, topics.commands, s);
    await events.waitFor((e) => e.type === 'CommandProcessed' && e.data.commandId === s.id);
    await db().query(
      `UPDATE attempts.attempt SET started_at = started_at - interval '2 hours', expires_at = expires_at - interval '2 hours', sweep_at = sweep_at - interval '2 hours' WHERE id = $1`,
      [created.data.attemptId],
    );
    for (let i = 0; i < 3; i++) {
      const res = await getJson(`${service.url}/attempts/${created.data.attemptId}`, token);
      expect(res.body).toMatchObject({ status: 'started', version: 2 });
    }
    const { rows } = await db().query(`SELECT status, version FROM attempts.attempt WHERE id = $1`, [created.data.attemptId]);
    expect(rows[0]).toEqual({ status: 'started', version: 2 });
    // leave nothing expired behind for other suites' sweepers
    await publish(producer, topics.commands, command('RemoveAttempt', { attemptId: created.data.attemptId, userId: reader }));
    await expectEventually(async () => expect((await db().query(`SELECT 1 FROM attempts.attempt WHERE id = $1`, [created.data.attemptId])).rowCount).toBe(0));
  });

  it('reports liveness and readiness', async () => {
    const live = await getJson(`${service.url}/health/live`);
    expect(live).toMatchObject({ status: 200, body: { status: 'ok', info: {}, error: {}, details: {} } });
    expect(live.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    const ready = await expectEventually(async () => {
      const r = await getJson(`${service.url}/health/ready`);
      expect(r.status).toBe(200);
      return r;
    });
    expect(ready.body).toEqual({
      status: 'ok',
      info: expect.any(Object),
      error: {},
      details: {
        database: { status: 'up', responseTime: expect.any(Number) },
        consumer: { status: 'up', state: 'joined' },
        kafka: { status: 'up' },
        outbox: { status: 'up' },
      },
    });
  });

  it('exports Prometheus metrics: commands by outcome, events published, outbox backlog, consumer lag, sweeper', async () => {
    const text = await expectEventually(async () => {
      const res = await getJson(`${service.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.contentType).toContain('text/plain');
      const body = res.body as string;
      expect(body).toContain(`proctoring_consumer_lag{topic="${topics.commands}",partition="0",service="attempt-service"}`);
      return body;
    }, 15_000);
    expect(text).toMatch(/proctoring_commands_total\{type="RegisterExam",outcome="applied",service="attempt-service"\} 3/);
    expect(text).toMatch(/proctoring_commands_total\{type="UpdateAttemptStatus",outcome="applied",service="attempt-service"\} \d+/);
    expect(text).toMatch(new RegExp(`proctoring_events_published_total\\{topic="${topics.attemptEvents.replace(/\./g, '\\.')}",service="attempt-service"\\} \\d+`));
    expect(text).toMatch(/proctoring_outbox_backlog\{service="attempt-service"\} \d+/);
    expect(text).toMatch(/proctoring_outbox_oldest_age_seconds\{service="attempt-service"\} [\d.e+-]+/);
    expect(text).toContain('# TYPE proctoring_sweeper_runs_total counter');
    // all commands are processed and committed: no lag on any partition
    await expectEventually(async () => {
      const body = (await getJson(`${service.url}/metrics`)).body as string;
      const lags = [...body.matchAll(new RegExp(`proctoring_consumer_lag\\{topic="${topics.commands.replace(/\./g, '\\.')}",partition="\\d+",service="attempt-service"\\} (\\d+)`, 'g'))];
      expect(lags).toHaveLength(3);
      for (const l of lags) expect(l[1]).toBe('0');
    }, 15_000);
  });
});
