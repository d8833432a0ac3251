import { randomUUID } from 'node:crypto';
import { CompressionTypes, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { validateEvent } from '../../libs/contracts/src';
import type { Tracing } from '../../libs/platform/src/tracing/tracing';
import { startAttemptService, type RunningAttemptService } from '../support/attempt-service.fixture';
import { command } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, TopicCollector, type CollectedMessage, type TestTopics } from '../support/kafka-fixture';
import { TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';

/** A command as the factories build it (plain CloudEvents JSON). */
export type TestCommand = ReturnType<typeof command>;
/** An event as read back from a topic; its fields are what the tests assert, so `data` is loose. */
export interface SeenEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: string;
  subject?: string;
  causationid: string;
  correlationid: string;
  sequence: string;
  traceparent?: string;
  tracestate?: string;
  data: Record<string, unknown>;
}
/** The data of an AttemptCreated event, as the tests read it. */
export interface CreatedAttempt {
  attemptId: string;
  attemptCode: string;
  userId: string;
  [field: string]: unknown;
}
/** The data of an AttemptCreated event among `events`. */
export function createdIn(events: SeenEvent[]): CreatedAttempt {
  const e = events.find((x) => x.type === 'AttemptCreated');
  if (!e) throw new Error(`no AttemptCreated among ${events.map((x) => x.type).join(', ')}`);
  return e.data as CreatedAttempt;
}
/** A database row as pg returns it. */
export type DbRow = Record<string, unknown>;

export interface RunResult {
  /** CommandProcessed or CommandRejected of the command. */
  outcome: SeenEvent;
  /** Every event the command caused (by causationid), in `sequence` order, outcome last. */
  events: SeenEvent[];
}

export interface HarnessOptions {
  /** Env overrides for the service (e.g. KAFKA_BROKERS, DATABASE_URL). */
  env?: Record<string, string>;
  partitions?: number;
  brokers?: string;
  databaseUrl?: string;
  /** Start the service now (default true). */
  startService?: boolean;
  /** The services' tracing (default: as configured, i.e. off). */
  tracing?: Tracing;
}

/**
 * One suite's world: its own topics, the attempt-service running in-process on them, a producer, a
 * collector of every event topic and a database pool for assertions on the stored state.
 */
export class Harness {
  services: RunningAttemptService[] = [];

  private constructor(
    readonly topics: TestTopics,
    public producer: Producer,
    public collector: TopicCollector,
    readonly db: Pool,
    private readonly opts: HarnessOptions,
  ) {}

  static async start(tag: string, opts: HarnessOptions = {}): Promise<Harness> {
    const brokers = opts.brokers ?? TEST_KAFKA_BROKERS;
    // A broker that has just started may refuse the metadata request of createTopics' leader wait
    // ("This server does not host this topic-partition", kafkajs#1563): try again with new topics.
    const topics = await expectEventually(() => createTestTopics(tag, opts.partitions ?? 3, brokers), 30_000, 500);
    const producer = await connectedProducer(brokers);
    const collector = await TopicCollector.start([topics.attemptEvents, topics.credentialEvents, topics.commandsDlq], brokers);
    const db = new Pool({ connectionString: opts.databaseUrl ?? TEST_DATABASE_URL, max: 4 });
    const h = new Harness(topics, producer, collector, db, opts);
    if (opts.startService ?? true) await h.startService();
    return h;
  }

  /** Starts (another) service instance on the suite's topics. */
  async startService(env: Record<string, string> = {}): Promise<RunningAttemptService> {
    const s = await startAttemptService(this.topics, {
      ...(this.opts.brokers ? { KAFKA_BROKERS: this.opts.brokers } : {}),
      ...(this.opts.databaseUrl ? { DATABASE_URL: this.opts.databaseUrl } : {}),
      ...this.opts.env,
      ...env,
    }, { tracing: this.opts.tracing });
    this.services.push(s);
    return s;
  }

  /**
   * Disconnects the producer and the collector (before a broker outage: a kafkajs consumer that
   * crashes while the broker is down restarts itself, even after disconnect, and keeps the process alive).
   */
  async disconnectClients(): Promise<void> {
    await this.collector.stop().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
  }

  /** New producer and collector (which reads every topic again from the beginning). */
  async reconnectClients(): Promise<void> {
    const brokers = this.opts.brokers ?? TEST_KAFKA_BROKERS;
    this.producer = await connectedProducer(brokers);
    this.collector = await TopicCollector.start([this.topics.attemptEvents, this.topics.credentialEvents, this.topics.commandsDlq], brokers);
  }

