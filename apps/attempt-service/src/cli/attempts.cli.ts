import type { IHeaders, Kafka, Message } from 'kafkajs';
import type { Pool } from 'pg';
import pino from 'pino';
import { buildCommand, DLQ_HEADERS, InvalidCommandError, providerReviewTopics, UUID_PATTERN, type Command } from '../../../../libs/contracts/src';
import { isStatus } from '../../../../libs/domain/src';
import { EXIT_FAILED, EXIT_OK, options, required, runAsProcess, runCli, UsageError, type Io, type OptionValues, type Subcommand } from '../../../../libs/platform/src/cli/cli-program';
import { openPgPool } from '../../../../libs/platform/src/database/pg-pool';
import { connectIdempotentProducer, createKafka } from '../../../../libs/platform/src/kafka/kafka-client';
import { createLogger, scrubEmails, type Logger } from '../../../../libs/platform/src/logging/logger';
import type { Outcome, ProcessCommandsUseCase } from '../application/process-commands.use-case';
import { CLI_CHANNEL } from '../application/command-authority';
import { createProcessCommands } from '../attempt-service.factories';
import { loadAttemptServiceConfig, type AttemptServiceConfig } from '../config/attempt-service.config';
import { AttemptReadRepository } from '../persistence/attempt-read.repository';
import { ATTEMPT_SERVICE_APPLICATION_NAME } from '../persistence/data-source';
import { VideoUrlCipher } from '../persistence/review.row';
import { droppedTypeOf } from '../outbox/outbox-parking';

/** The CloudEvents `source` of the commands this command line runs (with a fresh id each time). */
export const CLI_SOURCE = 'urn:proctoring:cli';

const USAGE = `Usage: npm run attempts -- <command> [options]

Commands:
  set-status --exam EXAM_ID --user USER_ID --to STATUS [--reason TEXT]
      Change an attempt's status through the same rules, transaction and events as an
      UpdateAttemptStatus command (port of edx-proctoring's set_attempt_status).
  remove (--attempt ATTEMPT_ID | --exam EXAM_ID --user USER_ID)
      Archive and delete an attempt (RemoveAttempt).
  retire --user USER_ID
      Retire a learner (RetireLearner, SPEC §8.3): scrub their email, username and free text from
      every table, keep them retired for good, emit LearnerRetired. Retiring twice changes nothing.
  show (--attempt ATTEMPT_ID | --exam EXAM_ID --user USER_ID)
      Print the attempt, its transition history, its review and review history (the video URL
      decrypted) and the archived attempts as JSON.
  redrive [--topic DLQ_TOPIC] [--dry-run] [--limit N]
      Re-publish messages from the commands dead-letter topic to the commands topic (dlq-* headers
      removed), committing the consumer group's offsets as it goes. --dry-run only lists them.
  allowance grant --exam EXAM_ID --user USER_ID --key KEY --value VALUE
      Grant (upsert) an allowance through the same rules, transaction and events as a GrantAllowance
      command. KEY: additional_time_granted (minutes), time_multiplier (1 < m <= 10) or
      review_policy_exception (text). A running attempt's allowed time is recomputed.
  allowance remove --exam EXAM_ID --user USER_ID --key KEY
      Remove an allowance (RemoveAllowance); removing one that does not exist changes nothing.
  allowance list --user USER_ID [--exam EXAM_ID]
      Print the learner's allowances as JSON (with --exam, also their history).
  outbox list [--limit N]
      List the parked outbox rows: messages the broker refused as too large, replaced on their
      topic by an EventDropped marker and kept for an operator (they degrade /health/ready).
  outbox drop (--id OUTBOX_ID | --all)
      Delete parked outbox rows (after looking at them), so readiness recovers.

Configuration comes from the same environment variables as the attempt-service (see .env.example).`;

const UUID = new RegExp(UUID_PATTERN);

/** What a subcommand needs, opened only when it is first used. */
class CliContext {
  private pgPool: Promise<Pool> | null = null;
  private kafkaClient: Kafka | null = null;

  constructor(
    readonly config: AttemptServiceConfig,
    readonly logger: Logger,
  ) {}

  async pool(): Promise<Pool> {
    this.pgPool ??= openPgPool(
      { url: this.config.database.url, ssl: this.config.database.ssl, poolSize: 2, applicationName: ATTEMPT_SERVICE_APPLICATION_NAME },
      (e) => this.logger.warn({ err: e }, 'an idle database connection failed'),
    );
    return this.pgPool;
  }

