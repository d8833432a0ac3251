import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DLQ_HEADER_PREFIX, type Command, type TraceContext } from '../../../../libs/contracts/src';
import type { ProvidersConfig } from '../../../../libs/domain/src';
import { inTransaction, isInputDbError, type SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import { NO_TRACING, SpanKind, type TraceCarrier, type TraceSpan, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
import { AttemptBatchRepository, commandKey, type CommandRef } from '../persistence/attempt-batch.repository';
import { keyScope } from '../persistence/event-key.row';
import type { OutboxRecord } from '../persistence/outbox-message.row';
import type { VideoUrlCipher } from '../persistence/review.row';
import type { OutboxHandoff } from '../outbox/outbox-handoff';
import { BatchUnit } from './batch-unit';
import { authorize, COMMANDS_CHANNEL, reviewProviderOf, type AuthoritySettings, type Channel } from './command-authority';
import { handleAttemptTimeout, type TimeoutOutcome } from './commands/attempt-timeout.handler';
import type { CommandOutcome, CommandTarget, HandlerContext } from './commands/command-handler';
import { handleCommand, targetOf } from './commands/command-handlers';
import type { Cause, EventFactory } from './event-factory';

/** A copy of a message for the commands DLQ: key, value and headers already bounded by the consumer. */
export interface DeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** One unit of work for the processor, in the order it was received. */
export type CommandInput =
  /** `channel`: where it arrived (absent: the commands topic); part of its idempotency key and its authority. */
  | { kind: 'command'; command: Command; key: string | null; channel?: Channel }
  | {
      kind: 'invalid';
      channel?: Channel;
      id: string;
      source: string;
      type: string;
      correlationId: string;
      reason: 'INVALID_MESSAGE' | 'UNKNOWN_COMMAND_TYPE';
      message: string;
      key: string | null;
      /** Set when the message was also over a bound (SPEC §8.5): dead-lettered, then rejected. */
      dlq?: DeadLetter;
      /** The command's valid trace context, if it had one: its rejection continues that trace. */
      trace?: TraceContext;
    }
  | { kind: 'unreadable'; reason: string; dlq: DeadLetter }
  | { kind: 'timeout'; attemptId: string; sweepId: string };

/** What became of an input: its handler's outcome, or a repeat, or a dead letter. */
export type Outcome = CommandOutcome | TimeoutOutcome | { kind: 'duplicate' } | { kind: 'dead-lettered'; reason: string };

export interface ProcessedInput {
  input: CommandInput;
  outcome: Outcome;
}

export interface ProcessorDeps {
  pool: Pool;
  events: EventFactory;
  providers: ProvidersConfig;
  dlqTopic: string;
  clock?: () => Date;
  newId?: () => string;
  /** Where committed outbox rows are handed to this process's relay (see OutboxHandoff). */
  handoff?: OutboxHandoff;
  /** Which command may come from which channel (default: the legacy review-status path allowed). */
  authority?: AuthoritySettings;
  /** Called once per UpdateAttemptStatus to a review outcome accepted through the legacy path (a metric). */
  onLegacyReviewStatus?: () => void;
  /** Each provider's outcomes topic: the outcome and AttemptReviewed of a command from its review topic are copied there (SPEC §8.4). */
  reviewOutcomeTopics?: Readonly<Record<string, string>>;
  /** Encrypts reviews' video URLs at rest (REVIEW_VIDEO_URL_KEY); without it, video URLs are not stored. */
  videoUrlCipher?: VideoUrlCipher | null;
  /** Spans per transaction and per command (default: off, the commands' trace context passed on). */
  tracing?: Tracing;
}

/** What a provider sees of its review commands on its outcomes topic (never learner data). */
const REVIEW_OUTCOME_COPIES = ['AttemptReviewed', 'CommandProcessed', 'CommandRejected'] as const;

/**
 * The batch skeleton: applies a batch of commands (or sweeper timeouts) in one PostgreSQL transaction.
 * Claim the ids in the inbox and lock the learners' event_key rows, load their rows, run each input's
 * handler in order on the batch in memory, write it all back, commit. A command never spans two
 * transactions; the decisions are the domain's, the statements the repository's.
 *
 * Faults propagate (the caller retries the whole batch). Input the database refuses despite
 * validation is isolated: the batch is re-run one input at a time and the culprit is rejected.
 */
export class ProcessCommandsUseCase {
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: ProcessorDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
  }

  async execute(inputs: CommandInput[]): Promise<ProcessedInput[]> {
    if (inputs.length === 0) return [];
    try {
      return await this.commit(inputs);
    } catch (e) {
      if (!isInputDbError(e)) throw e;
      if (inputs.length > 1) {
        const out: ProcessedInput[] = [];
        for (const input of inputs) out.push(...(await this.execute([input])));
        return out;
      }
      return this.commit([asRefused(inputs[0])]);
    }
  }

  /**
   * One transaction; once it has committed, its outbox rows go to the relay's handoff. Its spans
   * (see `startSpans`) end when it has committed, or failed.
   */
  private async commit(inputs: CommandInput[]): Promise<ProcessedInput[]> {
    const spans = this.startSpans(inputs);
    try {
      const { results, outbox } = await inTransaction(this.deps.pool, (sql) => this.run(sql, inputs, spans.inputs));
      endSpans(spans, results);
      this.deps.handoff?.offer(outbox);
      return results;
    } catch (e) {
      if (spans.enabled)
        for (const span of [...spans.inputs, spans.batch]) {
          span?.fail(e);
          span?.end();
        }
      throw e;
    }
  }

  /**
   * Spans of one transaction: one for the transaction (`process command batch`, a new trace), and one
   * per command (`process <type>`, kind consumer) whose parent is the command's own `traceparent`
   * (a new trace when it has none, or a malformed one) and which links to the transaction's span.
   * A sweeper timeout's span is a child of the transaction's. An unreadable message has none. Each
   * command's span is the parent of every event it causes (`Cause.trace`). A transaction that fails
   * and is retried (a fault) or re-run one input at a time (input the database refuses) ends its
   * spans as failed; the retry has spans of its own, and only its events reach Kafka.
   */
  private startSpans(inputs: CommandInput[]): InputSpans {
    const tracing = this.deps.tracing ?? NO_TRACING;
    if (!tracing.enabled) {
      // off: no spans, only each command's own valid trace context handed on to its events
      return {
        enabled: false,
        batch: tracing.startSpan(''),
        inputs: inputs.map((input) =>
          input.kind === 'command' ? tracing.startSpan('', { remote: traceOf(input.command) }) : input.kind === 'invalid' ? tracing.startSpan('', { remote: input.trace }) : undefined,
        ),
      };
    }
    const batch = tracing.startSpan('process command batch', { attributes: { 'messaging.batch.message_count': inputs.length } });
    const links = [batch];
    return {
      enabled: true,
      batch,
      inputs: inputs.map((input) => {
        switch (input.kind) {
          case 'command': {
            const c = input.command;
            return tracing.startSpan(`process ${c.type}`, {
              kind: SpanKind.CONSUMER,
              remote: traceOf(c),
              links,
              attributes: commandAttributes(c.id, c.source, c.type),
            });
          }
          case 'invalid':
            return tracing.startSpan(`process ${input.type || 'command'}`, {
              kind: SpanKind.CONSUMER,
              remote: input.trace,
              links,
              attributes: commandAttributes(input.id, input.source, input.type),
            });
          case 'timeout':
            return tracing.startSpan('process attempt timeout', { parent: batch, attributes: { 'proctoring.attempt_id': input.attemptId } });
          case 'unreadable':
            return undefined;
        }
      }),
    };
  }

  private async run(
    sql: SqlRunner,
    inputs: CommandInput[],
    spans: readonly (TraceSpan | undefined)[] = [],
  ): Promise<{ results: ProcessedInput[]; outbox: OutboxRecord[] }> {
    const repo = new AttemptBatchRepository(sql, this.deps.videoUrlCipher ?? null);
    const batch = new BatchUnit(this.deps.events, this.clock());
    const targets = inputs.map((input) => (input.kind === 'command' ? targetOf(input.command) : null));
    // Which learner (or course) each input touches, so their rows are locked before they are read.
    // An attempt's learner never changes, so it is resolved before anything is locked.
    const learners = await this.learnersOfAttempts(repo, inputs, targets);
    const scopes: string[] = [];
    inputs.forEach((input, i) => {
      const key = this.outcomeKeyOf(input, targets[i], learners);
      if (key !== null) scopes.push(keyScope(key));
    });
    const live = await this.claimAndLock(repo, batch, inputs, scopes);

    const userIds: string[] = [];
    const examIds: string[] = [];
    const courseIds: string[] = [];
    const allowancePairs: [string, string][] = [];
    inputs.forEach((input, i) => {
      if (!live[i]) return;
      const user = this.learnerOf(input, targets[i], learners);
      if (user) userIds.push(user);
      const target = targets[i];
      if (target?.examId) examIds.push(target.examId);
      if (target?.kind === 'course') courseIds.push(target.courseId);
      if (target?.kind === 'learner' && target.allowances && target.examId) allowancePairs.push([target.examId, target.userId]);
    });
    // Reviews name their attempt by code, live or archived: the archives and stored reviews of those codes.
    const reviewCodes = inputs.flatMap((input, i) => (live[i] && input.kind === 'command' && input.command.type === 'RecordReview' ? [input.command.data.attemptCode] : []));
    if (reviewCodes.length > 0) {
      const reviews = await repo.loadReviews(reviewCodes);
      batch.loadedReviews(reviews);
      for (const a of reviews.archived) examIds.push(a.examId);
    }
    batch.loaded(await repo.load(userIds, examIds, courseIds, allowancePairs));

    const results: ProcessedInput[] = inputs.map((input, i) => ({
      input,
      outcome: live[i] ? this.apply(batch, input, targets[i], learners, spans[i]?.carrier) : { kind: 'duplicate' },
    }));
    const outbox = await repo.write(batch.writes());
    return { results, outbox };
  }

  /**
   * Claims every readable command id in the inbox (false for a repeat, earlier or earlier in this
   * batch) and locks the `event_key` rows of the given scopes: the existing ones in the claim's
   * statement, in key order, then the ones seen for the first time. A repeat's scope is locked too;
   * that costs nothing but the lock.
   */
  private async claimAndLock(repo: AttemptBatchRepository, batch: BatchUnit, inputs: CommandInput[], scopes: string[]): Promise<boolean[]> {
    const seen = new Set<string>();
    const first: boolean[] = [];
    const refs: CommandRef[] = [];
    for (const input of inputs) {
      const ref = idOf(input);
      if (!ref) {
        first.push(true);
        continue;
      }
      const k = commandKey(ref);
      first.push(!seen.has(k));
      if (!seen.has(k)) {
        seen.add(k);
        refs.push(ref);
      }
    }
    const keys = [...new Set(scopes)].sort();
    const { claimed, locked } = await repo.claimAndLock(refs, keys);
    batch.lockedScopes(locked);
    batch.lockedScopes(await repo.lockNewKeys(keys.filter((k) => !batch.hasScope(k))));
    return inputs.map((input, i) => {
      const ref = idOf(input);
      return !ref || (first[i] && claimed.has(commandKey(ref)));
    });
  }

  /** Learners of the attempts named only by attemptId or attemptCode (and of the sweeper's attempts). */
  private learnersOfAttempts(repo: AttemptBatchRepository, inputs: CommandInput[], targets: (CommandTarget | null)[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    const codes = new Set<string>();
    inputs.forEach((input, i) => {
      if (input.kind === 'timeout') ids.add(input.attemptId);
      const target = targets[i];
      if (target?.kind !== 'attempt') return;
      if (target.ref.attemptId) ids.add(target.ref.attemptId.toLowerCase());
      if (target.ref.attemptCode) codes.add(target.ref.attemptCode);
    });
    return repo.learnersOfAttempts([...ids], [...codes]);
  }

  private learnerOf(input: CommandInput, target: CommandTarget | null, learners: Map<string, string>): string | undefined {
    if (input.kind === 'timeout') return learners.get(`id:${input.attemptId}`);
    switch (target?.kind) {
      case undefined:
      case 'course':
        return undefined;
      case 'learner':
        return target.userId;
      case 'attempt': {
        const { ref } = target;
        return (
          ref.userId ??
          (ref.attemptId ? learners.get(`id:${ref.attemptId.toLowerCase()}`) : undefined) ??
          (ref.attemptCode ? learners.get(`code:${ref.attemptCode}`) : undefined)
        );
      }
    }
  }

  /**
   * The Kafka key of the input's outcome event: the learner (or, for a course's command, the course),
   * else the key the command came with, else its id. Its sequence scope is `keyScope(key)`: one
   * counter per Kafka key, so every event under one key continues the same sequence.
   */
  private outcomeKeyOf(input: CommandInput, target: CommandTarget | null, learners: Map<string, string>): string | null {
    switch (input.kind) {
      case 'unreadable':
        return null;
      case 'invalid':
        return input.key ?? input.id;
      case 'timeout':
        return this.learnerOf(input, target, learners) ?? null;
      case 'command':
        if (target?.kind === 'course') return target.courseId;
        return this.learnerOf(input, target, learners) ?? input.key ?? input.command.id;
    }
  }

  // ---- applying ----------------------------------------------------------------------------

  private apply(batch: BatchUnit, input: CommandInput, target: CommandTarget | null, learners: Map<string, string>, trace: TraceCarrier | undefined): Outcome {
    const { events } = this.deps;
    switch (input.kind) {
      case 'unreadable':
        this.deadLetter(batch, input.dlq);
        return { kind: 'dead-lettered', reason: input.reason };
      case 'invalid': {
        if (input.dlq) this.deadLetter(batch, input.dlq);
        const cause: Cause = { type: 'command', id: input.id, correlationId: input.correlationId, trace };
        const from = batch.emitted.length;
        batch.emit(events.commandRejected(input.id, input.type, input.reason, input.message, input.key ?? input.id), cause);
        this.copyToOutcomes(batch, input.channel, from);
        return { kind: 'rejected', reason: input.reason, message: input.message };
      }
      case 'timeout': {
        const cause: Cause = { type: 'sweeper', id: input.sweepId, correlationId: input.sweepId, trace };
        return handleAttemptTimeout(input, this.context(batch, cause));
      }
      case 'command': {
        const c = input.command;
        const cause: Cause = { type: 'command', id: c.id, correlationId: c.correlationid ?? c.id, trace };
        const channel = input.channel ?? COMMANDS_CHANNEL;
        const authority = authorize(channel, c, this.deps.authority ?? DEFAULT_AUTHORITY);
        if (authority.allowed && authority.legacyReviewStatus) this.deps.onLegacyReviewStatus?.();
        const from = batch.emitted.length;
        const outcome = authority.allowed ? handleCommand(c, { ...this.context(batch, cause), channel }) : authority.rejection;
        const key = this.outcomeKeyOf(input, target, learners) ?? c.id;
        if (outcome.kind === 'rejected') batch.emit(events.commandRejected(c.id, c.type, outcome.reason, outcome.message, key), cause);
        else batch.emit(events.commandProcessed(c.id, c.type, outcome.kind, key), cause);
        this.copyToOutcomes(batch, channel, from);
        return outcome;
      }
    }
  }

  /** A command from a provider's review topic: its AttemptReviewed and outcome also go to the provider's outcomes topic. */
  private copyToOutcomes(batch: BatchUnit, channel: Channel | undefined, from: number): void {
    const provider = reviewProviderOf(channel);
    const topic = provider === null ? undefined : this.deps.reviewOutcomeTopics?.[provider];
    if (topic !== undefined) batch.copyEmitted(from, REVIEW_OUTCOME_COPIES, topic);
  }

  private deadLetter(batch: BatchUnit, dlq: DeadLetter): void {
    batch.deadLetter({
      eventId: this.newId(),
      topic: this.deps.dlqTopic,
      key: dlq.key,
      value: dlq.value ?? Buffer.alloc(0),
      headers: dlq.headers,
    });
  }

  private context(batch: BatchUnit, cause: Cause): HandlerContext {
    return { batch, events: this.deps.events, providers: this.deps.providers, cause, now: batch.now, newId: this.newId };
  }
}

const DEFAULT_AUTHORITY: AuthoritySettings = { legacyReviewStatusUpdates: true };

/** A command's trace context (already validated by the parser), if it has one. */
export function traceOf(c: Command): TraceContext | undefined {
  if (c.traceparent === undefined) return undefined;
  return c.tracestate === undefined ? { traceparent: c.traceparent } : { traceparent: c.traceparent, tracestate: c.tracestate };
}

/** CloudEvents and messaging attributes of a command's span (ids, source and type: no payload, no personal data). */
function commandAttributes(id: string, source: string, type: string): Record<string, string> {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.message.id': id,
    'cloudevents.event_id': id,
    'cloudevents.event_source': source,
    'cloudevents.event_type': type,
  };
}

/** The spans of one transaction (with tracing off: stand-ins that only hand the commands' context on). */
interface InputSpans {
  enabled: boolean;
  batch: TraceSpan;
  inputs: (TraceSpan | undefined)[];
}

/** Each span gets its input's outcome (and a rejection's reason), then ends. */
function endSpans(spans: InputSpans, results: readonly ProcessedInput[]): void {
  if (!spans.enabled) return;
  results.forEach(({ outcome }, i) => {
    const span = spans.inputs[i];
    if (!span) return;
    span.setAttributes({ 'proctoring.outcome': outcome.kind, ...(outcome.kind === 'rejected' ? { 'proctoring.rejection_reason': outcome.reason } : {}) });
    span.end();
  });
  spans.batch.end();
}

function idOf(input: CommandInput): CommandRef | null {
  if (input.kind === 'command') return { channel: input.channel ?? COMMANDS_CHANNEL, source: input.command.source, id: input.command.id };
  if (input.kind === 'invalid') return { channel: input.channel ?? COMMANDS_CHANNEL, source: input.source, id: input.id };
  return null;
}

/** The stand-in for an input the database refused: rejected as invalid, or dead-lettered without its payload. */
function asRefused(input: CommandInput): CommandInput {
  const message = 'the message contains a value the database cannot store';
  switch (input.kind) {
    case 'command':
      return {
        kind: 'invalid',
        channel: input.channel,
        id: input.command.id,
        source: input.command.source,
        type: input.command.type,
        correlationId: input.command.correlationid ?? input.command.id,
        reason: 'INVALID_MESSAGE',
        message,
        key: null,
        trace: traceOf(input.command),
      };
    case 'invalid':
      return { ...input, reason: 'INVALID_MESSAGE', message, key: null, dlq: input.dlq && refusedDeadLetter(input.dlq) };
    case 'unreadable':
      return { ...input, dlq: refusedDeadLetter(input.dlq) };
    case 'timeout':
      throw new Error('a sweeper timeout was refused by the database');
  }
}

/** Keeps only our own dlq-* headers and no key: a publisher's key or header may be what the database refused. */
function refusedDeadLetter(dlq: DeadLetter): DeadLetter {
  const ours = Object.entries(dlq.headers).filter(([k]) => k.startsWith(DLQ_HEADER_PREFIX));
  return { key: null, value: dlq.value, headers: Object.fromEntries(ours) };
}