  private readonly stopped = new Set<RunningAttemptService>();

  /** Stops one instance (it drains its in-flight batch and leaves the consumer group). */
  async stopService(s: RunningAttemptService): Promise<void> {
    if (this.stopped.has(s)) return;
    this.stopped.add(s);
    await s.stop();
  }

  async stop(): Promise<void> {
    await this.collector.stop().catch(() => undefined);
    await this.producer.disconnect().catch(() => undefined);
    for (const s of this.services) await this.stopService(s).catch(() => undefined);
    await this.db.end();
  }

  /** Publishes commands, each keyed as publishers do (userId; RegisterExam: courseId) unless `key` says otherwise. */
  async send(commands: TestCommand[], key: (c: TestCommand) => string = keyFor): Promise<void> {
    await this.producer.send({
      topic: this.topics.commands,
      acks: -1,
      messages: commands.map((c) => ({ key: key(c), value: JSON.stringify(c), headers: { 'content-type': 'application/cloudevents+json' } })),
    });
  }

  /** Publishes a command to a provider's review topic (SPEC §8.4), keyed by its attemptCode. */
  async sendToReviews(provider: string, c: TestCommand): Promise<void> {
    const t = this.topics.reviews?.[provider];
    if (!t) throw new Error(`no review topic for provider ${provider}`);
    const key = typeof c.data.attemptCode === 'string' ? c.data.attemptCode : c.id;
    await this.producer.send({
      topic: t.reviews,
      acks: -1,
      messages: [{ key, value: JSON.stringify(c), headers: { 'content-type': 'application/cloudevents+json' } }],
    });
  }

  /** Publishes raw messages (for invalid input) in one request (gzip: compressed). */
  async sendRaw(
    messages: {
      key: string | Buffer | null;
      value: string | Buffer;
      headers?: Record<string, string | Buffer | (string | Buffer)[]>;
      partition?: number;
    }[],
    o: { gzip?: boolean } = {},
  ): Promise<void> {
    await this.producer.send({
      topic: this.topics.commands,
      acks: -1,
      messages,
      ...(o.gzip ? { compression: CompressionTypes.GZIP } : {}),
    });
  }

  /** All events seen so far (JSON values of the attempt and credential topics). */
  events(): SeenEvent[] {
    return this.collector.messages.filter((m) => m.topic !== this.topics.commandsDlq && m.json).map((m) => m.json as unknown as SeenEvent);
  }

  /** Messages of the event topics (not the DLQ), with their Kafka metadata. */
  eventMessages(): CollectedMessage[] {
    return this.collector.messages.filter((m) => m.topic !== this.topics.commandsDlq);
  }

  /** The message (with topic and key) that carried an event. */
  messageOf(eventId: string): CollectedMessage {
    const m = this.eventMessages().find((x) => x.json?.id === eventId);
    if (!m) throw new Error(`event ${eventId} not collected`);
    return m;
  }

  /** Waits for the outcome event of a command id. */
  async outcomeOf(commandId: string, timeoutMs = 30_000): Promise<SeenEvent> {
    return (await this.collector.waitFor(
      (e) => (e.type === 'CommandProcessed' || e.type === 'CommandRejected') && e.data?.commandId === commandId,
      timeoutMs,
    )) as SeenEvent;
  }

  /**
   * Waits for the command's outcome, then until every event with the same key and a lower sequence
   * has arrived (a key's sequences are contiguous from 1 for the unique ids these suites use, so the
   * events on the credential topic are in by then too). Returns the events the command caused.
   */
  async settle(commandId: string, timeoutMs = 30_000): Promise<RunResult> {
    const outcome = await this.outcomeOf(commandId, timeoutMs);
    const key = this.messageOf(outcome.id).key;
    const upTo = BigInt(outcome.sequence);
    await expectEventually(() => {
      const seen = new Set(this.eventMessages().filter((m) => m.key === key && m.json).map((m) => BigInt(m.json!.sequence as string)));
      for (let s = 1n; s <= upTo; s++) if (!seen.has(s)) throw new Error(`sequence ${s} of key ${key} not seen yet`);
    }, timeoutMs);
    return { outcome, events: this.causedBy(commandId) };
  }

  /** Publishes one command (keyed as publishers do, or by `key`) and settles it. */
  async run(c: TestCommand, key?: (c: TestCommand) => string): Promise<RunResult> {
    await this.send([c], key);
    return this.settle(c.id);
  }

