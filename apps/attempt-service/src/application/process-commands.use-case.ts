import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { DLQ_HEADER_PREFIX, type Command, type CommandOfType, type RejectionReason } from '../../../../libs/contracts/src';
import {
  changeStatus,
  createAttempt,
  expiresAt,
  hasProvider,
  isExpired,
  planCascade,
  policyFor,
  removalEffects,
  type Exam,
  type ProvidersConfig,
  type TransitionRejection,
} from '../../../../libs/domain/src';
import { inTransaction, isInputDbError, type SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import { BatchState, type StoredAttempt } from './batch-state';
import type { OutboxHandoff, OutboxRecord } from '../outbox/outbox-handoff';
import { keyScope, type Cause, type EventFactory } from './event-factory';

/** A copy of a message for the commands DLQ: key, value and headers already bounded by the consumer. */
export interface DeadLetter {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** One unit of work for the processor, in the order it was received. */
export type CommandInput =
  | { kind: 'command'; command: Command; key: string | null }
  | {
      kind: 'invalid';
      id: string;
      source: string;
      type: string;
      correlationId: string;
      reason: 'INVALID_MESSAGE' | 'UNKNOWN_COMMAND_TYPE';
      message: string;
      key: string | null;
      /** Set when the message was also over a bound (SPEC §8.5): dead-lettered, then rejected. */
      dlq?: DeadLetter;
    }
  | { kind: 'unreadable'; reason: string; dlq: DeadLetter }
  | { kind: 'timeout'; attemptId: string; sweepId: string };

export type Outcome =
  | { kind: 'applied' }
  | { kind: 'noop' }
  | { kind: 'rejected'; reason: RejectionReason; message: string }
  | { kind: 'duplicate' }
  | { kind: 'dead-lettered'; reason: string }
  | { kind: 'timed-out' }
  | { kind: 'not-expired' };

export interface ProcessedInput {
  input: CommandInput;
  outcome: Outcome;
}

type Rejection = { kind: 'rejected'; reason: RejectionReason; message: string };
const reject = (reason: RejectionReason, message: string): Rejection => ({ kind: 'rejected', reason, message });

export interface ProcessorDeps {
  pool: Pool;
  events: EventFactory;
  providers: ProvidersConfig;
  dlqTopic: string;
  clock?: () => Date;
  newId?: () => string;
  /** Where committed outbox rows are handed to this process's relay (see OutboxHandoff). */
  handoff?: OutboxHandoff;
}

/**
 * Applies a batch of commands (or sweeper timeouts) in one PostgreSQL transaction: claim the ids in
 * the inbox, lock the learners' rows, decide every change through libs/domain, write attempts,
 * history, transitions and outbox rows, commit. A command never spans two transactions.
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

  /** One transaction; once it has committed, its outbox rows go to the relay's handoff. */
  private async commit(inputs: CommandInput[]): Promise<ProcessedInput[]> {
    const { results, outbox } = await inTransaction(this.deps.pool, (sql) => this.run(sql, inputs));
    this.deps.handoff?.offer(outbox);
    return results;
  }

  private async run(sql: SqlRunner, inputs: CommandInput[]): Promise<{ results: ProcessedInput[]; outbox: OutboxRecord[] }> {
    const now = this.clock();
    const state = new BatchState();
    // Which learner (or course) each input touches, so their rows are locked before they are read.
    // An attempt's learner never changes, so it is resolved before anything is locked.
    const resolved = await this.resolveAttemptUsers(sql, inputs);
    const scopes: string[] = [];
    for (const input of inputs) {
      const scope = this.scopeOf(input, resolved);
      if (scope) scopes.push(scope);
    }
    const { live, locked } = await this.claimAndLock(sql, inputs, scopes);
    await state.lockScopes(sql, scopes, locked);

    const userIds: string[] = [];
    const examIds: string[] = [];
    const courseIds: string[] = [];
    inputs.forEach((input, i) => {
      if (!live[i]) return;
      const user = this.userOf(input, resolved);
      if (user) userIds.push(user);
      if (input.kind === 'command') {
        const d = input.command.data;
        if (d.examId) examIds.push(d.examId);
        if (input.command.type === 'RegisterExam') courseIds.push(input.command.data.courseId);
      }
    });
    await state.loadAttemptsAndExams(sql, userIds, examIds, courseIds);

    const results: ProcessedInput[] = inputs.map((input, i) => ({
      input,
      outcome: live[i] ? this.apply(state, input, resolved, now) : { kind: 'duplicate' },
    }));
    const outbox = await state.flush(sql, now);
    return { results, outbox };
  }

  /**
   * Claims every readable command id in the inbox (false for a repeat, earlier or earlier in this
   * batch) and, in the same statement, locks the `event_key` rows of the given scopes in key order.
   * The lock waits until the claim is done (it reads the claim's count), so a batch blocked on a
   * command id another transaction is claiming holds no key lock meanwhile. A repeat's scope is
   * locked too; that costs nothing but the lock.
   */
  private async claimAndLock(
    sql: SqlRunner,
    inputs: CommandInput[],
    scopes: string[],
  ): Promise<{ live: boolean[]; locked: { key: string; last_sequence: string }[] }> {
    const seen = new Set<string>();
    const first: boolean[] = [];
    const sources: string[] = [];
    const ids: string[] = [];
    for (const input of inputs) {
      const ref = idOf(input);
      if (!ref) {
        first.push(true);
        continue;
      }
      const k = `${ref.source}\u0000${ref.id}`;
      first.push(!seen.has(k));
      if (!seen.has(k)) {
        seen.add(k);
        sources.push(ref.source);
        ids.push(ref.id);
      }
    }
    const keys = [...new Set(scopes)].sort();
    if (ids.length === 0 && keys.length === 0) return { live: first, locked: [] };
    const rows = await sql.query<{ source: string | null; command_id: string | null; key: string | null; last_sequence: string | null }>(
      `WITH claimed AS (
         INSERT INTO attempts.processed_command (source, command_id)
         SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING RETURNING source, command_id),
       locked AS (
         SELECT key, last_sequence FROM attempts.event_key
          WHERE key = ANY($3::text[]) AND (SELECT count(*) FROM claimed) >= 0
          ORDER BY key FOR UPDATE)
       SELECT source, command_id, NULL::text AS key, NULL::bigint AS last_sequence FROM claimed
       UNION ALL
       SELECT NULL, NULL, key, last_sequence FROM locked`,
      [sources, ids, keys],
    );
    const claimed = new Set<string>();
    const locked: { key: string; last_sequence: string }[] = [];
    for (const r of rows) {
      if (r.key !== null && r.last_sequence !== null) locked.push({ key: r.key, last_sequence: r.last_sequence });
      else claimed.add(`${r.source}\u0000${r.command_id}`);
    }
    const live = inputs.map((input, i) => {
      const ref = idOf(input);
      return !ref || (first[i] && claimed.has(`${ref.source}\u0000${ref.id}`));
    });
    return { live, locked };
  }

  /** Learners of the attempts named only by attemptId or attemptCode. */
  private async resolveAttemptUsers(sql: SqlRunner, inputs: CommandInput[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    const codes = new Set<string>();
    for (const input of inputs) {
      if (input.kind === 'timeout') ids.add(input.attemptId);
      if (input.kind !== 'command') continue;
      const c = input.command;
      if (c.type === 'UpdateAttemptStatus' || c.type === 'RemoveAttempt') {
        if (c.data.attemptId) ids.add(c.data.attemptId.toLowerCase());
      }
      if (c.type === 'UpdateAttemptStatus' && c.data.attemptCode) codes.add(c.data.attemptCode);
    }
    const users = new Map<string, string>();
    if (ids.size === 0 && codes.size === 0) return users;
    const rows = await sql.query<{ id: string; attempt_code: string; user_id: string }>(
      `SELECT id, attempt_code, user_id FROM attempts.attempt WHERE id = ANY($1::uuid[]) OR attempt_code = ANY($2::text[])`,
      [[...ids], [...codes]],
    );
    for (const r of rows) {
      users.set(`id:${r.id}`, r.user_id);
      users.set(`code:${r.attempt_code}`, r.user_id);
    }
    return users;
  }

  private userOf(input: CommandInput, resolved: Map<string, string>): string | undefined {
    if (input.kind === 'timeout') return resolved.get(`id:${input.attemptId}`);
    if (input.kind !== 'command') return undefined;
    const c = input.command;
    switch (c.type) {
      case 'RegisterExam':
        return undefined;
      case 'CreateAttempt':
        return c.data.userId;
      case 'UpdateAttemptStatus':
        return (
          c.data.userId ??
          (c.data.attemptId ? resolved.get(`id:${c.data.attemptId.toLowerCase()}`) : undefined) ??
          (c.data.attemptCode ? resolved.get(`code:${c.data.attemptCode}`) : undefined)
        );
      case 'RemoveAttempt':
        return c.data.userId ?? (c.data.attemptId ? resolved.get(`id:${c.data.attemptId.toLowerCase()}`) : undefined);
    }
  }

  /**
   * The Kafka key of the input's outcome event: the learner (or, for RegisterExam, the course), else
   * the key the command came with, else its id. Its sequence scope is `keyScope(key)`: one counter
   * per Kafka key, so every event under one key continues the same sequence.
   */
  private outcomeKeyOf(input: CommandInput, resolved: Map<string, string>): string | null {
    switch (input.kind) {
      case 'unreadable':
        return null;
      case 'invalid':
        return input.key ?? input.id;
      case 'timeout':
        return this.userOf(input, resolved) ?? null;
      case 'command': {
        if (input.command.type === 'RegisterExam') return input.command.data.courseId;
        return this.userOf(input, resolved) ?? input.key ?? input.command.id;
      }
    }
  }

  /** The sequence scope of the input's outcome event (the scope of its Kafka key). */
  private scopeOf(input: CommandInput, resolved: Map<string, string>): string | null {
    const key = this.outcomeKeyOf(input, resolved);
    return key === null ? null : keyScope(key);
  }

  // ---- applying ----------------------------------------------------------------------------

  private apply(state: BatchState, input: CommandInput, resolved: Map<string, string>, now: Date): Outcome {
    switch (input.kind) {
      case 'unreadable':
        this.deadLetter(state, input.dlq);
        return { kind: 'dead-lettered', reason: input.reason };
      case 'invalid': {
        if (input.dlq) this.deadLetter(state, input.dlq);
        const outcome = reject(input.reason, input.message);
        const cause: Cause = { type: 'command', id: input.id, correlationId: input.correlationId };
        const key = input.key ?? input.id;
        this.deps.events.emit(
          state,
          'CommandRejected',
          { commandId: input.id, commandType: input.type, reason: input.reason, message: input.message },
          { key, scope: keyScope(key), cause, now },
        );
        return outcome;
      }
      case 'timeout':
        return this.applyTimeout(state, input, now);
      case 'command': {
        const c = input.command;
        const cause: Cause = { type: 'command', id: c.id, correlationId: c.correlationid ?? c.id };
        const outcome = this.applyCommand(state, c, cause, now);
        // the outcome's Kafka key: the learner (or course), else the key the command came with
        const key = this.outcomeKeyOf(input, resolved) ?? c.id;
        const scope = keyScope(key);
        if (outcome.kind === 'rejected') {
          this.deps.events.emit(
            state,
            'CommandRejected',
            { commandId: c.id, commandType: c.type, reason: outcome.reason, message: outcome.message },
            { key, scope, cause, now },
          );
        } else if (outcome.kind === 'applied' || outcome.kind === 'noop') {
          this.deps.events.emit(
            state,
            'CommandProcessed',
            { commandId: c.id, commandType: c.type, outcome: outcome.kind },
            { key, scope, cause, now },
          );
        }
        return outcome;
      }
    }
  }

  private deadLetter(state: BatchState, dlq: DeadLetter): void {
    state.outbox.push({
      eventId: this.newId(),
      topic: this.deps.dlqTopic,
      key: dlq.key,
      value: dlq.value ?? Buffer.alloc(0),
      headers: dlq.headers,
    });
  }

  private applyCommand(state: BatchState, c: Command, cause: Cause, now: Date): Outcome {
    switch (c.type) {
      case 'RegisterExam':
        return this.registerExam(state, c);
      case 'CreateAttempt':
        return this.createAttempt(state, c, cause, now);
      case 'UpdateAttemptStatus':
        return this.updateStatus(state, c, cause, now);
      case 'RemoveAttempt':
        return this.removeAttempt(state, c, cause, now);
    }
  }

  private registerExam(state: BatchState, c: CommandOfType<'RegisterExam'>): Outcome {
    const d = c.data;
    if (d.provider !== undefined && !hasProvider(this.deps.providers, d.provider)) {
      return reject('UNKNOWN_PROVIDER', 'the provider is not configured');
    }
    const holder = state.examByContent(d.courseId, d.contentId);
    if (holder && holder.examId !== d.examId) {
      return reject('EXAM_CONFLICT', 'courseId and contentId already belong to another exam');
    }
    const exam: Exam = {
      examId: d.examId,
      courseId: d.courseId,
      contentId: d.contentId,
      examName: d.examName,
      courseName: d.courseName ?? null,
      timeLimitMins: d.timeLimitMins,
      isProctored: d.isProctored,
      isPracticeExam: d.isPracticeExam,
      isActive: d.isActive,
      provider: d.provider ?? null,
      externalId: d.externalId ?? null,
    };
    const current = state.exam(d.examId);
    if (current && sameExam(current, exam)) return { kind: 'noop' };
    state.putExam(exam);
    return { kind: 'applied' };
  }

  private createAttempt(state: BatchState, c: CommandOfType<'CreateAttempt'>, cause: Cause, now: Date): Outcome {
    const d = c.data;
    const exam = state.exam(d.examId);
    if (!exam) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const existing = state.attemptFor(d.examId, d.userId) ?? null;
    const created = createAttempt({
      exam,
      userId: d.userId,
      takingAsProctored: d.takingAsProctored,
      externalId: d.externalId ?? null,
      additionalTimeMins: d.additionalTimeMins,
      existing,
      id: this.newId(),
      attemptCode: this.newId().toUpperCase(),
    });
    if (!created.ok) return reject('ATTEMPT_ALREADY_EXISTS', 'an attempt already exists for this exam and learner');
    if (created.value.replaced && existing) this.archive(state, existing, exam, 'replaced', cause, now);
    const attempt: StoredAttempt = { ...created.value.attempt, username: d.user.username, email: d.user.email, createdAt: now };
    this.insertNew(state, attempt, exam, cause, now);
    return { kind: 'applied' };
  }

  private updateStatus(state: BatchState, c: CommandOfType<'UpdateAttemptStatus'>, cause: Cause, now: Date): Outcome {
    const d = c.data;
    if (d.examId !== undefined && !state.exam(d.examId)) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const candidates: (StoredAttempt | undefined)[] = [];
    if (d.attemptId !== undefined) candidates.push(state.attemptById(d.attemptId.toLowerCase()));
    if (d.attemptCode !== undefined) candidates.push(state.attemptByCode(d.attemptCode));
    if (d.examId !== undefined && d.userId !== undefined) candidates.push(state.attemptFor(d.examId, d.userId));
    if (d.userId !== undefined && d.examId === undefined) {
      // a userId without examId only constrains the attempt named otherwise
      const named = candidates[0];
      if (named && named.userId !== d.userId) return reject('ATTEMPT_NOT_FOUND', 'the given fields name different attempts');
    }
    const attempt = candidates[0];
    // an examId given beside attemptId/attemptCode (without userId) must name the same attempt too
    if (!attempt || candidates.some((a) => a?.id !== attempt.id) || (d.examId !== undefined && attempt.examId !== d.examId)) {
      return reject('ATTEMPT_NOT_FOUND', 'no attempt matches the given attempt reference');
    }
    const result = this.changeStatus(state, attempt, d.toStatus, { cause, now, cascade: true, cascadeFrom: null, reason: d.reason ?? null });
    if (!result.ok) return rejectionOf(result.error);
    return { kind: result.value };
  }

  private removeAttempt(state: BatchState, c: CommandOfType<'RemoveAttempt'>, cause: Cause, now: Date): Outcome {
    const d = c.data;
    if (d.examId !== undefined && !state.exam(d.examId)) return reject('EXAM_NOT_FOUND', 'the exam is not registered');
    const candidates: (StoredAttempt | undefined)[] = [];
    if (d.attemptId !== undefined) candidates.push(state.attemptById(d.attemptId.toLowerCase()));
    if (d.examId !== undefined && d.userId !== undefined) candidates.push(state.attemptFor(d.examId, d.userId));
    const attempt = candidates[0];
    if (
      !attempt ||
      candidates.some((a) => a?.id !== attempt.id) ||
      (d.userId !== undefined && attempt.userId !== d.userId) ||
      (d.examId !== undefined && attempt.examId !== d.examId)
    ) {
      return reject('ATTEMPT_NOT_FOUND', 'no attempt matches the given attempt reference');
    }
    const exam = state.exam(attempt.examId);
    if (!exam) throw new Error(`exam ${attempt.examId} of attempt ${attempt.id} is not loaded`);
    this.archive(state, attempt, exam, 'removed', cause, now);
    if (removalEffects(attempt).removesCredit) this.deps.events.creditRemoved(state, attempt, exam, cause, now);
    return { kind: 'applied' };
  }

  private applyTimeout(state: BatchState, input: Extract<CommandInput, { kind: 'timeout' }>, now: Date): Outcome {
    const attempt = state.attemptById(input.attemptId);
    if (!attempt || !isExpired(attempt, now)) return { kind: 'not-expired' };
    const cause: Cause = { type: 'sweeper', id: input.sweepId, correlationId: input.sweepId };
    const expiredAt = expiresAt(attempt) ?? now;
    const result = this.changeStatus(state, attempt, 'timed_out', { cause, now, cascade: true, cascadeFrom: null, expiredAt });
    return result.ok && result.value === 'applied' ? { kind: 'timed-out' } : { kind: 'not-expired' };
  }

  // ---- the one path every status change takes ------------------------------------------------

  private changeStatus(
    state: BatchState,
    attempt: StoredAttempt,
    requested: string,
    o: { cause: Cause; now: Date; cascade: boolean; cascadeFrom: string | null; expiredAt?: Date; reason?: string | null },
  ): { ok: true; value: 'applied' | 'noop' } | { ok: false; error: TransitionRejection } {
    const exam = state.exam(attempt.examId);
    if (!exam) throw new Error(`exam ${attempt.examId} of attempt ${attempt.id} is not loaded`);
    const policy = policyFor(this.deps.providers, exam.provider);
    const decision = changeStatus(attempt, requested, { policy, now: o.now, cascade: o.cascade, expiredAt: o.expiredAt });
    if (!decision.ok) return decision;
    const change = decision.value;
    if (change.kind === 'noop') return { ok: true, value: 'noop' };

    const after: StoredAttempt = { ...attempt, ...change.attempt };
    state.updateAttempt(after);
    state.transitions.push({
      attemptId: after.id,
      version: after.version,
      fromStatus: change.from,
      toStatus: change.to,
      requestedStatus: change.requested,
      causeType: o.cause.type,
      causeId: o.cause.id,
      cascadeFromAttemptId: o.cascadeFrom,
      reason: o.reason ?? null,
      occurredAt: o.now,
    });
    this.deps.events.statusChanged(state, attempt, change, after, exam, o.cause, o.now, o.cascadeFrom);
    if (change.credit) this.deps.events.creditUpdated(state, after, exam, change.credit, o.cause, o.now);
    if (change.cascades) this.cascade(state, after, exam, o.cause, o.now);
    return { ok: true, value: 'applied' };
  }

  private cascade(state: BatchState, trigger: StoredAttempt, triggerExam: Exam, cause: Cause, now: Date): void {
    const steps = planCascade({
      triggerExam,
      courseExams: state.courseExams(triggerExam.courseId),
      learnerAttempts: state.attemptsOfUser(trigger.userId),
      now,
    });
    for (const step of steps) {
      switch (step.kind) {
        case 'time-out': {
          const current = state.attemptById(step.attempt.id);
          if (current) this.changeStatus(state, current, 'timed_out', { cause, now, cascade: true, cascadeFrom: null, expiredAt: step.expiredAt });
          break;
        }
        case 'decline': {
          const current = state.attemptById(step.attempt.id);
          if (current) this.changeStatus(state, current, 'declined', { cause, now, cascade: false, cascadeFrom: trigger.id });
          break;
        }
        case 'create-and-decline': {
          const created = createAttempt({
            exam: step.exam,
            userId: trigger.userId,
            takingAsProctored: false,
            existing: null,
            id: this.newId(),
            attemptCode: this.newId().toUpperCase(),
          });
          if (!created.ok) break; // cannot happen: the plan only creates where no attempt exists
          const attempt: StoredAttempt = { ...created.value.attempt, username: trigger.username, email: trigger.email, createdAt: now };
          this.insertNew(state, attempt, step.exam, cause, now);
          this.changeStatus(state, attempt, 'declined', { cause, now, cascade: false, cascadeFrom: trigger.id });
          break;
        }
      }
    }
  }

  private insertNew(state: BatchState, attempt: StoredAttempt, exam: Exam, cause: Cause, now: Date): void {
    state.insertAttempt(attempt);
    state.transitions.push({
      attemptId: attempt.id,
      version: attempt.version,
      fromStatus: null,
      toStatus: attempt.status,
      requestedStatus: attempt.status,
      causeType: cause.type,
      causeId: cause.id,
      cascadeFromAttemptId: null,
      reason: null,
      occurredAt: now,
    });
    this.deps.events.attemptCreated(state, attempt, exam, cause, now);
  }

  private archive(state: BatchState, attempt: StoredAttempt, exam: Exam, reason: 'removed' | 'replaced', cause: Cause, now: Date): void {
    state.history.push({ attempt, archivedAt: now, reason, archivedBy: cause.id });
    state.deleteAttempt(attempt.id);
    this.deps.events.attemptRemoved(state, attempt, exam, reason, cause, now);
  }
}

function idOf(input: CommandInput): { source: string; id: string } | null {
  if (input.kind === 'command') return { source: input.command.source, id: input.command.id };
  if (input.kind === 'invalid') return { source: input.source, id: input.id };
  return null;
}

function rejectionOf(r: TransitionRejection): Rejection {
  switch (r.code) {
    case 'INVALID_STATUS':
      return reject('INVALID_STATUS', 'toStatus is not a valid attempt status');
    case 'ILLEGAL_TRANSITION':
      return reject('ILLEGAL_TRANSITION', `a status transition from ${r.from} to ${r.to} is not allowed`);
  }
}

/** The stand-in for an input the database refused: rejected as invalid, or dead-lettered without its payload. */
function asRefused(input: CommandInput): CommandInput {
  const message = 'the message contains a value the database cannot store';
  switch (input.kind) {
    case 'command':
      return {
        kind: 'invalid',
        id: input.command.id,
        source: input.command.source,
        type: input.command.type,
        correlationId: input.command.correlationid ?? input.command.id,
        reason: 'INVALID_MESSAGE',
        message,
        key: null,
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

function sameExam(a: Exam, b: Exam): boolean {
  return (
    a.courseId === b.courseId &&
    a.contentId === b.contentId &&
    a.examName === b.examName &&
    a.courseName === b.courseName &&
    a.timeLimitMins === b.timeLimitMins &&
    a.isProctored === b.isProctored &&
    a.isPracticeExam === b.isPracticeExam &&
    a.isActive === b.isActive &&
    a.provider === b.provider &&
    a.externalId === b.externalId
  );
}