  kafka(): Kafka {
    this.kafkaClient ??= createKafka(this.config.kafka, this.logger, `${this.config.kafka.clientId}-cli`);
    return this.kafkaClient;
  }

  async reads(): Promise<AttemptReadRepository> {
    return new AttemptReadRepository(await this.pool(), this.config.reviewVideoUrlKey ? new VideoUrlCipher(this.config.reviewVideoUrlKey) : null);
  }

  async processCommands(): Promise<ProcessCommandsUseCase> {
    return createProcessCommands(this.config, await this.pool()).processCommands;
  }

  async close(): Promise<void> {
    const pool = this.pgPool;
    this.pgPool = null;
    await pool?.then((p) => p.end()).catch(() => undefined);
  }
}

// ---- set-status -----------------------------------------------------------------------------

async function setStatus(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, {
    exam: { type: 'string', short: 'e' },
    user: { type: 'string', short: 'u' },
    to: { type: 'string', short: 't' },
    reason: { type: 'string' },
  });
  const exam = required(v, 'exam');
  const user = required(v, 'user');
  // An empty `--to ''` is a status like any other unknown one (SPEC §3): refused below, not bad usage.
  const to = required(v, 'to', { allowEmpty: true });
  io.out(`Running management command to update user ${user} attempt status on exam_id ${exam} to ${to}`);
  if (!isStatus(to)) {
    io.err(`${to} is not a valid attempt status!`);
    return EXIT_FAILED;
  }
  const ctx = open();
  const reads = await ctx.reads();
  if (!(await reads.examExists(exam))) {
    io.err(`Exam with exam_id ${exam} does not exist!`);
    return EXIT_FAILED;
  }
  const reason = typeof v.reason === 'string' ? v.reason : undefined;
  const command = build(() =>
    buildCommand('UpdateAttemptStatus', { examId: exam, userId: user, toStatus: to, ...(reason !== undefined ? { reason } : {}) }, { source: CLI_SOURCE }),
  );
  const outcome = await run(ctx, command, user);
  const code = await reportOutcome(outcome, command.id, user, reads, io, async () => {
    const current = await reads.byExamAndUser(exam, user);
    return current ? `Attempt ${current.attemptId} is already ${current.status}; nothing changed` : 'Nothing changed';
  });
  io.out(LEFT_TO_RELAY);
  if (code === EXIT_OK) io.out('Completed!');
  return code;
}

// ---- remove ---------------------------------------------------------------------------------

async function remove(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, {
    attempt: { type: 'string', short: 'a' },
    exam: { type: 'string', short: 'e' },
    user: { type: 'string', short: 'u' },
  });
  const ref = attemptRef(v);
  const ctx = open();
  const reads = await ctx.reads();
  const current = ref.kind === 'id' ? await reads.byId(ref.attemptId) : await reads.byExamAndUser(ref.examId, ref.userId);
  if (!current) {
    io.err(
      ref.kind === 'id'
        ? `Cannot remove attempt for attempt_id = ${ref.attemptId} because it does not exist!`
        : `Cannot remove attempt for exam_id = ${ref.examId} and user_id = ${ref.userId} because it does not exist!`,
    );
    return EXIT_FAILED;
  }
  io.out(`Removing exam attempt ${current.attemptId}`);
  const command = build(() => buildCommand('RemoveAttempt', { attemptId: current.attemptId }, { source: CLI_SOURCE }));
  const outcome = await run(ctx, command, current.userId);
  let code: number;
  if (outcome.kind === 'applied') {
    io.out(`Removed attempt ${current.attemptId} (last status ${current.status})`);
    code = EXIT_OK;
  } else {
    code = reportRefusal(outcome, io);
  }
  io.out(LEFT_TO_RELAY);
  if (code === EXIT_OK) io.out('Completed!');
  return code;
}

// ---- retire ---------------------------------------------------------------------------------

async function retire(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, { user: { type: 'string', short: 'u' } });
  const user = required(v, 'user');
  const command = build(() => buildCommand('RetireLearner', { userId: user }, { source: CLI_SOURCE }));
  const ctx = open();
  io.out(`Retiring learner ${user}`);
  const outcome = await run(ctx, command, user);
  let code: number;
  if (outcome.kind === 'applied') {
    io.out(`Learner ${user} retired: personal data scrubbed, LearnerRetired emitted`);
    code = EXIT_OK;
  } else if (outcome.kind === 'noop') {
    io.out(`Learner ${user} was already retired; nothing changed`);
    code = EXIT_OK;
  } else {
    code = reportRefusal(outcome, io);
  }
  io.out(LEFT_TO_RELAY);
  if (code === EXIT_OK) io.out('Completed!');
  return code;
}

