import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { parseCommand, providerReviewTopics } from '../../libs/contracts/src';
import type { ProvidersConfig } from '../../libs/domain/src';
import { connectCompleteProducer } from '../../libs/platform/src/kafka/kafka-client';
import { javaCompatiblePartitioner } from '../../libs/platform/src/kafka/murmur2.partitioner';
import { acceptAfterRandomDelay, startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';
import { ThreadedSendGridStub } from './threaded-stub';
import { clientKafka, createTopics, freePort, grantTopicAcls, kafkaIdentity, resetFaultDatabase, ROOT, say, ServiceProcess, tail } from './fault-infra';
import { faultPool, groupLag, ledgerRows, readEach, snapshot, tryQuery, type ReadMessage } from './observer';
import { hashValue, loadProviders as loadProvidersFile, ReferenceModel } from '../support/reference.model';
import { summarizeDetails } from './report';
import { EventTally, judge, type Verdict } from './verdict';
import { overBound, type OutMessage } from './workload';

/** A fault the scenario injected: a short label for the table, the details for the notes. */
export interface Fault {
  label: string;
  detail: string;
}

/** One row of the report. */
export interface ScenarioResult {
  id: string;
  title: string;
  commands: number;
  faults: Fault[];
  verdict: Verdict | null;
  seconds: number;
  problems: string[];
  passed: boolean;
  logDir: string;
  /** The most frequent warnings and errors in the services' logs (filled for a failed scenario). */
  logSummary: string[];
  /** Markdown lines the report prints under the scenario's details (the soak's window table). */
  notes: string[];
}

export interface WorldOptions {
  id: string;
  title: string;
  /** Kafka bootstrap list (comma-separated, loopback). */
  brokers: string;
  /** A PostgreSQL server URL; the scenario's own database is created on it. */
  pgServerUrl: string;
  runDir: string;
  runTag: string;
  commandPartitions?: number;
  eventPartitions?: number;
  replicationFactor?: number;
  /** The broker stamps commands as it appends them (LogAppendTime), for latencies free of the suite's own pauses. */
  commandsStampedByBroker?: boolean;
}

export interface TopicSet {
  commands: string;
  attemptEvents: string;
  credentialEvents: string;
  commandsDlq: string;
  notifierDlq: string;
  /** each provider's review and outcomes topics (the service consumes the review topics; SPEC §8.4), suffixed */
  reviews: Record<string, { reviews: string; outcomes: string }>;
  /** TOPIC_REVIEWS_SUFFIX of the services */
  reviewsSuffix: string;
}

export function loadProviders(): ProvidersConfig {
  return loadProvidersFile(join(ROOT, 'config/providers.json'));
}

const bytesOf = (v: OutMessage['value']) => (v === null ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v, 'utf8'));

/**
 * One scenario's world: its own database (created and migrated), its own suffixed topics, the
 * services it runs as child processes, the reference model fed with exactly what is published, and
 * the bookkeeping of faults and problems that ends up in the report.
 */
export class World {
  readonly faults: Fault[] = [];
  readonly problems: string[] = [];
  /** Markdown for the report, under the scenario's details. */
  readonly notes: string[] = [];
  readonly services: ServiceProcess[] = [];
  readonly notifiers: ServiceProcess[] = [];
  readonly ref: ReferenceModel;
  readonly logDir: string;
  readonly groupId: string;
  readonly notifierGroupId: string;
  stub: SendGridStub | ThreadedSendGridStub | null = null;
  /** Emails per event id when the notifier writes .eml files (scenario 11): the verdict counts these, not the stub's requests. */
  emailCounts: (() => Map<string, number>) | null = null;
  published = 0;
  private readonly kafka: Kafka;
  /** the publisher's producer (publish() replaces it after a failed send) */
  private readonly shared: { producer: Producer | null } = { producer: null };
  private serviceSeq = 0;
  private closing = false;
  private readonly t0 = Date.now();

