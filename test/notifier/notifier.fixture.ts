import type { Pool } from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseEvent, type AttemptStatusChangedEvent, type DomainEvent } from '../../libs/contracts/src';
import { parseProvidersConfig, statusAlias, type ProvidersConfig, type Status } from '../../libs/domain/src';
import { ensureDatabase } from '../../libs/platform/src/database/ensure-database';
import { createLogger, type Logger } from '../../libs/platform/src/logging/logger';
import { DeliveryWorker, type DeliveryWorkerOptions } from '../../apps/notifier/src/application/delivery.worker';
import type { FailedEmailPublisher } from '../../apps/notifier/src/application/failed-email.port';
import { NotifierMetrics } from '../../apps/notifier/src/application/notifier.metrics';
import { RecordStatusEmailsUseCase } from '../../apps/notifier/src/application/record-status-emails.use-case';
import { RetryPolicy, type RetryPolicyOptions } from '../../apps/notifier/src/application/retry.policy';
import type { EmailSender } from '../../apps/notifier/src/email/email-sender.port';
import { SendGridSender } from '../../apps/notifier/src/email/sendgrid.sender';
import { migrateNotifierSchema, NOTIFIER_APPLICATION_NAME, notifierDataSourceOptions } from '../../apps/notifier/src/persistence/data-source';
import { openPgPool } from '../../libs/platform/src/database/pg-pool';
import { DeliveryLedgerRepository, type FailedDelivery } from '../../apps/notifier/src/persistence/delivery-ledger.repository';
import { TEST_DATABASE_URL } from '../support/test-env';

export const PROVIDERS_FILE = join(__dirname, '..', '..', 'config', 'providers.json');
export const TEST_API_KEY = 'SG.test-key-0123456789';

