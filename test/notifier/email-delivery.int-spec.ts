import { STATUSES, type Status } from '../../libs/domain/src';
import { expectEventually } from '../support/expect-eventually';
import { accepted, badRequest, rateLimited, serverError, startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';
import { createTestLedger, statusChanged, TEST_API_KEY, TestPipeline, type PipelineOptions, type TestLedger } from './notifier.fixture';

/**
 * The notifier from consumed events to SendGrid: ledger in real PostgreSQL (a throwaway schema per
 * test), the real @sendgrid/mail client against the local v3 stub, the real worker and retry policy.
 */
describe('status email delivery (PostgreSQL ledger → worker → SendGrid v3 stub)', () => {
  let stub: SendGridStub;
  let db: TestLedger;
  let pipeline: TestPipeline;

  beforeAll(async () => {
    stub = await startSendGridStub();
  });
  afterAll(() => stub.stop());

  async function setUp(options: PipelineOptions = {}): Promise<TestPipeline> {
    db = await createTestLedger();
    pipeline = new TestPipeline(db, { sendGridBaseUrl: stub.baseUrl, ...options });
    return pipeline;
  }

  afterEach(async () => {
    await pipeline?.stopAll();
    await db?.dispose();
    stub.reset();
  });

  const url = 'http://localhost:18000/courses/course-v1:edX+DemoX+Demo_Course/info';

  it.each([
    ['submitted', 'pending'],
    ['verified', 'satisfactory'],
    ['rejected', 'unsatisfactory'],
  ] as const)('sends the exact SendGrid request for %s (%s)', async (toStatus, alias) => {
    const p = await setUp();
    const event = statusChanged({ toStatus });
    stub.enqueue(accepted('sg-message-1'));
    await expect(p.consume(event)).resolves.toMatchObject({ recorded: 1, duplicates: 0, notEmailed: 0 });
    p.startWorker();

    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'));
    expect(stub.requests).toHaveLength(1);
    const [req] = stub.requests;
    expect(req.path).toBe('/v3/mail/send');
    expect(req.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
    expect(req.body).toEqual({
      from: { email: 'no-reply@example.com' },
      subject: 'Proctoring Session Results Update for edx demo Final Exam',
      personalizations: [{ to: [{ email: event.data.user.email }] }],
      content: [
        {
          type: 'text/plain',
          value:
            'This email is to let you know that the status of your proctoring session review for Final Exam in ' +
            `edx demo (${url}) is ${alias}. If you have any questions about proctoring, ` +
            'contact Open edX support at support@example.com.\n',
        },
        {
          type: 'text/html',
          value:
            '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n<p>' +
            'This email is to let you know that the status of your proctoring session review for Final Exam in\n' +
            `<a href="${url}">edx demo</a> is ${alias}. If you have any questions about proctoring,\n` +
            'contact Open edX support at support@example.com.</p>\n</body>\n</html>\n',
        },
      ],
      custom_args: { event_id: event.id },
    });
    const row = await db.ledger.find(event.id);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, providerMessageId: 'sg-message-1', lastError: null });
    expect(row?.sentAt).toBeInstanceOf(Date);
  });

  it('keeps a unicode course name intact in subject and body, and escapes markup in the HTML', async () => {
    const p = await setUp();
    const event = statusChanged({
      toStatus: 'submitted',
      courseName: 'अआईउऊऋऌ अआईउऊऋऌ',
      examName: '<script>alert("x")</script> & Final',
    });
    await p.consume(event);
    p.startWorker();
    await expectEventually(() => expect(stub.requestsFor(event.id)).toHaveLength(1));

    const body = stub.requests[0].body!;
    expect(body.subject).toBe('Proctoring Session Results Update for अआईउऊऋऌ अआईउऊऋऌ <script>alert("x")</script> & Final');
    const html = body.content!.find((c) => c.type === 'text/html')!.value;
    const text = body.content!.find((c) => c.type === 'text/plain')!.value;
    expect(html).toContain('>अआईउऊऋऌ अआईउऊऋऌ</a> is pending');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Final');
    expect(html).not.toContain('<script>');
    expect(text).toContain('अआईउऊऋऌ अआईउऊऋऌ');
    expect(text).toContain('pending');
  });

  it('reads "your course" when the event has no course name', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'verified', courseName: null });
    await p.consume(event);
    p.startWorker();
    await expectEventually(() => expect(stub.requestsFor(event.id)).toHaveLength(1));
    expect(stub.requests[0].body!.subject).toBe('Proctoring Session Results Update for your course Final Exam');
  });

  it('sends no email for practice/sample, not-proctored, declined or non-email statuses', async () => {
    const p = await setUp();
    const emailing: readonly Status[] = ['submitted', 'verified', 'rejected'];
    const quiet = [
      ...STATUSES.filter((s) => !emailing.includes(s)).map((toStatus) => statusChanged({ toStatus })),
      ...emailing.map((toStatus) => statusChanged({ toStatus, isSampleAttempt: true })),
      ...emailing.map((toStatus) => statusChanged({ toStatus, takingAsProctored: false })),
      statusChanged({ toStatus: 'declined', takingAsProctored: false }),
      statusChanged({ toStatus: 'SUBMITTED' }), // not a status (case-sensitive)
    ];
    const summary = await p.consume(...quiet);
    expect(summary).toMatchObject({ recorded: 0, notEmailed: quiet.length });
    const other = await p.consumeRaw(['not json', null, '{"type":"AttemptStatusChanged"}']);
    expect(other).toMatchObject({ recorded: 0, unreadable: 3 });

    // One emailing event afterwards proves the worker was running while the others were ignored.
    const marker = statusChanged({ toStatus: 'verified' });
    await p.consume(marker);
    p.startWorker();
    await expectEventually(() => expect(stub.requestsFor(marker.id)).toHaveLength(1));
    expect(stub.requests).toHaveLength(1);
    await expectEventually(async () => expect(await db.ledger.backlog()).toEqual({ pending: 0, sending: 0, unknown: 0, failed_unpublished: 0 }));
  });

  it('sends an event recorded twice (same id, also within one batch) exactly once', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'rejected' });
    await expect(p.consume(event, event)).resolves.toMatchObject({ recorded: 1, duplicates: 1 });
    p.startWorker();
    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'));
    await expect(p.consume(event)).resolves.toMatchObject({ recorded: 0, duplicates: 1 });
    // A redelivery after the send must not send again: give the worker time to (wrongly) pick it up.
    const marker = statusChanged({ toStatus: 'verified' });
    await p.consume(marker);
    await expectEventually(() => expect(stub.requestsFor(marker.id)).toHaveLength(1));
    expect(stub.requestsFor(event.id)).toHaveLength(1);
  });

  it('on 429 waits at least Retry-After, then sends once', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'submitted' });
    stub.enqueue(rateLimited({ 'Retry-After': '1' }), accepted('after-429'));
    await p.consume(event);
    p.startWorker();

    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'), 15_000);
    const [first, second] = stub.requestsFor(event.id);
    expect(stub.requestsFor(event.id)).toHaveLength(2);
    expect(first.answeredStatus).toBe(429);
    expect(second.answeredStatus).toBe(202);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1000);
    expect(await db.ledger.find(event.id)).toMatchObject({ attempts: 2, throttled: 1, providerMessageId: 'after-429' });
  });

  it('on 429 with X-RateLimit-Reset waits until the reset time, then sends once', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'verified' });
    const resetEpochS = Math.ceil(Date.now() / 1000) + 1;
    stub.enqueue(rateLimited({ 'X-RateLimit-Reset': String(resetEpochS) }));
    await p.consume(event);
    p.startWorker();

    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'), 15_000);
    const requests = stub.requestsFor(event.id);
    expect(requests).toHaveLength(2);
    expect(requests[1].receivedAt).toBeGreaterThanOrEqual(resetEpochS * 1000);
  });

  it('retries 500 three times with backoff, then sends once', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'submitted' });
    stub.enqueue(serverError(500), serverError(500), serverError(500), accepted('after-500s'));
    await p.consume(event);
    p.startWorker();

    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'));
    const requests = stub.requestsFor(event.id);
    expect(requests.map((r) => r.answeredStatus)).toEqual([500, 500, 500, 202]);
    // jittered exponential backoff, base 20 ms: at least 10, 20, 40 ms between tries
    expect(requests[1].receivedAt - requests[0].receivedAt).toBeGreaterThanOrEqual(10);
    expect(requests[3].receivedAt - requests[2].receivedAt).toBeGreaterThanOrEqual(40);
    expect(await db.ledger.find(event.id)).toMatchObject({ attempts: 4, throttled: 0, lastError: null });
    expect(p.dlq.published).toHaveLength(0);
  });

  it('retries a timeout, then sends once', async () => {
    const p = await setUp({ sendGridTimeoutMs: 200 });
    const event = statusChanged({ toStatus: 'rejected' });
    stub.enqueue({ hang: true }, accepted());
    await p.consume(event);
    p.startWorker();
    await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'));
    expect(stub.requestsFor(event.id)).toHaveLength(2);
  });

  it('fails a 400 with its reason, publishes it to the DLQ and keeps sending the next events', async () => {
    const p = await setUp();
    const bad = statusChanged({ toStatus: 'submitted' });
    const next = [statusChanged({ toStatus: 'verified' }), statusChanged({ toStatus: 'rejected' })];
    stub.respondWith((req) => (req.body?.custom_args?.event_id === bad.id ? badRequest('Invalid to address', 'personalizations.0.to') : undefined));
    await p.consume(bad);
    await p.consume(...next);
    p.startWorker();

    await expectEventually(async () => expect((await db.ledger.find(bad.id))?.dlqPublishedAt).toBeInstanceOf(Date));
    const row = await db.ledger.find(bad.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 400 });
    expect(row?.lastError).toBe('SendGrid answered 400: Invalid to address (personalizations.0.to)');
    expect(p.dlq.published).toEqual([
      {
        eventId: bad.id,
        attemptId: bad.data.attemptId,
        userId: bad.data.userId,
        correlationId: bad.correlationid,
        requeues: 0,
        reason: 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
        statusCode: 400,
        attempts: 1,
        failedAt: expect.any(Date),
      },
    ]);
    expect(JSON.stringify(p.dlq.published)).not.toContain('@');
    expect(stub.requestsFor(bad.id)).toHaveLength(1); // never retried
    for (const e of next) await expectEventually(async () => expect((await db.ledger.find(e.id))?.status).toBe('sent'));
    const metrics = await p.metrics.registry.getSingleMetricAsString('notifier_emails_total');
    expect(metrics).toContain('outcome="failed_permanent",service="notifier"} 1');
    expect(metrics).toContain('outcome="sent",service="notifier"} 2');
  });

  it('never sends to an address that is not exactly one mailbox: failed at once, with a reason and no address, dead-lettered', async () => {
    const p = await setUp();
    const hostile = ['x,victim@evil.example', 'undisclosed:victim@evil.example;', 'Evil<attacker@evil.example>'].map((email) =>
      statusChanged({ toStatus: 'submitted', email }),
    );
    const good = statusChanged({ toStatus: 'verified' });
    // From the topic, the contract refuses them: unreadable, nothing recorded.
    await expect(p.consume(...hostile)).resolves.toMatchObject({ recorded: 0, unreadable: 3 });
    // A row recorded some other way (before the contract refused such addresses) is never sent either.
    await expect(p.record.execute([...hostile, good])).resolves.toMatchObject({ recorded: 4 });
    stub.enqueue(accepted('sg-good'));
    p.startWorker();

    for (const e of hostile) await expectEventually(async () => expect((await db.ledger.find(e.id))?.dlqPublishedAt).toBeInstanceOf(Date));
    await expectEventually(async () => expect((await db.ledger.find(good.id))?.status).toBe('sent'));
    for (const e of hostile) {
      expect(await db.ledger.find(e.id)).toMatchObject({
        status: 'failed',
        attempts: 1,
        lastStatusCode: null,
        lastError: 'recipient address is not exactly one mailbox; not sent',
      });
      expect(stub.requestsFor(e.id)).toHaveLength(0);
    }
    expect(stub.requests).toHaveLength(1);
    expect(p.dlq.published.map((f) => f.eventId).sort()).toEqual(hostile.map((e) => e.id).sort());
    expect(JSON.stringify(p.dlq.published)).not.toContain('@');
  });

  it('gives up after NOTIFIER_MAX_ATTEMPTS transient failures and dead-letters the row', async () => {
    const p = await setUp({ retry: { maxAttempts: 3 } });
    const event = statusChanged({ toStatus: 'submitted' });
    stub.respondWith(() => serverError(503));
    await p.consume(event);
    p.startWorker();
    await expectEventually(() => expect(p.dlq.published.map((r) => r.eventId)).toEqual([event.id]));
    expect(await db.ledger.find(event.id)).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 503 });
    expect(p.dlq.published[0].reason).toBe('gave up after 3 attempts: SendGrid answered 503: internal error');
    expect(stub.requestsFor(event.id)).toHaveLength(3);
  });

  it('sends a failed row again after an operator requeue, with a fresh budget; a new failure is dead-lettered again', async () => {
    const p = await setUp({ retry: { maxAttempts: 2 } });
    const event = statusChanged({ toStatus: 'submitted' });
    stub.respondWith(() => serverError(503));
    await p.consume(event);
    const worker = p.startWorker();
    await expectEventually(() => expect(p.dlq.published.map((r) => [r.eventId, r.requeues, r.attempts])).toEqual([[event.id, 0, 2]]));
    await expectEventually(async () => expect((await db.ledger.find(event.id))?.dlqPublishedAt).toBeInstanceOf(Date));

    const [before] = await db.ledger.requeue({ kind: 'status', status: 'failed' });
    expect(before).toMatchObject({ eventId: event.id, status: 'failed', attempts: 2, requeues: 0 });
    worker.wake();
    await expectEventually(() => expect(p.dlq.published.map((r) => [r.eventId, r.requeues, r.attempts])).toEqual([[event.id, 0, 2], [event.id, 1, 2]]));
    expect(stub.requestsFor(event.id)).toHaveLength(4);

    stub.respondWith(() => undefined);
    await db.ledger.requeue({ kind: 'event', eventId: event.id });
    worker.wake();
    await expectEventually(async () => expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sent', attempts: 1, requeues: 2 }));
    expect(await db.ledger.requeue({ kind: 'event', eventId: event.id })).toEqual([]); // sent rows never move
  });

  it('keeps failed rows until the DLQ accepts them (broker outage)', async () => {
    const p = await setUp();
    p.dlq.failNext = 1;
    const event = statusChanged({ toStatus: 'submitted' });
    stub.enqueue(badRequest());
    await p.consume(event);
    p.startWorker();
    await expectEventually(async () => expect((await db.ledger.find(event.id))?.dlqPublishedAt).toBeInstanceOf(Date), 15_000);
    expect(p.dlq.published.map((r) => r.eventId)).toEqual([event.id]);
    expect(p.dlq.calls).toBe(2);
    expect(await p.metrics.registry.getSingleMetricAsString('notifier_dlq_publish_errors_total')).toContain(' 1');
  });

  it('drains on stop: a send in flight is recorded before stop() resolves', async () => {
    const p = await setUp();
    const event = statusChanged({ toStatus: 'verified' });
    stub.enqueue({ status: 202, headers: { 'X-Message-Id': 'slow' }, delayMs: 400 });
    await p.consume(event);
    const worker = p.startWorker();
    await expectEventually(() => expect(stub.requestsFor(event.id)).toHaveLength(1));
    await worker.stop();
    expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sent', providerMessageId: 'slow' });
  });

  it('hands claimed but unstarted rows back on stop, their attempt uncounted', async () => {
    const p = await setUp();
    const events = [statusChanged(), statusChanged(), statusChanged()];
    stub.respondWith(() => ({ status: 202, delayMs: 300 }));
    await p.consume(...events);
    const worker = p.startWorker({ concurrency: 1 }); // one send in flight, one prefetched
    await expectEventually(() => expect(stub.requests).toHaveLength(1));
    await worker.stop();
    const rows = await Promise.all(events.map((e) => db.ledger.find(e.id)));
    const byStatus = rows.map((r) => `${r?.status}:${r?.attempts}`).sort();
    expect(byStatus).toEqual(['pending:0', 'pending:0', 'sent:1']);
    expect(stub.requests).toHaveLength(1);
  });

  it('sends many emails concurrently, each exactly once, across two workers', async () => {
    const p = await setUp();
    const events = Array.from({ length: 300 }, (_, i) => statusChanged({ toStatus: (['submitted', 'verified', 'rejected'] as const)[i % 3] }));
    await p.consume(...events);
    p.startWorker({ concurrency: 16 });
    p.startWorker({ concurrency: 16 });
    await expectEventually(async () => expect((await db.ledger.backlog()).pending + (await db.ledger.backlog()).sending).toBe(0), 30_000);
    const ids = stub.requests.map((r) => r.body?.custom_args?.event_id);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
  });

  describe('crash window: the process died after SendGrid accepted, before the ledger recorded it', () => {
    /** Leaves the row as a dead worker would: claimed, lease already expired, outcome never recorded. */
    async function strandInSending(eventId: string): Promise<void> {
      const claimed = await db.ledger.claimDue(10, 'dead-worker', 60_000);
      expect(claimed.map((c) => c.eventId)).toEqual([eventId]);
      await db.dataSource.query(`UPDATE "${db.schema}".email_delivery SET lease_until = now() - interval '1 second' WHERE event_id = $1`, [
        eventId,
      ]);
    }

    it('parks the row as unknown and does not resend it (at most once, the default)', async () => {
      const p = await setUp();
      const event = statusChanged({ toStatus: 'submitted' });
      await p.consume(event);
      await strandInSending(event.id);

      p.startWorker({ resendUnknown: false });
      await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('unknown'));
      const marker = statusChanged({ toStatus: 'verified' });
      await p.consume(marker);
      await expectEventually(() => expect(stub.requestsFor(marker.id)).toHaveLength(1));
      expect(stub.requestsFor(event.id)).toHaveLength(0);
      expect(await db.ledger.find(event.id)).toMatchObject({ status: 'unknown', attempts: 1, leaseOwner: null });
      expect(await db.ledger.backlog()).toMatchObject({ unknown: 1 });
      expect(await p.metrics.registry.getSingleMetricAsString('notifier_emails_total')).toContain('outcome="unknown",service="notifier"} 1');
    });

    it('resends the row when NOTIFIER_RESEND_UNKNOWN=true (at least once)', async () => {
      const p = await setUp();
      const event = statusChanged({ toStatus: 'submitted' });
      await p.consume(event);
      await strandInSending(event.id);

      p.startWorker({ resendUnknown: true });
      await expectEventually(async () => expect((await db.ledger.find(event.id))?.status).toBe('sent'));
      expect(stub.requestsFor(event.id)).toHaveLength(1);
      expect(await db.ledger.find(event.id)).toMatchObject({ attempts: 2 });
    });

    it('a late outcome from the stranded claim still lands, and a stale claim cannot overwrite a newer one', async () => {
      const p = await setUp();
      const event = statusChanged({ toStatus: 'verified' });
      await p.consume(event);
      const [claim] = await db.ledger.claimDue(1, 'slow-worker', 60_000);
      await db.dataSource.query(`UPDATE "${db.schema}".email_delivery SET lease_until = now() - interval '1 second'`);
      expect(await db.ledger.parkExpiredLeases(false)).toEqual([event.id]);
      // the slow worker finally records SendGrid's acceptance: the truth replaces "unknown"
      await db.ledger.completeMany([
        { eventId: event.id, attempts: claim.attempts, requeues: 0, status: 'sent', providerMessageId: 'late', statusCode: null },
      ]);
      expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sent', providerMessageId: 'late' });
      // an outcome for an older claim (attempts 0) is ignored
      await db.ledger.completeMany([
        { eventId: event.id, attempts: 0, requeues: 0, status: 'pending', delayMs: 0, lastError: 'x', statusCode: 500, throttled: false },
      ]);
      expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sent' });
      expect(p.dlq.published).toHaveLength(0);
    });

    it('after an operator requeue, an outcome or release from a claim made before it is never recorded', async () => {
      await setUp();
      const event = statusChanged({ toStatus: 'verified' });
      await pipeline.consume(event);
      const [stranded] = await db.ledger.claimDue(1, 'frozen-worker', 60_000);
      expect(stranded).toMatchObject({ attempts: 1, requeues: 0 });
      await db.dataSource.query(`UPDATE "${db.schema}".email_delivery SET lease_until = now() - interval '1 second'`);
      expect(await db.ledger.parkExpiredLeases(false)).toEqual([event.id]);
      // the operator checked SendGrid and requeues it; a new worker claims it (attempts is 1 again)
      expect((await db.ledger.requeue({ kind: 'event', eventId: event.id })).map((r) => r.status)).toEqual(['unknown']);
      const [fresh] = await db.ledger.claimDue(1, 'new-worker', 60_000);
      expect(fresh).toMatchObject({ attempts: 1, requeues: 1 });
      // the frozen worker wakes up: same attempt count, older requeue count — ignored
      const fence = { eventId: event.id, attempts: stranded.attempts, requeues: stranded.requeues };
      expect(await db.ledger.completeMany([{ ...fence, status: 'failed', lastError: 'late', statusCode: 500, throttled: false }])).toEqual([]);
      expect(await db.ledger.releaseMany([fence])).toEqual([]);
      expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sending', leaseOwner: 'new-worker', attempts: 1, requeues: 1 });
      // the new claim's outcome lands
      expect(
        await db.ledger.completeMany([{ eventId: event.id, attempts: 1, requeues: 1, status: 'sent', providerMessageId: 'new', statusCode: 202 }]),
      ).toEqual([event.id]);
      expect(await db.ledger.find(event.id)).toMatchObject({ status: 'sent', providerMessageId: 'new' });
    });
  });

  it('skips an event whose data the database refuses instead of retrying the batch forever', async () => {
    const p = await setUp();
    const good = statusChanged({ toStatus: 'submitted' });
    const poisoned = statusChanged({ toStatus: 'submitted', examName: 'Final\u0000Exam' }); // NUL: validation would stop it
    await expect(p.record.execute([good, poisoned])).resolves.toMatchObject({ recorded: 1, refused: 1, duplicates: 0 });
    expect(await db.ledger.find(good.id)).toMatchObject({ status: 'pending' });
    expect(await db.ledger.find(poisoned.id)).toBeNull();
  });

  it('skips events older than the retention window (their dedup rows may have been purged)', async () => {
    const p = await setUp({ maxEventAgeMs: 24 * 3_600_000 });
    const old = statusChanged({ toStatus: 'submitted', time: new Date(Date.now() - 2 * 24 * 3_600_000).toISOString() });
    await expect(p.consume(old)).resolves.toMatchObject({ recorded: 0, expired: 1 });
  });

  it('purges finished rows past retention and leaves unfinished ones', async () => {
    const p = await setUp();
    const events = [statusChanged(), statusChanged(), statusChanged()];
    stub.respondWith((req) => (req.body?.custom_args?.event_id === events[1].id ? badRequest() : undefined));
    await p.consume(...events);
    const worker = p.startWorker();
    await expectEventually(async () => expect(await db.ledger.find(events[1].id)).toMatchObject({ dlqPublishedAt: expect.any(Date) }));
    await expectEventually(async () => expect((await db.ledger.find(events[2].id))?.status).toBe('sent'));
    await worker.stop();
    const pending = statusChanged();
    await p.consume(pending);
    await db.dataSource.query(`UPDATE "${db.schema}".email_delivery SET updated_at = now() - interval '10 days'`);
    expect(await db.ledger.purgeOlderThan(7 * 24 * 3_600_000, 1)).toBe(3);
    expect(await db.ledger.find(pending.id)).toMatchObject({ status: 'pending' });
  });
});
