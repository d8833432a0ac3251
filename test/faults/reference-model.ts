import { createHash } from 'node:crypto';
import { parseCommand, type Command, type CommandOfType, type RejectionReason } from '../../libs/contracts/src';
import {
  changeStatus,
  createAttempt,
  hasProvider,
  planCascade,
  policyFor,
  removalEffects,
  type Attempt,
  type Exam,
  type ProvidersConfig,
  type StatusChange,
} from '../../libs/domain/src';

/**
 * The expected end state of a fault scenario, computed without Kafka or PostgreSQL: the same raw
 * message values the publishers sent, parsed by libs/contracts (`parseCommand`, as the consumer does)
 * and applied through libs/domain exactly like `ProcessCommandsUseCase` applies them — inbox claim by
 * (source, id), rejections, no-ops, sample-attempt replacement, removal, cascades. Messages are fed in
 * per-key publish order; exams are registered (and processed) before any learner command, and a
 * learner's commands all share one key, so any interleaving the service sees across keys gives the
 * same result.
 *
 * Attempt ids differ between the service and the model, so everything is compared by (examId, userId):
 * the attempt's status, version and takingAsProctored, and the multiset of events each command caused,
 * described by type, causationid, exam/user and the essential payload (`EventDescriptor`).
 */

/** One expected (or observed) event, reduced to what both sides agree on. */
export type EventDescriptor = string;

export type RefOutcome =
  | { kind: 'applied' | 'noop'; commandType: string }
  | { kind: 'rejected'; commandType: string; reason: RejectionReason }
  | { kind: 'duplicate' }
  | { kind: 'dead-lettered'; reason: string };

export interface RefAttempt extends Attempt {
  /** every stored transition of this attempt (creation included) — equals `version`. */
  transitions: number;
}

export interface RefStateEntry {
  examId: string;
  userId: string;
  status: string;
  version: number;
  takingAsProctored: boolean;
}

export interface ExpectedDeadLetter {
  /** sha1 of the value as published (an absent value hashes as empty). */
  valueHash: string;
  reason: string;
}

/** The learner-facing facts of an event, as one string. */
export function describe(
  type: string,
  causationId: string,
  examId: string,
  userId: string,
  detail: string,
): EventDescriptor {
  return `${type}|${causationId}|${examId}|${userId}|${detail}`;
}

export function hashValue(value: Buffer | string | null | undefined): string {
  const bytes = value === null || value === undefined ? Buffer.alloc(0) : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return createHash('sha1').update(bytes).digest('hex');
}

const pairKey = (examId: string, userId: string) => `${examId}\u0000${userId}`;

export class ReferenceModel {
  private readonly exams = new Map<string, Exam>();
  private readonly attempts = new Map<string, RefAttempt>();
  /** userId → the keys of that learner's live attempts (a cascade looks only at the learner's own). */
  private readonly attemptKeysByUser = new Map<string, Set<string>>();
  private readonly claimed = new Set<string>();
  private nextId = 0;

  /** Every event the service must publish, by descriptor (a multiset as a count map). */
  readonly expectedEvents = new Map<EventDescriptor, number>();
  /** Descriptors of the `AttemptStatusChanged` events that need the status email. */
  readonly emailEvents = new Map<EventDescriptor, number>();
  /** commandId → how many outcome events it must get (one per distinct (source, id) with that id). */
  readonly expectedOutcomes = new Map<string, number>();
  /** commandId → the outcome descriptors expected for it. */
  readonly outcomeDescriptors = new Map<string, EventDescriptor[]>();
  readonly deadLetters: ExpectedDeadLetter[] = [];
  /** Archived attempts (removed or replaced) per (examId, userId). */
  readonly history = new Map<string, number>();
  /** Transition rows written over the whole run (attempts removed since included). */
  totalTransitions = 0;
  /** Readable command ids claimed in the inbox. */
  claimedIds = 0;
  readonly counts = { applied: 0, noop: 0, rejected: 0, duplicate: 0, deadLettered: 0 };