export function loadProviders(): ProvidersConfig {
  const parsed = parseProvidersConfig(JSON.parse(readFileSync(PROVIDERS_FILE, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error.join('\n'));
  return parsed.value;
}

export function silentLogger(): Logger {
  return createLogger('notifier-test', process.env.TEST_LOG_LEVEL ?? 'silent');
}

/**
 * A ledger in a throwaway schema of the test database, so suites (and tests) running at the same
 * time never claim each other's rows. `dispose()` drops the schema.
 */
export interface TestLedger {
  /** For the tests' own statements (the ledger runs on `pool`, as the notifier does). */
  dataSource: DataSource;
  pool: Pool;
  ledger: DeliveryLedgerRepository;
  schema: string;
  dispose(): Promise<void>;
}

export async function createTestLedger(): Promise<TestLedger> {
  await ensureDatabase(TEST_DATABASE_URL);
  const schema = `notifier_t_${randomBytes(6).toString('hex')}`;
  const dataSource = await new DataSource(notifierDataSourceOptions(TEST_DATABASE_URL, { schema, poolSize: 8 })).initialize();
  await migrateNotifierSchema(dataSource);
  const pool = await openPgPool({ url: TEST_DATABASE_URL, poolSize: 8, applicationName: NOTIFIER_APPLICATION_NAME }, () => undefined);
  return {
    dataSource,
    pool,
    ledger: new DeliveryLedgerRepository(pool, schema),
    schema,
    async dispose() {
      try {
        await pool.end();
        await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await dataSource.destroy();
      }
    },
  };
}

/** Records what would go to the notifier DLQ; can be told to fail. */
export class RecordingDlq implements FailedEmailPublisher {
  readonly published: FailedDelivery[] = [];
  calls = 0;
  failNext = 0;

  async publish(rows: readonly FailedDelivery[]): Promise<void> {
    this.calls++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('broker unavailable');
    }
    this.published.push(...rows);
  }
}

export interface PipelineOptions {
  sender?: EmailSender;
  sendGridBaseUrl?: string;
  sendGridTimeoutMs?: number;
  worker?: Partial<DeliveryWorkerOptions>;
  retry?: Partial<RetryPolicyOptions>;
  maxEventAgeMs?: number;
}

/** The notifier's application layer wired by hand (what NotifierModule does), on a test ledger. */
export class TestPipeline {
  readonly metrics: NotifierMetrics;
  readonly dlq = new RecordingDlq();
  readonly record: RecordStatusEmailsUseCase;
  readonly sender: EmailSender;
  private readonly workers: DeliveryWorker[] = [];

  constructor(
    readonly db: TestLedger,
    private readonly options: PipelineOptions,
  ) {
    this.metrics = new NotifierMetrics(() => db.ledger.backlog(), { processMetrics: false });
    this.sender =
      options.sender ??
      new SendGridSender({
        apiKey: TEST_API_KEY,
        baseUrl: options.sendGridBaseUrl ?? 'http://127.0.0.1:9/',
        timeoutMs: options.sendGridTimeoutMs ?? 2000,
      });
    this.record = new RecordStatusEmailsUseCase(db.ledger, loadProviders(), this.metrics, {
      maxEventAgeMs: options.maxEventAgeMs ?? 0,
      sender: this.sender,
    });
  }

  /** A started worker (stopped by `stopAll`). */
  startWorker(overrides: Partial<DeliveryWorkerOptions> = {}): DeliveryWorker {
    const policy = new RetryPolicy({
      maxAttempts: 5,
      maxThrottled: 10,
      baseDelayMs: 20,
      maxDelayMs: 200,
      ...this.options.retry,
    });
    const worker = new DeliveryWorker(this.db.ledger, this.sender, policy, this.dlq, this.metrics, silentLogger(), {
      concurrency: 8,
      leaseMs: 10_000,
      resendUnknown: false,
      pollIntervalMs: 20,
      retentionMs: 0,
      ...this.options.worker,
      ...overrides,
    });
    worker.start();
    this.workers.push(worker);
    return worker;
  }

  /** Feeds events as the consumer does: serialised, then parsed with the contract's parser. */
  async consume(...events: AttemptStatusChangedEvent[]) {
    return this.record.execute(events.map((e) => parseEvent(JSON.stringify(e))));
  }

  async consumeRaw(values: Array<string | null>) {
    return this.record.execute(values.map((v): DomainEvent | null => parseEvent(v)));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

export interface StatusChangedOverrides {
  id?: string;
  time?: string;
  /** a Status, or any string to test unknown statuses */
  toStatus?: string;
  courseName?: string | null;
  examName?: string;
  provider?: string | null;
  takingAsProctored?: boolean;
  isSampleAttempt?: boolean;
  courseId?: string;
  email?: string;
}

/** A valid v1 `AttemptStatusChanged` with fresh ids (unique per call). */
export function statusChanged(o: StatusChangedOverrides = {}): AttemptStatusChangedEvent {
  const attemptId = randomUUID();
  const userId = `user-${randomUUID().slice(0, 8)}`;
  const toStatus = (o.toStatus ?? 'submitted') as Status;
  const isSampleAttempt = o.isSampleAttempt ?? false;
  return {
    specversion: '1.0',
    id: o.id ?? randomUUID(),
    source: 'urn:proctoring:attempt-service',
    type: 'AttemptStatusChanged',
    time: o.time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    subject: attemptId,
    causationid: randomUUID(),
    correlationid: randomUUID(),
    sequence: '1',
    data: {
      attemptId,
      attemptCode: randomUUID().toUpperCase(),
      examId: `exam-${attemptId.slice(0, 8)}`,
      courseId: o.courseId ?? 'course-v1:edX+DemoX+Demo_Course',
      contentId: `block-v1:edX+DemoX+type@sequential+block@${attemptId.slice(0, 8)}`,
      examName: o.examName ?? 'Final Exam',
      courseName: o.courseName === undefined ? 'edx demo' : o.courseName,
      provider: o.provider === undefined ? null : o.provider,
      userId,
      user: { username: `name-${userId}`, email: o.email ?? `${userId}@learners.example.com` },
      takingAsProctored: o.takingAsProctored ?? true,
      isSampleAttempt,
      isPracticeExam: isSampleAttempt,
      isProctored: true,
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      completedAt: toStatus === 'submitted' ? new Date().toISOString() : null,
      fromStatus: 'started',
      toStatus,
      requestedStatus: toStatus,
      statusAlias: statusAlias(toStatus),
      version: 3,
    },
  };
}