  /** Events caused by a command, de-duplicated by id, in sequence order. */
  causedBy(commandId: string): SeenEvent[] {
    const byId = new Map<string, SeenEvent>();
    for (const e of this.events()) if (e.causationid === commandId) byId.set(e.id, e);
    return [...byId.values()].sort((a, b) => cmp(BigInt(a.sequence), BigInt(b.sequence)));
  }

  async attemptRow(attemptId: string): Promise<DbRow | undefined> {
    const { rows } = await this.db.query<DbRow>('SELECT * FROM attempts.attempt WHERE id = $1', [attemptId]);
    return rows[0];
  }

  async attemptFor(examId: string, userId: string): Promise<DbRow | undefined> {
    const { rows } = await this.db.query<DbRow>('SELECT * FROM attempts.attempt WHERE exam_id = $1 AND user_id = $2', [examId, userId]);
    return rows[0];
  }

  async transitions(attemptId: string): Promise<DbRow[]> {
    const { rows } = await this.db.query<DbRow>('SELECT * FROM attempts.attempt_transition WHERE attempt_id = $1 ORDER BY id', [attemptId]);
    return rows;
  }

  async history(attemptId: string): Promise<DbRow[]> {
    const { rows } = await this.db.query<DbRow>('SELECT * FROM attempts.attempt_history WHERE attempt_id = $1 ORDER BY history_id', [attemptId]);
    return rows;
  }

  /** The number of a query's rows (the query selects `count(*)::int AS n`). */
  async count(sql: string, params: unknown[]): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(sql, params);
    return rows[0].n;
  }

  /**
   * The producer side of the contract, over everything collected: each event validates (strictly:
   * no undeclared field) against v1, carries the CloudEvents headers, sits on the right topic, and
   * per key and partition its `sequence` strictly increases in offset order.
   */
  assertContract(): number {
    const problems: string[] = [];
    const byPartitionKey = new Map<string, { offset: bigint; seq: bigint; id: string }[]>();
    const messages = this.eventMessages();
    for (const m of messages) {
      const e = m.json;
      if (!e) {
        problems.push(`${m.topic}/${m.partition}@${m.offset}: not JSON`);
        continue;
      }
      const v = validateEvent(e, { strict: true });
      if (!v.ok) problems.push(`${String(e.type)} ${String(e.id)}: ${v.errors.join('; ')}`);
      if (m.headers['content-type'] !== 'application/cloudevents+json') problems.push(`${String(e.id)}: content-type header ${m.headers['content-type']}`);
      const credit = e.type === 'CredentialRequirementUpdated' || e.type === 'CredentialRequirementRemoved';
      if (m.topic !== (credit ? this.topics.credentialEvents : this.topics.attemptEvents)) problems.push(`${String(e.type)} on ${m.topic}`);
      const k = `${m.topic}/${m.partition}/${m.key}`;
      const list = byPartitionKey.get(k) ?? [];
      list.push({ offset: BigInt(m.offset), seq: BigInt(e.sequence as string), id: e.id as string });
      byPartitionKey.set(k, list);
    }
    for (const [k, list] of byPartitionKey) {
      list.sort((a, b) => cmp(a.offset, b.offset));
      const seen = new Set<string>();
      let last = -1n;
      for (const x of list) {
        if (seen.has(x.id)) continue; // a re-published event (same id) is allowed
        seen.add(x.id);
        if (x.seq <= last) problems.push(`${k}: sequence ${x.seq} after ${last}`);
        last = x.seq;
      }
    }
    if (problems.length > 0) throw new Error(`contract violations:\n${problems.slice(0, 30).join('\n')}`);
    return messages.length;
  }
}

/** The key a publisher would use: courseId for RegisterExam, else userId, else the attempt reference, else the command id. */
export function keyFor(c: TestCommand): string {
  const d = c.data;
  const k = c.type === 'RegisterExam' ? d.courseId : (d.userId ?? d.attemptId ?? d.attemptCode ?? c.id);
  return typeof k === 'string' ? k : c.id;
}

export function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Unique ids for one test. */
export function ids(tag: string) {
  const s = randomUUID().slice(0, 8);
  return {
    courseId: `course-v1:${tag}+${s}`,
    exam: (n: string | number = 1) => `exam-${tag}-${s}-${n}`,
    user: (n: string | number = 1) => `user-${tag}-${s}-${n}`,
  };
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