  constructor(
    private readonly providers: ProvidersConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Applies one message value as the consumer would see it; returns its outcome. The Kafka key's
   * content plays no part (SPEC §3: the service never relies on it); only whether the key or the
   * headers were over their bounds (SPEC §8.5: then a readable command is dead-lettered and rejected
   * INVALID_MESSAGE, an unreadable one only dead-lettered).
   */
  accept(value: Buffer | string | null, o: { overBound?: boolean } = {}): RefOutcome {
    const bytes = value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
    const parsed = parseCommand(bytes);
    const now = this.clock();
    if (o.overBound && parsed.kind !== 'unreadable') {
      const id = parsed.kind === 'ok' ? parsed.command.id : parsed.id;
      const source = parsed.kind === 'ok' ? parsed.command.source : parsed.source;
      const type = parsed.kind === 'ok' ? parsed.command.type : parsed.type;
      if (!this.claim(source, id)) return this.duplicate();
      this.deadLetters.push({ valueHash: hashValue(bytes), reason: 'over bound' });
      this.outcome(id, describe('CommandRejected', id, '', '', `${type}:INVALID_MESSAGE`));
      this.counts.rejected++;
      return { kind: 'rejected', commandType: type, reason: 'INVALID_MESSAGE' };
    }
    switch (parsed.kind) {
      case 'unreadable':
        this.deadLetters.push({ valueHash: hashValue(bytes), reason: parsed.reason });
        this.counts.deadLettered++;
        return { kind: 'dead-lettered', reason: parsed.reason };
      case 'rejected': {
        if (!this.claim(parsed.source, parsed.id)) return this.duplicate();
        this.outcome(parsed.id, describe('CommandRejected', parsed.id, '', '', `${parsed.type}:${parsed.reason}`));
        this.counts.rejected++;
        return { kind: 'rejected', commandType: parsed.type, reason: parsed.reason };
      }
      case 'ok': {
        const c = parsed.command;
        if (!this.claim(c.source, c.id)) return this.duplicate();
        const outcome = this.applyCommand(c, now);
        if (outcome.kind === 'rejected') {
          this.outcome(c.id, describe('CommandRejected', c.id, '', '', `${c.type}:${outcome.reason}`));
          this.counts.rejected++;
        } else if (outcome.kind === 'applied' || outcome.kind === 'noop') {
          this.outcome(c.id, describe('CommandProcessed', c.id, '', '', `${c.type}:${outcome.kind}`));
          this.counts[outcome.kind]++;
        }
        return outcome;
      }
    }
  }

  /** The live attempts, by (examId, userId). */
  state(): Map<string, RefStateEntry> {
    const out = new Map<string, RefStateEntry>();
    for (const [k, a] of this.attempts) {
      out.set(k, { examId: a.examId, userId: a.userId, status: a.status, version: a.version, takingAsProctored: a.takingAsProctored });
    }
    return out;
  }

  exam(examId: string): Exam | undefined {
    return this.exams.get(examId);
  }

  /** The exam id of a credit event's (courseId, name = contentId). */
  examIdByContent(courseId: string, contentId: string): string | undefined {
    for (const e of this.exams.values()) if (e.courseId === courseId && e.contentId === contentId) return e.examId;
    return undefined;
  }

  // ---- the use case, mirrored -------------------------------------------------------------------


  private duplicate(): RefOutcome {
    this.counts.duplicate++;
    return { kind: 'duplicate' };
  }

  private claim(source: string, id: string): boolean {
    const k = `${source}\u0000${id}`;
    if (this.claimed.has(k)) return false;
    this.claimed.add(k);
    this.claimedIds++;
    this.expectedOutcomes.set(id, (this.expectedOutcomes.get(id) ?? 0) + 1);
    return true;
  }

  private outcome(commandId: string, d: EventDescriptor): void {
    this.expect(d);
    const list = this.outcomeDescriptors.get(commandId) ?? [];
    list.push(d);
    this.outcomeDescriptors.set(commandId, list);
  }

  private expect(d: EventDescriptor): void {
    this.expectedEvents.set(d, (this.expectedEvents.get(d) ?? 0) + 1);
  }

  private applyCommand(c: Command, now: Date): RefOutcome {
    switch (c.type) {
      case 'RegisterExam':
        return this.registerExam(c);
      case 'CreateAttempt':
        return this.createAttempt(c, now);
      case 'UpdateAttemptStatus':
        return this.updateStatus(c, now);
      case 'RemoveAttempt':
        return this.removeAttempt(c);
    }
  }

  private reject(commandType: string, reason: RejectionReason): RefOutcome {
    return { kind: 'rejected', commandType, reason };
  }

  private registerExam(c: CommandOfType<'RegisterExam'>): RefOutcome {
    const d = c.data;
    if (d.provider !== undefined && !hasProvider(this.providers, d.provider)) return this.reject(c.type, 'UNKNOWN_PROVIDER');
    const holder = [...this.exams.values()].find((e) => e.courseId === d.courseId && e.contentId === d.contentId);
    if (holder && holder.examId !== d.examId) return this.reject(c.type, 'EXAM_CONFLICT');
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
    const current = this.exams.get(d.examId);
    if (current && JSON.stringify(current) === JSON.stringify(exam)) return { kind: 'noop', commandType: c.type };
    this.exams.set(d.examId, exam);
    return { kind: 'applied', commandType: c.type };
  }

  private createAttempt(c: CommandOfType<'CreateAttempt'>, now: Date): RefOutcome {
    const d = c.data;
    const exam = this.exams.get(d.examId);
    if (!exam) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const existing = this.attempts.get(pairKey(d.examId, d.userId)) ?? null;
    const created = createAttempt({
      exam,
      userId: d.userId,
      takingAsProctored: d.takingAsProctored,
      externalId: d.externalId ?? null,
      additionalTimeMins: d.additionalTimeMins,
      existing,
      id: this.newId('attempt'),
      attemptCode: this.newId('CODE'),
    });
    if (!created.ok) return this.reject(c.type, 'ATTEMPT_ALREADY_EXISTS');
    if (created.value.replaced && existing) this.archive(existing, exam, 'replaced', c.id);
    this.insertNew({ ...created.value.attempt, transitions: 0 }, c.id);
    void now;
    return { kind: 'applied', commandType: c.type };
  }

  private updateStatus(c: CommandOfType<'UpdateAttemptStatus'>, now: Date): RefOutcome {
    const d = c.data;
    if (d.examId !== undefined && !this.exams.has(d.examId)) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const candidates: (RefAttempt | undefined)[] = [];
    if (d.attemptId !== undefined) candidates.push(this.byId(d.attemptId.toLowerCase()));
    if (d.attemptCode !== undefined) candidates.push(this.byCode(d.attemptCode));
    if (d.examId !== undefined && d.userId !== undefined) candidates.push(this.attempts.get(pairKey(d.examId, d.userId)));
    if (d.userId !== undefined && d.examId === undefined) {
      const named = candidates[0];
      if (named && named.userId !== d.userId) return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    }
    const attempt = candidates[0];
    if (!attempt || candidates.some((a) => a?.id !== attempt.id)) return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    const result = this.changeStatus(attempt, d.toStatus, { cause: c.id, now, cascade: true, cascadeFrom: null });
    if (!result.ok) return this.reject(c.type, result.code);
    return { kind: result.value, commandType: c.type };
  }

  private removeAttempt(c: CommandOfType<'RemoveAttempt'>): RefOutcome {
    const d = c.data;
    if (d.examId !== undefined && !this.exams.has(d.examId)) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const candidates: (RefAttempt | undefined)[] = [];
    if (d.attemptId !== undefined) candidates.push(this.byId(d.attemptId.toLowerCase()));
    if (d.examId !== undefined && d.userId !== undefined) candidates.push(this.attempts.get(pairKey(d.examId, d.userId)));
    const attempt = candidates[0];
    if (!attempt || candidates.some((a) => a?.id !== attempt.id) || (d.userId !== undefined && attempt.userId !== d.userId)) {
      return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    }
    const exam = this.exams.get(attempt.examId);
    if (!exam) throw new Error(`reference: exam ${attempt.examId} missing`);
    this.archive(attempt, exam, 'removed', c.id);
    if (removalEffects(attempt).removesCredit) {
      this.expect(describe('CredentialRequirementRemoved', c.id, attempt.examId, attempt.userId, ''));
    }
    return { kind: 'applied', commandType: c.type };
  }

  private changeStatus(
    attempt: RefAttempt,
    requested: string,
    o: { cause: string; now: Date; cascade: boolean; cascadeFrom: string | null; expiredAt?: Date },
  ): { ok: true; value: 'applied' | 'noop' } | { ok: false; code: 'INVALID_STATUS' | 'ILLEGAL_TRANSITION' } {
    const exam = this.exams.get(attempt.examId);
    if (!exam) throw new Error(`reference: exam ${attempt.examId} missing`);
    const policy = policyFor(this.providers, exam.provider);
    const decision = changeStatus(attempt, requested, { policy, now: o.now, cascade: o.cascade, expiredAt: o.expiredAt });
    if (!decision.ok) return { ok: false, code: decision.error.code };
    if (decision.value.kind === 'noop') return { ok: true, value: 'noop' };
    const change: StatusChange = decision.value;
    const after: RefAttempt = { ...attempt, ...change.attempt, transitions: attempt.transitions + 1 };
    this.store(after);
    this.totalTransitions++;
    const d = describe(
      'AttemptStatusChanged',
      o.cause,
      after.examId,
      after.userId,
      `${change.from}>${change.to}|v${after.version}|tap${after.takingAsProctored ? 1 : 0}${o.cascadeFrom ? '|cascade' : ''}`,
    );
    this.expect(d);
    if (change.sendsEmail) this.emailEvents.set(d, (this.emailEvents.get(d) ?? 0) + 1);
    if (change.credit) {
      this.expect(describe('CredentialRequirementUpdated', o.cause, after.examId, after.userId, `${change.credit}|v${after.version}`));
    }
    if (change.cascades) this.cascade(after, exam, o.cause, o.now);
    return { ok: true, value: 'applied' };
  }

  private cascade(trigger: RefAttempt, triggerExam: Exam, cause: string, now: Date): void {
    const steps = planCascade({
      triggerExam,
      courseExams: [...this.exams.values()].filter((e) => e.courseId === triggerExam.courseId),
      learnerAttempts: this.attemptsOf(trigger.userId),
      now,
    });
    for (const step of steps) {
      switch (step.kind) {
        case 'time-out': {
          const current = this.attemptsOf(trigger.userId).find((a) => a.id === step.attempt.id);
          if (current) this.changeStatus(current, 'timed_out', { cause, now, cascade: true, cascadeFrom: null, expiredAt: step.expiredAt });
          break;
        }
        case 'decline': {
          const current = this.attemptsOf(trigger.userId).find((a) => a.id === step.attempt.id);
          if (current) this.changeStatus(current, 'declined', { cause, now, cascade: false, cascadeFrom: trigger.id });
          break;
        }
        case 'create-and-decline': {
          const created = createAttempt({
            exam: step.exam,
            userId: trigger.userId,
            takingAsProctored: false,
            existing: null,
            id: this.newId('attempt'),
            attemptCode: this.newId('CODE'),
          });
          if (!created.ok) break;
          const attempt: RefAttempt = { ...created.value.attempt, transitions: 0 };
          this.insertNew(attempt, cause);
          this.changeStatus(this.attempts.get(pairKey(attempt.examId, attempt.userId)) ?? attempt, 'declined', {
            cause,
            now,
            cascade: false,
            cascadeFrom: trigger.id,
          });
          break;
        }
      }
    }
  }

  private insertNew(attempt: RefAttempt, cause: string): void {
    const stored: RefAttempt = { ...attempt, transitions: 1 };
    this.store(stored);
    this.totalTransitions++;
    this.expect(
      describe('AttemptCreated', cause, stored.examId, stored.userId, `${stored.status}|v${stored.version}|tap${stored.takingAsProctored ? 1 : 0}`),
    );
  }

  private archive(attempt: RefAttempt, exam: Exam, reason: 'removed' | 'replaced', cause: string): void {
    const k = pairKey(attempt.examId, attempt.userId);
    this.attempts.delete(k);
    this.attemptKeysByUser.get(attempt.userId)?.delete(k);
    this.history.set(k, (this.history.get(k) ?? 0) + 1);
    this.expect(describe('AttemptRemoved', cause, exam.examId, attempt.userId, `${reason}|${attempt.status}`));
  }

  private store(a: RefAttempt): void {
    const k = pairKey(a.examId, a.userId);
    this.attempts.set(k, a);
    let keys = this.attemptKeysByUser.get(a.userId);
    if (!keys) this.attemptKeysByUser.set(a.userId, (keys = new Set()));
    keys.add(k);
  }

  /** A learner's live attempts, in the order of `attempts` (insertion order of their keys). */
  private attemptsOf(userId: string): RefAttempt[] {
    const out: RefAttempt[] = [];
    for (const k of this.attemptKeysByUser.get(userId) ?? []) {
      const a = this.attempts.get(k);
      if (a) out.push(a);
    }
    return out;
  }

  private byId(id: string): RefAttempt | undefined {
    for (const a of this.attempts.values()) if (a.id === id) return a;
    return undefined;
  }

  private byCode(code: string): RefAttempt | undefined {
    for (const a of this.attempts.values()) if (a.attemptCode === code) return a;
    return undefined;
  }

  /** Ids the publishers never learn (the service assigns its own), so they can never be addressed. */
  private newId(prefix: string): string {
    this.nextId++;
    return `reference-${prefix}-${this.nextId}`;
  }
}

export { pairKey };