  private constructor(
    readonly o: WorldOptions,
    readonly topics: TopicSet,
    readonly dbUrl: string,
    readonly pool: Pool,
    private readonly providers: ProvidersConfig,
  ) {
    this.ref = new ReferenceModel([], providers);
    this.logDir = join(o.runDir, o.id);
    // Each principal reads only with groups under `<principal>.` (SPEC §8.4).
    this.groupId = `attempt-service.${o.id}-${o.runTag}`;
    this.notifierGroupId = `notifier.${o.id}-${o.runTag}`;
    this.kafka = clientKafka(o.brokers, `faults-${o.id}`);
  }

  static async create(o: WorldOptions): Promise<World> {
    const logDir = join(o.runDir, o.id);
    mkdirSync(logDir, { recursive: true });
    const suffix = `${o.id}.${o.runTag}`;
    const topics: TopicSet = {
      commands: `proctoring.attempt.commands.v1.${suffix}`,
      attemptEvents: `proctoring.attempt.events.v1.${suffix}`,
      credentialEvents: `proctoring.credential.events.v1.${suffix}`,
      commandsDlq: `proctoring.attempt.commands.v1.dlq.${suffix}`,
      notifierDlq: `proctoring.notifier.dlq.v1.${suffix}`,
      reviews: Object.fromEntries(
        Object.keys(loadProviders().providers).map((p) => {
          const t = providerReviewTopics(p);
          return [p, { reviews: `${t.reviews}.${suffix}`, outcomes: `${t.outcomes}.${suffix}` }];
        }),
      ),
      reviewsSuffix: `.${suffix}`,
    };
    const events = o.eventPartitions ?? 3;
    await createTopics(
      o.brokers,
      [
        { topic: topics.commands, partitions: o.commandPartitions ?? 6, inbound: true, logAppendTime: o.commandsStampedByBroker },
        { topic: topics.attemptEvents, partitions: events },
        { topic: topics.credentialEvents, partitions: events },
        { topic: topics.commandsDlq, partitions: events },
        { topic: topics.notifierDlq, partitions: 1 },
        ...Object.values(topics.reviews).flatMap((r) => [
          { topic: r.reviews, partitions: 3, inbound: true },
          { topic: r.outcomes, partitions: 3 },
        ]),
      ],
      o.replicationFactor ?? 1,
    );
    await grantTopicAcls(o.brokers, topics);
    const db = `proctoring_fault_${o.id.replace(/[^a-z0-9]/g, '_')}`;
    const dbUrl = await resetFaultDatabase(o.pgServerUrl, db, join(logDir, 'migrate.log'));
    say(`${o.id}: database ${db} migrated, topics *.${suffix} created`);
    return new World(o, topics, dbUrl, faultPool(dbUrl), loadProviders());
  }

  fault(label: string, detail = label): void {
    this.faults.push({ label, detail });
    say(`${this.o.id}: FAULT ${detail}`);
  }

  problem(description: string): void {
    this.problems.push(description);
    say(`${this.o.id}: PROBLEM ${description}`);
  }