// ---- show -----------------------------------------------------------------------------------

async function show(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, {
    attempt: { type: 'string', short: 'a' },
    exam: { type: 'string', short: 'e' },
    user: { type: 'string', short: 'u' },
  });
  const ref = attemptRef(v);
  const reads = await open().reads();
  const view = ref.kind === 'id' ? await reads.byId(ref.attemptId) : await reads.byExamAndUser(ref.examId, ref.userId);
  if (view) {
    io.out(JSON.stringify(view, null, 2));
    return EXIT_OK;
  }
  const archived = ref.kind === 'id' ? await reads.archivedById(ref.attemptId) : await reads.archived(ref.examId, ref.userId);
  io.err(ref.kind === 'id' ? `No attempt with attempt_id = ${ref.attemptId}` : `No attempt for exam_id = ${ref.examId} and user_id = ${ref.userId}`);
  // an archived attempt keeps its review (SPEC §8.1 rule 1): shown with it
  const withReviews = await Promise.all(archived.map(async (a) => ({ ...a, ...(await reads.reviews(a.attemptId)) })));
  if (archived.length > 0) io.out(JSON.stringify({ attempt: null, archived: withReviews }, null, 2));
  return EXIT_FAILED;
}

// ---- allowance ------------------------------------------------------------------------------

async function allowance(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'grant') return allowanceChange('grant', rest, io, open);
  if (action === 'remove') return allowanceChange('remove', rest, io, open);
  if (action === 'list') return allowanceList(rest, io, open);
  throw new UsageError('allowance needs grant, remove or list');
}

/** grant / remove: one GrantAllowance / RemoveAllowance command through the use case, as set-status does. */
async function allowanceChange(action: 'grant' | 'remove', args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, {
    exam: { type: 'string', short: 'e' },
    user: { type: 'string', short: 'u' },
    key: { type: 'string', short: 'k' },
    ...(action === 'grant' ? { value: { type: 'string' as const } } : {}),
  });
  const exam = required(v, 'exam');
  const user = required(v, 'user');
  const key = required(v, 'key');
  const command =
    action === 'grant'
      ? build(() => buildCommand('GrantAllowance', { examId: exam, userId: user, key, value: required(v, 'value', { allowEmpty: true }) }, { source: CLI_SOURCE }))
      : build(() => buildCommand('RemoveAllowance', { examId: exam, userId: user, key }, { source: CLI_SOURCE }));
  const ctx = open();
  const reads = await ctx.reads();
  const outcome = await run(ctx, command, user);
  // the value is not echoed: a review policy exception may be personal data
  const code = await reportOutcome(outcome, command.id, user, reads, io, () =>
    Promise.resolve(action === 'grant' ? `${key} already has this value for user ${user} on exam_id ${exam}; nothing changed` : `No ${key} for user ${user} on exam_id ${exam}; nothing changed`),
  );
  if (outcome.kind === 'applied') io.out(action === 'grant' ? `Granted ${key} to user ${user} on exam_id ${exam}` : `Removed ${key} of user ${user} on exam_id ${exam}`);
  io.out(LEFT_TO_RELAY);
  if (code === EXIT_OK) io.out('Completed!');
  return code;
}

async function allowanceList(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, { exam: { type: 'string', short: 'e' }, user: { type: 'string', short: 'u' } });
  const user = required(v, 'user');
  const exam = typeof v.exam === 'string' ? v.exam : undefined;
  const reads = await open().reads();
  const allowances = await reads.allowances(user, exam);
  const out = exam === undefined ? { allowances } : { allowances, history: await reads.allowanceHistory(exam, user) };
  io.out(JSON.stringify(out, null, 2));
  return EXIT_OK;
}

// ---- redrive --------------------------------------------------------------------------------

