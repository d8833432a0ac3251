import { createHash, randomUUID } from 'node:crypto';
import { expectEventually } from '../support/expect-eventually';
import { startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';
import { TEST_DATABASE_URL } from '../support/test-env';
import { createTestLedger, PROVIDERS_FILE, TestPipeline, type TestLedger } from './notifier.fixture';
import { removeCompiledCli, runNotifierCli } from './notifier-cli.fixture';

/**
 * `npm run notifier -- …` as a separate process against the test database, on a throwaway ledger
 * schema (NOTIFIER_SCHEMA): exact output and exit codes.
 */
describe('notifier command line (show, list, requeue)', () => {
  let db: TestLedger;
  let env: Record<string, string>;
  const suffix = randomUUID().slice(0, 8);
  const ids = {
    unknownOld: `evt-unknown-1-${suffix}`,
    unknownNew: `evt-unknown-2-${suffix}`,
    failed: `evt-failed-${suffix}`,
    sent: `evt-sent-${suffix}`,
    pending: `evt-pending-${suffix}`,
  };
  const attemptOf = (eventId: string) => `00000000-0000-4000-8000-${createHash('sha256').update(eventId).digest('hex').slice(0, 12)}`;
  const LEASE_ERROR = 'lease expired while sending: the provider may have accepted it';
  const REFUSED = 'SendGrid answered 400: Invalid to address (personalizations.0.to)';

  beforeAll(async () => {
    db = await createTestLedger();
    env = { DATABASE_URL: TEST_DATABASE_URL, NOTIFIER_SCHEMA: db.schema, PROVIDERS_FILE, LOG_LEVEL: 'silent' };
  });

  afterAll(async () => {
    await db?.dispose();
    removeCompiledCli();
  });

  /** Five rows, one per status that matters, with fixed timestamps so the output is exact. */
  async function seed(): Promise<void> {
    const table = `"${db.schema}".email_delivery`;
    await db.dataSource.query(`TRUNCATE ${table}`);
    await db.ledger.record(
      Object.values(ids).map((eventId, i) => ({
        eventId,
        attemptId: attemptOf(eventId),
        userId: `user-${i + 1}`,
        correlationId: `corr-${i + 1}`,
        from: 'no-reply@example.com',
        to: `learner${i + 1}@example.com`,
        subject: 'Proctoring Session Results Update for edx demo Final Exam',
        html: '<p>body</p>',
        text: 'body',
      })),
    );
    const set = (eventId: string, sql: string, params: unknown[] = []) =>
      db.dataSource.query(`UPDATE ${table} SET ${sql} WHERE event_id = $1`, [eventId, ...params]);
    const common = `created_at = '2025-11-25T09:00:00Z', next_attempt_at = '2025-11-25T09:00:00Z'`;
    await set(ids.unknownOld, `${common}, status = 'unknown', attempts = 1, last_error = $2, updated_at = '2025-11-25T10:00:00Z'`, [LEASE_ERROR]);
    await set(ids.unknownNew, `${common}, status = 'unknown', attempts = 2, throttled = 1, last_error = $2, last_status_code = 429, updated_at = '2025-11-25T10:05:00Z'`, [LEASE_ERROR]);
    await set(ids.failed, `${common}, status = 'failed', attempts = 1, last_error = $2, last_status_code = 400, dlq_published_at = '2025-11-25T10:10:01Z', updated_at = '2025-11-25T10:10:00Z'`, [REFUSED]);
    await set(ids.sent, `${common}, status = 'sent', attempts = 1, provider_message_id = 'sg-1', sent_at = '2025-11-25T10:20:00Z', updated_at = '2025-11-25T10:20:00Z'`);
    await set(ids.pending, `${common}, updated_at = '2025-11-25T10:30:00Z'`);
  }

  beforeEach(seed);

  const line = (eventId: string, user: number, fields: string) => `${eventId} ${fields.replace('{attempt}', `attempt=${attemptOf(eventId)} user=user-${user}`)}`;
  const unknownOldLine = () =>
    line(ids.unknownOld, 1, `status=unknown {attempt} attempts=1 requeues=0 updated=2025-11-25T10:00:00.000Z status_code=- last_error="${LEASE_ERROR}"`);
  const unknownNewLine = () =>
    line(ids.unknownNew, 2, `status=unknown {attempt} attempts=2 requeues=0 updated=2025-11-25T10:05:00.000Z status_code=429 last_error="${LEASE_ERROR}"`);
  const failedLine = () =>
    line(ids.failed, 3, `status=failed {attempt} attempts=1 requeues=0 updated=2025-11-25T10:10:00.000Z status_code=400 last_error="${REFUSED}"`);

  async function row(eventId: string) {
    const [r] = await db.dataSource.query<Array<Record<string, unknown>>>(
      `SELECT status, attempts, throttled, requeues, dlq_published_at, next_attempt_at <= now() AS due, last_error
         FROM "${db.schema}".email_delivery WHERE event_id = $1`,
      [eventId],
    );
    return r;
  }

  describe('show', () => {
    it('prints the ledger row as JSON without the address or the email', async () => {
      const r = await runNotifierCli(['show', '--event', ids.failed], env);
      expect(r).toEqual({
        code: 0,
        stderr: '',
        stdout: `${JSON.stringify(
          {
            eventId: ids.failed,
            attemptId: attemptOf(ids.failed),
            userId: 'user-3',
            correlationId: 'corr-3',
            status: 'failed',
            attempts: 1,
            throttled: 0,
            requeues: 0,
            lastError: REFUSED,
            lastStatusCode: 400,
            providerMessageId: null,
            nextAttemptAt: '2025-11-25T09:00:00.000Z',
            leaseOwner: null,
            leaseUntil: null,
            sentAt: null,
            dlqPublishedAt: '2025-11-25T10:10:01.000Z',
            createdAt: '2025-11-25T09:00:00.000Z',
            updatedAt: '2025-11-25T10:10:00.000Z',
          },
          null,
          2,
        )}\n`,
      });
      expect(r.stdout).not.toContain('@');
      expect(r.stdout).not.toContain('Proctoring Session Results');
    });

    it('exits 1 for an event with no ledger row', async () => {
      await expect(runNotifierCli(['show', '--event', 'no-such-event'], env)).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: 'No delivery ledger row for event no-such-event\n',
      });
    });
  });

  describe('list', () => {
    it('lists unknown rows oldest first', async () => {
      await expect(runNotifierCli(['list', '--status', 'unknown'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: ['2 row(s) with status unknown', unknownOldLine(), unknownNewLine(), ''].join('\n'),
      });
    });

    it('lists failed rows, and honours --limit', async () => {
      await expect(runNotifierCli(['list', '--status', 'failed'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: ['1 row(s) with status failed', failedLine(), ''].join('\n'),
      });
      await expect(runNotifierCli(['list', '--status', 'unknown', '--limit', '1'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: ['2 row(s) with status unknown, showing the oldest 1', unknownOldLine(), ''].join('\n'),
      });
    });

    it('refuses other statuses and a bad limit (exit 2, with the usage)', async () => {
      const sent = await runNotifierCli(['list', '--status', 'sent'], env);
      expect(sent.code).toBe(2);
      expect(sent.stdout).toBe('');
      expect(sent.stderr).toMatch(/^--status must be unknown or failed\n\nUsage: npm run notifier -- <command> \[options\]\n/);
      const limit = await runNotifierCli(['list', '--status', 'failed', '--limit', '0'], env);
      expect(limit.code).toBe(2);
      expect(limit.stderr).toMatch(/^--limit must be an integer from 1 to 999999\n/);
      const missing = await runNotifierCli(['list'], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/^--status is required\n/);
    });
  });

  describe('requeue', () => {
    it('--dry-run lists what it would requeue and changes nothing', async () => {
      await expect(runNotifierCli(['requeue', '--status', 'unknown', '--dry-run'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `would requeue ${unknownOldLine()}`,
          `would requeue ${unknownNewLine()}`,
          'Dry run: 2 row(s) would be requeued; nothing was changed',
          '',
        ].join('\n'),
      });
      await expect(runNotifierCli(['requeue', '--event', ids.failed, '--dry-run'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: [`would requeue ${failedLine()}`, 'Dry run: 1 row(s) would be requeued; nothing was changed', ''].join('\n'),
      });
      expect(await row(ids.unknownOld)).toMatchObject({ status: 'unknown', attempts: 1, requeues: 0 });
      expect(await row(ids.failed)).toMatchObject({ status: 'failed', attempts: 1, requeues: 0, dlq_published_at: expect.any(Date) });
    });

    it('moves one failed row back to pending, due now, attempts reset, off the DLQ mark', async () => {
      await expect(runNotifierCli(['requeue', '--event', ids.failed], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `requeued ${failedLine()}`,
          'Requeued 1 row(s) to pending with attempts reset; the notifier sends them within its poll interval',
          '',
        ].join('\n'),
      });
      expect(await row(ids.failed)).toEqual({
        status: 'pending',
        attempts: 0,
        throttled: 0,
        requeues: 1,
        dlq_published_at: null,
        due: true,
        last_error: REFUSED,
      });
      expect(await row(ids.unknownOld)).toMatchObject({ status: 'unknown' });
    });

    it('moves every row of a status, and reports when there is none', async () => {
      await expect(runNotifierCli(['requeue', '--status', 'unknown'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `requeued ${unknownOldLine()}`,
          `requeued ${unknownNewLine()}`,
          'Requeued 2 row(s) to pending with attempts reset; the notifier sends them within its poll interval',
          '',
        ].join('\n'),
      });
      for (const id of [ids.unknownOld, ids.unknownNew]) {
        expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0, throttled: 0, requeues: 1, due: true });
      }
      expect(await row(ids.failed)).toMatchObject({ status: 'failed' });
      await expect(runNotifierCli(['requeue', '--status', 'unknown'], env)).resolves.toEqual({
        code: 0,
        stderr: '',
        stdout: 'No rows with status unknown\n',
      });
    });

    it('refuses rows that are not unknown or failed, and missing rows (exit 1)', async () => {
      await expect(runNotifierCli(['requeue', '--event', ids.sent], env)).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: `Event ${ids.sent} is sent: only unknown or failed rows are requeued\n`,
      });
      await expect(runNotifierCli(['requeue', '--event', ids.pending], env)).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: `Event ${ids.pending} is pending: only unknown or failed rows are requeued\n`,
      });
      await expect(runNotifierCli(['requeue', '--event', 'no-such-event'], env)).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: 'No delivery ledger row for event no-such-event\n',
      });
      expect(await row(ids.sent)).toMatchObject({ status: 'sent', attempts: 1, requeues: 0 });
    });

    it('needs exactly one of --event and --status (exit 2)', async () => {
      for (const args of [['requeue'], ['requeue', '--event', ids.failed, '--status', 'failed']]) {
        const r = await runNotifierCli(args, env);
        expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
        expect(r.stderr).toMatch(/^give either --event or --status\n\nUsage:/);
      }
    });

    it('hands the row to a running notifier, which sends it once', async () => {
      const stub: SendGridStub = await startSendGridStub();
      const pipeline = new TestPipeline(db, { sendGridBaseUrl: stub.baseUrl });
      try {
        pipeline.startWorker();
        const r = await runNotifierCli(['requeue', '--event', ids.unknownOld], env);
        expect(r.code).toBe(0);
        await expectEventually(async () => expect(await row(ids.unknownOld)).toMatchObject({ status: 'sent', attempts: 1, requeues: 1 }), 15_000);
        await expectEventually(async () => expect(await row(ids.pending)).toMatchObject({ status: 'sent' }), 15_000);
        expect(stub.requestsFor(ids.unknownOld)).toHaveLength(1);
        expect(stub.requests).toHaveLength(2); // it and the pending row; never the parked, failed or sent ones
        expect(stub.requestsFor(ids.unknownNew)).toHaveLength(0);
      } finally {
        await pipeline.stopAll();
        await stub.stop();
      }
    });
  });

  describe('usage and configuration', () => {
    it('prints the usage: exit 0 when asked, 2 without a command or with an unknown one', async () => {
      const help = await runNotifierCli(['--help'], env);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: npm run notifier -- <command> \[options\]\n/);
      expect(help.stdout).toContain('requeue (--event EVENT_ID | --status unknown|failed) [--dry-run]');
      const none = await runNotifierCli([], env);
      expect(none.code).toBe(2);
      expect(none.stdout).toBe(help.stdout);
      const unknown = await runNotifierCli(['frobnicate'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^Unknown command frobnicate\n\nUsage:/);
      const option = await runNotifierCli(['show', '--event', ids.failed, '--verbose'], env);
      expect(option.code).toBe(2);
      expect(option.stderr).toMatch(/^Unknown option '--verbose'/);
    });

    it('fails fast on the notifier configuration, naming the variables, never their values (exit 1)', async () => {
      const r = await runNotifierCli(['show', '--event', ids.failed], {
        ...env,
        DATABASE_URL: 'mysql://user:hunter2@db/x',
        NOTIFIER_CONCURRENCY: 'lots-of-secret',
        NOTIFIER_SCHEMA: 'Bad-Schema',
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^notifier: invalid configuration:\n/);
      for (const name of ['DATABASE_URL', 'NOTIFIER_CONCURRENCY', 'NOTIFIER_SCHEMA']) expect(r.stderr).toContain(name);
      for (const value of ['hunter2', 'lots-of-secret', 'Bad-Schema']) expect(r.stderr).not.toContain(value);
    });

    it('reports an unreachable database as a failure (exit 1), without the connection string', async () => {
      const r = await runNotifierCli(['list', '--status', 'failed'], {
        ...env,
        DATABASE_URL: 'postgres://postgres:s3cret@127.0.0.1:9/proctoring_test',
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^notifier list failed: /);
      expect(r.stderr).not.toContain('s3cret');
    });
  });
});