  elapsed(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(0)} s`;
  }

  // ---- services --------------------------------------------------------------------------------

  private topicEnv(): NodeJS.ProcessEnv {
    return {
      TOPIC_COMMANDS: this.topics.commands,
      TOPIC_ATTEMPT_EVENTS: this.topics.attemptEvents,
      TOPIC_CREDENTIAL_EVENTS: this.topics.credentialEvents,
      TOPIC_COMMANDS_DLQ: this.topics.commandsDlq,
      TOPIC_NOTIFIER_DLQ: this.topics.notifierDlq,
      TOPIC_REVIEWS_SUFFIX: this.topics.reviewsSuffix,
    };
  }

  private baseEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      DATABASE_URL: this.dbUrl,
      KAFKA_BROKERS: this.o.brokers,
      PROVIDERS_FILE: join(ROOT, 'config/providers.json'),
      LOG_LEVEL: process.env.FAULTS_SERVICE_LOG_LEVEL ?? 'warn',
      // The suite reads state from the database, never through the read API (it checks /health only).
      READ_API_AUTH: 'off',
      // e.g. `-r ./trace.js` to instrument the services while debugging a scenario
      ...(process.env.FAULTS_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.FAULTS_SERVICE_NODE_OPTIONS } : {}),
      ...this.topicEnv(),
    };
  }

  /** Starts an attempt-service instance and waits until it is live. A crash nobody caused is a problem (and it is restarted). */
  async startAttemptService(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const n = ++this.serviceSeq;
    const port = await freePort();
    const svc = new ServiceProcess(
      `${this.o.id}/attempt-service#${n}`,
      'dist/apps/attempt-service/src/main.js',
      {
        ...this.baseEnv(),
        ...kafkaIdentity('attempt-service'),
        ATTEMPT_SERVICE_GROUP_ID: this.groupId,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        KAFKA_CLIENT_ID: `attempt-service-${this.o.id}-${n}`,
        ...env,
      },
      join(this.logDir, `attempt-service-${n}.log`),
      port,
    );
    this.services.push(svc);
    await svc.waitLive();
    this.watch(svc, () => this.startAttemptService(env));
    return svc;
  }

  async startStub(minDelayMs: number, maxDelayMs: number): Promise<SendGridStub> {
    const stub = await startSendGridStub();
    stub.respondWith(acceptAfterRandomDelay(minDelayMs, maxDelayMs));
    this.stub = stub;
    return stub;
  }

  /** The stub in a worker thread of its own (`threaded-stub.ts`): the soak's, whose suite heap grows to GBs. */
  async startThreadedStub(minDelayMs: number, maxDelayMs: number): Promise<ThreadedSendGridStub> {
    const stub = await ThreadedSendGridStub.start(minDelayMs, maxDelayMs);
    this.stub = stub;
    return stub;
  }

  /** With `SENDGRID_API_KEY: ''` in `env` the notifier runs its file driver (EMAIL_OUTBOX_DIR) and needs no stub. */
  async startNotifier(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    if (!this.stub && env.SENDGRID_API_KEY !== '') throw new Error('start the SendGrid stub first');
    const n = ++this.serviceSeq;
    const port = await freePort();
    const svc = new ServiceProcess(
      `${this.o.id}/notifier#${n}`,
      'dist/apps/notifier/src/main.js',
      {
        ...this.baseEnv(),
        ...kafkaIdentity('notifier'),
        NOTIFIER_GROUP_ID: this.notifierGroupId,
        KAFKA_CLIENT_ID: `notifier-${this.o.id}-${n}`,
        HTTP_PORT: String(port),
        SENDGRID_API_KEY: 'test',
        SENDGRID_BASE_URL: this.stub?.baseUrl ?? 'http://127.0.0.1:9/',
        NOTIFIER_SCHEMA: 'notifier',
        SENDGRID_TIMEOUT_MS: '4000',
        NOTIFIER_LEASE_MS: '16000',
        NOTIFIER_CONCURRENCY: '8',
        NOTIFIER_POLL_INTERVAL_MS: '200',
        NOTIFIER_RETRY_BASE_MS: '200',
        NOTIFIER_RETRY_MAX_MS: '5000',
        ...env,
      },
      join(this.logDir, `notifier-${n}.log`),
      port,
    );
    this.notifiers.push(svc);
    await svc.waitLive();
    this.watch(svc, () => this.startNotifier(env));
    return svc;
  }

  private watch(svc: ServiceProcess, restart: () => Promise<ServiceProcess>): void {
    void svc.exited.then((info) => {
      if (svc.expectedExit || this.closing) return;
      this.problem(`${svc.name} exited on its own (code ${String(info.code)}, signal ${String(info.signal)}); restarted. Log:\n${tail(svc.logFile, 8)}`);
      restart().catch((e: unknown) => this.problem(`${svc.name} could not be restarted: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  liveServices(): ServiceProcess[] {
    return this.services.filter((s) => s.alive);
  }

  // ---- publishing --------------------------------------------------------------------------------

  private async connectProducer(): Promise<Producer> {
    // a send kafkajs resolves without writing all of it fails (connectCompleteProducer): publish() re-sends the chunk
    return connectCompleteProducer(this.kafka, javaCompatiblePartitioner);
  }

  /**
   * Publishes messages in order, in chunks (≤ `chunk` messages and ≤ 512 KiB), at about `ratePerSec`,
   * feeding each message to the reference model. A failed chunk is re-sent whole (with a new producer
   * after a broker outage) before the next one: per key, first occurrences keep the publish order, and
   * a repeat is a duplicate the service must absorb. Bounded by `deadlineMs`.
   */
  async publish(
    messages: OutMessage[],
    o: { ratePerSec: number; chunk?: number; deadlineMs?: number; label?: string; onSend?: (chunk: OutMessage[]) => void; ownProducer?: boolean },
  ): Promise<void> {
    // ownProducer: not the shared producer, whose sends run one at a time (a probe must not wait behind a stuck chunk)
    const slot: { producer: Producer | null } = o.ownProducer ? { producer: null } : this.shared;
    const chunkMax = o.chunk ?? 100;
    const end = Date.now() + (o.deadlineMs ?? 15 * 60_000);
    const t0 = Date.now();
    let i = 0;
    let lastReport = 0;
    let failures = 0;
    while (i < messages.length) {
      const chunk: OutMessage[] = [];
      let bytes = 0;
      while (i + chunk.length < messages.length && chunk.length < chunkMax) {
        const next = messages[i + chunk.length];
        if (chunk.length > 0 && bytes + bytesOf(next.value) > 512 * 1024) break;
        chunk.push(next);
        bytes += bytesOf(next.value);
      }
      for (;;) {
        if (Date.now() > end) throw new Error(`${this.o.id}: publishing did not finish before its deadline (${i}/${messages.length})`);
        try {
          slot.producer ??= await this.connectProducer();
          o.onSend?.(chunk);
          await slot.producer.send({
            topic: this.topics.commands,
            acks: -1,
            timeout: 30000,
            messages: chunk.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          });
          failures = 0;
          break;
        } catch (e) {
          failures++;
          const p = slot.producer;
          slot.producer = null;
          await p?.disconnect().catch(() => undefined);
          if (failures === 1 || failures % 10 === 0) say(`${this.o.id}: publish failed (${e instanceof Error ? e.message : String(e)}); re-sending the chunk`);
          await delay(Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
        }
      }
      this.accept(chunk);
      i += chunk.length;
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        say(`${this.o.id}: ${o.label ?? 'published'} ${i}/${messages.length}`);
      }
      const due = t0 + (i / o.ratePerSec) * 1000;
      if (due > Date.now()) await delay(due - Date.now());
    }
    if (o.ownProducer) await slot.producer?.disconnect().catch(() => undefined);
  }

  /**
   * Feeds messages to the reference model and counts them as published, in publish order: what
   * publish() does after each chunk, for a scenario that publishes by other means (the soak's worker).
   */
  accept(messages: OutMessage[]): void {
    for (const m of messages)
      this.ref.accept(m.value === null ? null : Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value, 'utf8'), { overBound: overBound(m) });
    this.published += messages.length;
  }

  /** Publishes the exam registrations and waits until the service has consumed them (SPEC §3: register first). */
  async publishExams(registrations: OutMessage[]): Promise<void> {
    await this.publish(registrations, { ratePerSec: 10_000, label: 'exam registrations' });
    const ok = await this.settle({ timeoutMs: 120_000, stallMs: 90_000, quiet: true });
    if (!ok) throw new Error(`${this.o.id}: the exam registrations were not processed`);
  }

  // ---- progress ------------------------------------------------------------------------------------

  async processed(): Promise<number | null> {
    return tryQuery(async () => Number((await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM attempts.processed_command')).rows[0].n));
  }

  /** Waits until the processed count grew by `n` (bounded); false on timeout. */
  async waitProgress(n: number, timeoutMs: number): Promise<boolean> {
    const start = await this.processed();
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const now = await this.processed();
      if (start !== null && now !== null && now - start >= n) return true;
      await delay(200);
    }
    return false;
  }

  /**
   * Waits until everything published is consumed and every outcome published: the service group's
   * committed offsets reach the end of the commands topic, the outbox is empty, and (with a notifier)
   * the notifier's group reached the end of the events topic and its ledger has nothing pending or
   * in flight. Gives up after `timeoutMs`, or when nothing moved for `stallMs`.
   */
  async settle(o: { timeoutMs: number; stallMs: number; quiet?: boolean }): Promise<boolean> {
    const end = Date.now() + o.timeoutMs;
    let lastChange = Date.now();
    let last = '';
    let lastReport = 0;
    let stable = 0;
    while (Date.now() < end) {
      const lag = await groupLag(this.o.brokers, this.groupId, this.topics.commands);
      const counts = await tryQuery(async () => {
        const r = await this.pool.query<{ processed: string; backlog: string }>(
          `SELECT (SELECT count(*) FROM attempts.processed_command) AS processed,
                  (SELECT count(*) FROM attempts.outbox_pending) AS backlog`,
        );
        return { processed: Number(r.rows[0].processed), backlog: Number(r.rows[0].backlog) };
      });
      let notifierDone = true;
      let notifierState = '';
      if (this.notifiers.length > 0) {
        const nlag = await groupLag(this.o.brokers, this.notifierGroupId, this.topics.attemptEvents);
        const ledger = await tryQuery(async () => {
          const r = await this.pool.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM notifier.email_delivery GROUP BY status`);
          return Object.fromEntries(r.rows.map((x) => [x.status, Number(x.n)]));
        });
        notifierDone = nlag === 0n && ledger !== null && !ledger.pending && !ledger.sending;
        notifierState = `, notifier lag ${nlag ?? '?'}, ledger ${ledger ? JSON.stringify(ledger) : '?'}`;
      }
      const state = `lag ${lag ?? '?'}, processed ${counts?.processed ?? '?'}, outbox ${counts?.backlog ?? '?'}${notifierState}`;
      if (state !== last) {
        last = state;
        lastChange = Date.now();
      }
      const done = lag === 0n && counts !== null && counts.backlog === 0 && notifierDone;
      if (done && ++stable >= 2) {
        if (!o.quiet) say(`${this.o.id}: settled (${state})`);
        return true;
      }
      if (!done) stable = 0;
      if (!o.quiet && Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        say(`${this.o.id}: settling: ${state}`);
      }
      if (Date.now() - lastChange > o.stallMs) {
        this.problem(`nothing moved for ${o.stallMs / 1000} s while settling (${state})`);
        return false;
      }
      await delay(1000);
    }
    this.problem(`did not settle within ${o.timeoutMs / 1000} s (${last})`);
    return false;
  }

  // ---- verdict ---------------------------------------------------------------------------------------

  async verdict(): Promise<Verdict> {
    // What must be dead-lettered is what is on the commands topic (a publisher retry may have put an
    // unreadable message there twice; the service cannot tell the two apart).
    // Since SPEC §8.5 a readable command whose key or headers are over bound is dead-lettered too, once
    // per (source, id): a repeat is a duplicate, acknowledged with no effect.
    const expectedDlq: { coord: string; hash: string }[] = [];
    const overBoundIds = new Set<string>();
    const tally = new EventTally(this.ref, this.topics);
    /** where each readable command id is on the commands topic (a lost command's line says whether it got there) */
    const onTopic = new Map<string, string>();
    const fromCommands = (m: ReadMessage) => {
      const parsed = parseCommand(m.value);
      if (parsed.kind !== 'unreadable') onTopic.set(parsed.kind === 'ok' ? parsed.command.id : parsed.id, `${m.partition}/${m.offset}`);
      let expected = parsed.kind === 'unreadable';
      if (!expected && overBound(m)) {
        const id = parsed.kind === 'ok' ? `${parsed.command.source}\u0000${parsed.command.id}` : parsed.kind === 'rejected' ? `${parsed.source}\u0000${parsed.id}` : '';
        expected = !overBoundIds.has(id);
        overBoundIds.add(id);
      }
      if (expected) expectedDlq.push({ coord: `${m.topic}/${m.partition}/${m.offset}`, hash: hashValue(m.value) });
    };
    // Read message by message, keeping nothing but the tallies (the full soak reads ~6 M messages).
    await readEach(
      this.kafka,
      this.o.brokers,
      [this.topics.commands, this.topics.attemptEvents, this.topics.credentialEvents, this.topics.commandsDlq],
      (m) => (m.topic === this.topics.commands ? fromCommands(m) : tally.add(m)),
      900_000,
    );
    const db = await snapshot(this.pool);
    await this.stub?.flush();
    const requests = this.emailCounts?.() ?? (this.stub ? countBy(this.stub.requests.map((r) => r.body?.custom_args?.event_id ?? '(none)')) : null);
    const email = requests
      ? {
          requestsByEvent: requests,
          ledger: await ledgerRows(this.pool),
        }
      : undefined;
    return judge(this.ref, tally, db, expectedDlq, email, onTopic);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.services, ...this.notifiers].map((s) => s.stop(20_000)));
    await this.shared.producer?.disconnect().catch(() => undefined);
    await this.stub?.stop().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