async function redrive(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, {
    topic: { type: 'string' },
    'dry-run': { type: 'boolean' },
    limit: { type: 'string' },
  });
  const ctx = open();
  const dlq = typeof v.topic === 'string' ? v.topic : ctx.config.topics.commandsDlq;
  const target = ctx.config.topics.commands;
  // A dead letter goes back where it came from (its dlq-source-topic): the commands topic or a
  // provider's review topic (SPEC §8.4); one without that header (older) goes to the commands topic.
  const returnable = new Set([target, ...Object.keys(ctx.config.providers.providers).map((p) => providerReviewTopics(p).reviews)]);
  const originOf = (headers: IHeaders | undefined): string | null => {
    const source = header(headers, DLQ_HEADERS.sourceTopic);
    if (source === undefined) return target;
    return returnable.has(source) ? source : null;
  };
  const used = new Set<string>();
  const dryRun = v['dry-run'] === true;
  let limit = Number.POSITIVE_INFINITY;
  if (v.limit !== undefined) {
    if (typeof v.limit !== 'string' || !/^[1-9]\d*$/.test(v.limit)) throw new UsageError('--limit must be a positive integer');
    limit = Number(v.limit);
  }
  if (dlq === target) throw new UsageError('--topic must not be the commands topic');
  const groupId = ctx.config.redriveGroupId;
  const kafka = ctx.kafka();

  // Where the group stands and where each partition ends now: messages dead-lettered again while
  // redriving land after these ends and are left for the next run (no loop).
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let pendingTotal = 0n;
  try {
    const [offsets, committed] = await Promise.all([admin.fetchTopicOffsets(dlq), admin.fetchOffsets({ groupId, topics: [dlq] })]);
    const at = new Map<number, bigint>();
    for (const t of committed) for (const p of t.partitions) at.set(p.partition, BigInt(p.offset));
    ends = new Map();
    for (const o of offsets) {
      const high = BigInt(o.high);
      const start = bigMax(at.get(o.partition) ?? -1n, BigInt(o.low));
      if (start < high) {
        ends.set(o.partition, high);
        pendingTotal += high - start;
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) {
    io.out(`Nothing to redrive on ${dlq} (consumer group ${groupId} is at the end)`);
    return EXIT_OK;
  }
  io.out(`${dryRun ? 'Dry run: ' : ''}${pendingTotal} message(s) pending on ${dlq} for consumer group ${groupId}`);

  const producer = dryRun ? null : await connectIdempotentProducer(kafka);
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, sessionTimeout: 30000, allowAutoTopicCreation: false });
  let count = 0;
  let lastProgress = Date.now();
  let finish: (() => void) | null = null;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const remaining = new Map(ends);
  const crashed: { error: Error | null } = { error: null };
  const done = () => crashed.error !== null || count >= limit || remaining.size === 0;
  try {
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart) return;
      crashed.error = e.payload.error;
      finish?.();
    });
    // Offsets that are not messages (transaction markers, compacted records) can hide a partition's
    // end: stop once nothing has arrived for a while after joining the group.
    let joined = false;
    const startedAt = Date.now();
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      lastProgress = Date.now();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const end = remaining.get(batch.partition);
        if (end === undefined || done()) return;
        const take = batch.messages.filter((m) => BigInt(m.offset) < end).slice(0, Math.max(0, limit - count));
        if (take.length === 0) return;
        if (!isRunning() || isStale()) return;
        const byTopic = new Map<string, Message[]>();
        for (const m of take) {
          const reason = header(m.headers, 'dlq-reason');
          const origin = originOf(m.headers);
          // an EventDropped marker stands for a dead letter the broker refused (parked in the outbox): not a command
          const skip = isDroppedMarker(m.headers) ? 'marker' : origin === null ? 'unknown source topic' : null;
          const verb = skip !== null ? `${dryRun ? 'would skip' : 'skipping'} ${skip}` : dryRun ? 'would redrive' : 'redriving';
          io.out(
            `${verb} ${batch.topic}[${batch.partition}]@${m.offset} key=${m.key?.toString('utf8') ?? '(none)'}${reason ? ` reason=${reason}` : ''}`,
          );
          if (skip !== null || origin === null) continue;
          used.add(origin);
          const list = byTopic.get(origin) ?? [];
          list.push({ key: m.key, value: m.value, headers: withoutDlqHeaders(m.headers) });
          byTopic.set(origin, list);
        }
        if (producer) {
          try {
            for (const [topic, messages] of byTopic) await producer.send({ topic, acks: -1, messages });
            const next = (BigInt(take[take.length - 1].offset) + 1n).toString();
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          } catch (e) {
            // Published but not committed is redriven again by the next run: the service's inbox
            // absorbs the repeat (same source and id). Stop here and report the failure.
            crashed.error = e instanceof Error ? e : new Error(String(e));
            finish?.();
            return;
          }
        }
        for (const m of take) resolveOffset(m.offset);
        count += take.length;
        lastProgress = Date.now();
        if (BigInt(take[take.length - 1].offset) + 1n >= end) remaining.delete(batch.partition);
        await heartbeat();
        if (done()) finish?.();
      },
    });
    const idle = setInterval(() => {
      if (joined && Date.now() - lastProgress > 15000) finish?.();
      if (!joined && Date.now() - startedAt > 120000) {
        crashed.error = new Error(`could not join consumer group ${groupId} within 120 s`);
        finish?.();
      }
    }, 500);
    await finished;
    clearInterval(idle);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
  if (crashed.error) throw crashed.error;
  const to = used.size === 0 ? target : [...used].sort().join(', ');
  if (dryRun) io.out(`Dry run: ${count} message(s) would be redriven from ${dlq} to ${to}; nothing was published or committed`);
  else io.out(`Redriven ${count} message(s) from ${dlq} to ${to}`);
  return EXIT_OK;
}