/** "N× file: message (error)" for the most frequent warning and error lines of a scenario's service logs. */
export function summarizeLogs(dir: string, top = 6): string[] {
  const counts = new Map<string, number>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^(attempt-service|notifier)-\d+\.log$/.test(f));
  } catch {
    return [];
  }
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      let j: { level?: number; msg?: string; err?: { message?: string } };
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        continue;
      }
      if ((j.level ?? 0) < 40) continue;
      const key = `${f.replace(/-\d+\.log$/, '')}: ${j.msg ?? '?'}${j.err?.message ? ` (${j.err.message.slice(0, 160)})` : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, n]) => `${n}× ${k}`);
}

function countBy(list: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of list) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** Runs one scenario body in a fresh world, always closing it, and turns the outcome into a report row. */
export async function runScenario(
  o: WorldOptions,
  body: (w: World) => Promise<void>,
): Promise<ScenarioResult> {
  const t0 = Date.now();
  mkdirSync(join(o.runDir, o.id), { recursive: true });
  say(`=== ${o.id}: ${o.title}`);
  let world: World | null = null;
  let verdict: Verdict | null = null;
  const problems: string[] = [];
  try {
    world = await World.create(o);
    await body(world);
    verdict = await world.verdict();
  } catch (e) {
    problems.push(`scenario aborted: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    say(`${o.id}: ABORTED ${e instanceof Error ? e.message : String(e)}`);
    if (world && !verdict) {
      try {
        verdict = await world.verdict();
      } catch (e2) {
        problems.push(`no verdict: ${e2 instanceof Error ? e2.message : String(e2)}`);
      }
    }
  } finally {
    await world?.close().catch((e: unknown) => problems.push(`close failed: ${String(e)}`));
  }
  problems.unshift(...(world?.problems ?? []));
  const v = verdict;
  const passed =
    v !== null &&
    problems.length === 0 &&
    v.lost === 0 &&
    v.appliedTwice === 0 &&
    v.eventsMissing === 0 &&
    v.diverged === 0 &&
    (v.duplicateEmails ?? 0) === 0;
  const result: ScenarioResult = {
    id: o.id,
    title: o.title,
    commands: world?.published ?? 0,
    faults: world?.faults ?? [],
    verdict: v,
    seconds: (Date.now() - t0) / 1000,
    problems,
    passed,
    logDir: join(o.runDir, o.id),
    logSummary: passed ? [] : summarizeLogs(join(o.runDir, o.id)),
    notes: world?.notes ?? [],
  };
  writeFileSync(
    join(o.runDir, o.id, 'verdict.txt'),
    [`${o.id}: ${passed ? 'PASSED' : 'FAILED'}`, ...result.faults.map((f) => `fault: ${f.detail}`), ...problems, ...(v?.details ?? [])].join('\n') + '\n',
  );
  say(
    `${o.id}: ${passed ? 'PASSED' : 'FAILED'} — lost ${v?.lost ?? '?'}, applied twice ${v?.appliedTwice ?? '?'}, events missing ${v?.eventsMissing ?? '?'}, diverged ${v?.diverged ?? '?'}, duplicate emails ${v?.duplicateEmails ?? '—'} (${result.seconds.toFixed(0)} s)`,
  );
  if (!passed) for (const d of [...problems, ...summarizeDetails(v?.details ?? [], 8)]) say(`${o.id}:   ${d.split('\n')[0]}`);
  return result;
}