function withoutDlqHeaders(headers: IHeaders | undefined): IHeaders {
  const out: IHeaders = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (!k.toLowerCase().startsWith('dlq-') && v !== undefined) out[k] = v;
  return out;
}

function isDroppedMarker(headers: IHeaders | undefined): boolean {
  return header(headers, 'ce-type') === 'EventDropped';
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

// ---- outbox ---------------------------------------------------------------------------------

interface ParkedRow {
  id: string;
  event_id: string;
  topic: string;
  key: string | null;
  headers: Record<string, string>;
  size: string;
  parked_at: Date;
  parked_reason: string | null;
}

const PARKED_COLUMNS = `id, event_id, topic, key, headers, parked_at, parked_reason,
  octet_length(value) + coalesce(octet_length(key), 0)
    + coalesce((SELECT sum(octet_length(k) + octet_length(v)) FROM jsonb_each_text(headers) AS h(k, v)), 0) AS size`;

async function outbox(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') return outboxList(rest, io, open);
  if (action === 'drop') return outboxDrop(rest, io, open);
  throw new UsageError('outbox needs list or drop');
}

/** The parked rows, oldest first: never their value; a key shaped like an email address is masked. */
async function outboxList(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, { limit: { type: 'string' } });
  let limit = 100;
  if (v.limit !== undefined) {
    if (typeof v.limit !== 'string' || !/^[1-9]\d*$/.test(v.limit)) throw new UsageError('--limit must be a positive integer');
    limit = Number(v.limit);
  }
  const pool = await open().pool();
  const { rows: count } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM attempts.outbox_message WHERE parked_at IS NOT NULL`);
  const total = count[0].n;
  if (total === 0) {
    io.out('No parked outbox rows');
    return EXIT_OK;
  }
  const { rows } = await pool.query<ParkedRow>(
    `SELECT ${PARKED_COLUMNS} FROM attempts.outbox_message WHERE parked_at IS NOT NULL ORDER BY id LIMIT $1`,
    [limit],
  );
  io.out(total > rows.length ? `${total} parked row(s), showing the oldest ${rows.length}` : `${total} parked row(s)`);
  for (const r of rows) io.out(parkedLine(r));
  return EXIT_OK;
}

async function outboxDrop(args: string[], io: Io, open: () => CliContext): Promise<number> {
  const v = options(args, { id: { type: 'string' }, all: { type: 'boolean' } });
  const all = v.all === true;
  if (all === (v.id !== undefined)) throw new UsageError('give either --id OUTBOX_ID or --all');
  if (!all && (typeof v.id !== 'string' || !/^[1-9]\d{0,18}$/.test(v.id))) throw new UsageError('--id must be an outbox row id (a positive integer)');
  const pool = await open().pool();
  const { rows } = await pool.query<ParkedRow>(
    `DELETE FROM attempts.outbox_message
      WHERE parked_at IS NOT NULL ${all ? '' : 'AND id = $1::bigint'}
      RETURNING ${PARKED_COLUMNS}`,
    all ? [] : [v.id],
  );
  if (rows.length === 0) {
    if (all) {
      io.out('No parked outbox rows');
      return EXIT_OK;
    }
    const { rows: found } = await pool.query(`SELECT 1 FROM attempts.outbox_message WHERE id = $1::bigint`, [v.id]);
    io.err(found.length > 0 ? `Outbox row ${String(v.id)} is not parked: only parked rows are dropped` : `No outbox row ${String(v.id)}`);
    return EXIT_FAILED;
  }
  rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  for (const r of rows) io.out(`dropped ${parkedLine(r)}`);
  io.out(`Dropped ${rows.length} parked row(s)`);
  return EXIT_OK;
}

function parkedLine(r: ParkedRow): string {
  const key = r.key === null ? '(none)' : JSON.stringify(scrubEmails(r.key)).slice(1, -1);
  return [
    r.id,
    `topic=${r.topic}`,
    `key=${key}`,
    `type=${droppedTypeOf(r)}`,
    `size=${r.size}`,
    `event=${r.event_id}`,
    `parked=${r.parked_at.toISOString()}`,
    `reason=${JSON.stringify(r.parked_reason ?? '')}`,
  ].join(' ');
}

// ---- shared steps ---------------------------------------------------------------------------

/** Runs one command through the service's use case (same rules, same transaction, outbox events). */
async function run(ctx: CliContext, command: Command, key: string): Promise<Outcome> {
  const processCommands = await ctx.processCommands();
  const [result] = await processCommands.execute([{ kind: 'command', command, key, channel: CLI_CHANNEL }]);
  return result.outcome;
}

async function reportOutcome(
  outcome: Outcome,
  commandId: string,
  userId: string,
  reads: AttemptReadRepository,
  io: Io,
  describeNoop: () => Promise<string>,
): Promise<number> {
  if (outcome.kind === 'applied') {
    for (const t of await reads.transitionsCausedBy(commandId, userId)) {
      const notes = [`version ${t.version}`];
      if (t.requestedStatus !== t.toStatus) notes.push(`requested ${t.requestedStatus}`);
      if (t.cascadeFromAttemptId) notes.push(`cascaded from ${t.cascadeFromAttemptId}`);
      io.out(`Attempt ${t.attemptId}: ${t.fromStatus ?? '(new)'} -> ${t.toStatus} (${notes.join(', ')})`);
    }
    return EXIT_OK;
  }
  if (outcome.kind === 'noop') {
    io.out(await describeNoop());
    return EXIT_OK;
  }
  return reportRefusal(outcome, io);
}

function reportRefusal(outcome: Outcome, io: Io): number {
  switch (outcome.kind) {
    case 'rejected':
      io.err(`Rejected: ${outcome.reason}: ${outcome.message}`);
      return EXIT_FAILED;
    case 'applied':
    case 'noop':
      return EXIT_OK;
    case 'duplicate':
    case 'dead-lettered':
    case 'timed-out':
    case 'not-expired':
      io.err(`Unexpected outcome: ${outcome.kind}`);
      return EXIT_FAILED;
  }
}

/**
 * The command line never publishes (SPEC §8.4: only the attempt-service relays the outbox, under its
 * own Kafka identity): what it committed is published by a running attempt-service's relay.
 */
export const LEFT_TO_RELAY = 'The events are in the outbox: the attempt-service publishes them';

function build<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InvalidCommandError) throw new UsageError(`invalid arguments: ${e.message}`);
    throw e;
  }
}

type AttemptRef = { kind: 'id'; attemptId: string } | { kind: 'pair'; examId: string; userId: string };

function attemptRef(v: OptionValues): AttemptRef {
  const { attempt, exam, user } = v;
  if (typeof attempt === 'string') {
    if (exam !== undefined || user !== undefined) throw new UsageError('give either --attempt or --exam and --user');
    if (!UUID.test(attempt)) throw new UsageError('--attempt must be a UUID');
    return { kind: 'id', attemptId: attempt.toLowerCase() };
  }
  if (typeof exam === 'string' && typeof user === 'string') return { kind: 'pair', examId: exam, userId: user };
  throw new UsageError('give either --attempt or --exam and --user');
}

// ---- entry point ----------------------------------------------------------------------------

const COMMANDS: Record<string, Subcommand<CliContext>> = {
  'set-status': setStatus,
  remove,
  retire,
  show,
  allowance,
  redrive,
  outbox,
};

export function main(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runCli(
    {
      name: 'attempts',
      usage: USAGE,
      commands: COMMANDS,
      open: (e) => {
        const config = loadAttemptServiceConfig(e, { http: false });
        // Log lines go to stderr (stdout is the command's output), warnings only unless LOG_LEVEL is set.
        const level = e.LOG_LEVEL ? config.logLevel : 'warn';
        return new CliContext(config, createLogger('attempts-cli', level, pino.destination({ dest: 2, sync: true })));
      },
      // set-status prints its opening line first, as the original management command does
      opensFirst: (name) => name !== 'set-status',
    },
    argv,
    io,
    env,
  );
}

if (require.main === module) runAsProcess('attempts', (argv, io) => main(argv, io));
