import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseCommand, type Command, type CommandOfType, type RejectionReason } from '../../libs/contracts/src';
import {
  createAttempt,
  decideReview,
  hasProvider,
  matchAttempt,
  parseProvidersConfig,
  planStatusChange,
  removalEffects,
  reviewPolicyFor,
  standardReviewStatus,
  type Attempt,
  type ChangePlan,
  type Exam,
  type ProvidersConfig,
  type TransitionRejection,
} from '../../libs/domain/src';
import { requestOf } from '../../apps/attempt-service/src/application/commands/create-attempt.handler';
import { examOf } from '../../apps/attempt-service/src/application/commands/register-exam.handler';

/**
 * The one reference of the attempt-service's behaviour for the tests, computed without Kafka or
 * PostgreSQL: commands applied one at a time, in order, through libs/domain (`planStatusChange`,
 * `matchAttempt`, `createAttempt`, `removalEffects`) exactly like the handlers apply them — inbox claim
 * by (source, id), rejections, no-ops, sample-attempt replacement, removal, cascades.
 *
 * The fault suite feeds it the same raw message values the publishers sent (`accept`, parsed by
 * libs/contracts' `parseCommand` as the consumer does), in per-key publish order; exams are registered
 * (and processed) before any learner command, and a learner's commands all share one key, so any
 * interleaving the service sees across keys gives the same result. The concurrency suite feeds it
 * typed commands (`apply`) and compares each command's events, in order.
 *
 * Attempt ids differ between the service and the model, so everything is compared by (examId, userId):
 * the attempt's status, version and takingAsProctored, and the multiset of events each command caused,
 * described by type, causationid, exam/user and the essential payload (`EventDescriptor`).
 */

/** A command as `apply` takes it (attempts addressed by examId and userId only). */
export type ModelCommand =
  | { type: 'CreateAttempt'; id: string; examId: string; userId: string; takingAsProctored: boolean }
  | { type: 'UpdateAttemptStatus'; id: string; examId: string; userId: string; toStatus: string }
  | { type: 'RemoveAttempt'; id: string; examId: string; userId: string };

export interface ModelOutcome {
  outcome: 'applied' | 'noop' | 'rejected';
  reason?: string;
  /** event types the command emits, in order, its outcome event last. */
  events: string[];
}

export function loadProviders(path = 'config/providers.json'): ProvidersConfig {
  const parsed = parseProvidersConfig(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.ok) throw new Error(parsed.error.join('\n'));
  return parsed.value;
}

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

/** The source of the commands `apply` builds. */
const MODEL_SOURCE = 'urn:proctoring:reference-model';

export class ReferenceModel {
  private readonly exams = new Map<string, Exam>();
  /** the live attempts by (examId, userId), indexed by learner, id and code (the soak feeds it millions) */
  private readonly live = new LiveAttempts();
  private readonly claimed = new Set<string>();
  /** learners retired so far (SPEC §8.3) */
  private readonly retired = new Set<string>();
  /** attempts (by id) with a stored review */
  private readonly reviewed = new Set<string>();
  private nextId = 0;
  /** the types of the events of the command being applied, in order */
  private emitted: string[] = [];

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

  /** `exams`: registered already (the fault suite registers its exams through `accept` instead). */
  constructor(
    exams: readonly Exam[],
    private readonly providers: ProvidersConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {
    for (const e of exams) this.exams.set(e.examId, e);
  }

  /**
   * Applies one message value as the consumer would see it; returns its outcome. The Kafka key's
   * content plays no part (SPEC §3: the service never relies on it); only whether the key or the
   * headers were over their bounds (SPEC §8.5: then a readable command is dead-lettered and rejected
   * INVALID_MESSAGE, an unreadable one only dead-lettered).
   */
  accept(value: Buffer | string | null, o: { overBound?: boolean } = {}): RefOutcome {
    const bytes = value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
    const parsed = parseCommand(bytes);
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
      case 'ok':
        return this.acceptCommand(parsed.command);
    }
  }

  /** Applies a typed command; returns its outcome and the types of its events, in order. */
  apply(m: ModelCommand): ModelOutcome {
    const data =
      m.type === 'CreateAttempt'
        ? { examId: m.examId, userId: m.userId, user: { username: m.userId, email: 'model@example.test' }, takingAsProctored: m.takingAsProctored }
        : m.type === 'UpdateAttemptStatus'
          ? { examId: m.examId, userId: m.userId, toStatus: m.toStatus }
          : { examId: m.examId, userId: m.userId };
    const command = { specversion: '1.0', id: m.id, source: MODEL_SOURCE, type: m.type, data } as Command;
    this.emitted = [];
    const r = this.acceptCommand(command);
    const events = this.emitted;
    switch (r.kind) {
      case 'applied':
      case 'noop':
        return { outcome: r.kind, events };
      case 'rejected':
        return { outcome: 'rejected', reason: r.reason, events };
      case 'duplicate':
      case 'dead-lettered':
        throw new Error(`reference: command ${m.id} was not applied (${r.kind})`);
    }
  }

  /** The live attempts, by (examId, userId). */
  state(): Map<string, RefStateEntry> {
    const out = new Map<string, RefStateEntry>();
    for (const [k, a] of this.live) {
      out.set(k, { examId: a.examId, userId: a.userId, status: a.status, version: a.version, takingAsProctored: a.takingAsProctored });
    }
    return out;
  }

  /** The live attempts, by learner and exam. */
  get attempts(): Map<string, Map<string, Attempt>> {
    const out = new Map<string, Map<string, Attempt>>();
    for (const a of this.live.values()) {
      let mine = out.get(a.userId);
      if (!mine) out.set(a.userId, (mine = new Map()));
      mine.set(a.examId, a);
    }
    return out;
  }

  attempt(examId: string, userId: string): Attempt | undefined {
    return this.live.get(pairKey(examId, userId));
  }

  exam(examId: string): Exam | undefined {
    return this.exams.get(examId);
  }

  /** The exam id of a credit event's (courseId, name = contentId). */
  examIdByContent(courseId: string, contentId: string): string | undefined {
    for (const e of this.exams.values()) if (e.courseId === courseId && e.contentId === contentId) return e.examId;
    return undefined;
  }

  // ---- the use case and its handlers, mirrored ---------------------------------------------

  private acceptCommand(c: Command): RefOutcome {
    if (!this.claim(c.source, c.id)) return this.duplicate();
    const outcome = this.applyCommand(c, this.clock());
    if (outcome.kind === 'rejected') {
      this.outcome(c.id, describe('CommandRejected', c.id, '', '', `${c.type}:${outcome.reason}`));
      this.counts.rejected++;
    } else if (outcome.kind === 'applied' || outcome.kind === 'noop') {
      this.outcome(c.id, describe('CommandProcessed', c.id, '', '', `${c.type}:${outcome.kind}`));
      this.counts[outcome.kind]++;
    }
    return outcome;
  }

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
    this.emitted.push(d.slice(0, d.indexOf('|')));
    this.expectedEvents.set(d, (this.expectedEvents.get(d) ?? 0) + 1);
  }

  private applyCommand(c: Command, now: Date): RefOutcome {
    switch (c.type) {
      case 'RegisterExam':
        return this.registerExam(c);
      case 'CreateAttempt':
        return this.createAttempt(c);
      case 'UpdateAttemptStatus':
        return this.updateStatus(c, now);
      case 'RemoveAttempt':
        return this.removeAttempt(c);
      case 'RetireLearner':
        return this.retireLearner(c);
      case 'GrantAllowance':
      case 'RemoveAllowance':
        // the fault workload (test/faults/workload.ts) publishes no allowances
        throw new Error(`the reference model does not model ${c.type}`);
      case 'RecordReview':
        return this.recordReview(c, now);
    }
  }

  /** SPEC §8.3: LearnerRetired once per learner (the stored identity is not modelled). */
  private retireLearner(c: CommandOfType<'RetireLearner'>): RefOutcome {
    const { userId } = c.data;
    if (this.retired.has(userId)) return { kind: 'noop', commandType: c.type };
    this.retired.add(userId);
    this.expect(describe('LearnerRetired', c.id, '', '', JSON.stringify({ userId }).slice(0, 80)));
    return { kind: 'applied', commandType: c.type };
  }

  private reject(commandType: string, reason: RejectionReason): RefOutcome {
    return { kind: 'rejected', commandType, reason };
  }

  private registerExam(c: CommandOfType<'RegisterExam'>): RefOutcome {
    const d = c.data;
    if (d.provider !== undefined && !hasProvider(this.providers, d.provider)) return this.reject(c.type, 'UNKNOWN_PROVIDER');
    const holder = [...this.exams.values()].find((e) => e.courseId === d.courseId && e.contentId === d.contentId);
    if (holder && holder.examId !== d.examId) return this.reject(c.type, 'EXAM_CONFLICT');
    const exam = examOf(d);
    const current = this.exams.get(d.examId);
    if (current && JSON.stringify(current) === JSON.stringify(exam)) return { kind: 'noop', commandType: c.type };
    this.exams.set(d.examId, exam);
    return { kind: 'applied', commandType: c.type };
  }

  private createAttempt(c: CommandOfType<'CreateAttempt'>): RefOutcome {
    const d = c.data;
    const exam = this.exams.get(d.examId);
    if (!exam) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const existing = this.live.get(pairKey(d.examId, d.userId)) ?? null;
    const created = createAttempt({ ...requestOf(d), exam, existing, id: this.newId('attempt'), attemptCode: this.newId('CODE') });
    if (!created.ok) return this.reject(c.type, 'ATTEMPT_ALREADY_EXISTS');
    if (created.value.replaced && existing) this.archive(existing, exam, 'replaced', c.id);
    this.insertNew(created.value.attempt, c.id);
    return { kind: 'applied', commandType: c.type };
  }

  private updateStatus(c: CommandOfType<'UpdateAttemptStatus'>, now: Date): RefOutcome {
    const d = c.data;
    if (d.examId !== undefined && !this.exams.has(d.examId)) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const attempt = matchAttempt(d, this.lookup);
    if (!attempt) return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    const exam = this.examOf(attempt);
    const plan = planStatusChange(attempt, exam, d.toStatus, {
      providers: this.providers,
      now,
      courseExams: (courseId) => [...this.exams.values()].filter((e) => e.courseId === courseId),
      learnerAttempts: (userId) => this.live.ofUser(userId),
      newAttemptIds: () => ({ id: this.newId('attempt'), attemptCode: this.newId('CODE') }),
    });
    if (!plan.ok) return this.reject(c.type, rejectionCode(plan.error));
    if (plan.value.kind === 'noop') return { kind: 'noop', commandType: c.type };
    this.store(plan.value, c.id);
    return { kind: 'applied', commandType: c.type };
  }

  /**
   * A review from the commands topic (the only one the fault suite publishes to): a staff second review
   * (reviewedBy) or FORBIDDEN; then SPEC §8.1 rules 1–5 through libs/domain, as the handler. Archived
   * attempts are not tracked by code: the publishers never learn the service's attempt codes, so a code
   * they send names no attempt anyway (ATTEMPT_NOT_FOUND either way).
   */
  private recordReview(c: CommandOfType<'RecordReview'>, now: Date): RefOutcome {
    const d = c.data;
    if (d.reviewedBy === undefined) return this.reject(c.type, 'FORBIDDEN');
    const standard = standardReviewStatus(d.reviewStatus);
    if (standard === null) return this.reject(c.type, 'INVALID_REVIEW_STATUS');
    const attempt = this.lookup.byCode(d.attemptCode);
    if (!attempt) return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    const exam = this.examOf(attempt);
    const decision = decideReview(
      { kind: 'live', provider: exam.provider, takingAsProctored: attempt.takingAsProctored, isProctored: exam.isProctored, hasReview: this.reviewed.has(attempt.id) },
      { status: standard, reviewedBy: true, provider: null },
      reviewPolicyFor(this.providers, exam.provider),
    );
    if (!decision.ok) return this.reject(c.type, decision.rejection.code);
    const plan = decision.status === null ? null : planStatusChange(attempt, exam, decision.status, this.planContext(now));
    if (plan && !plan.ok) return this.reject(c.type, rejectionCode(plan.error));
    this.reviewed.add(attempt.id);
    const resulting = plan?.ok && plan.value.kind === 'changed' ? plan.value.trigger.change.to : decision.status;
    this.expect(describe('AttemptReviewed', c.id, attempt.examId, attempt.userId, `${standard}|${resulting ?? 'none'}|update${decision.isUpdate ? 1 : 0}`));
    if (plan?.ok && plan.value.kind === 'changed') this.store(plan.value, c.id);
    return { kind: 'applied', commandType: c.type };
  }

  private planContext(now: Date) {
    return {
      providers: this.providers,
      now,
      courseExams: (courseId: string) => [...this.exams.values()].filter((e) => e.courseId === courseId),
      learnerAttempts: (userId: string) => [...this.live.values()].filter((a) => a.userId === userId),
      newAttemptIds: () => ({ id: this.newId('attempt'), attemptCode: this.newId('CODE') }),
    };
  }

  private removeAttempt(c: CommandOfType<'RemoveAttempt'>): RefOutcome {
    const d = c.data;
    if (d.examId !== undefined && !this.exams.has(d.examId)) return this.reject(c.type, 'EXAM_NOT_FOUND');
    const attempt = matchAttempt(d, this.lookup);
    if (!attempt) return this.reject(c.type, 'ATTEMPT_NOT_FOUND');
    const exam = this.examOf(attempt);
    this.archive(attempt, exam, 'removed', c.id);
    if (removalEffects(attempt).removesCredit) {
      this.expect(describe('CredentialRequirementRemoved', c.id, attempt.examId, attempt.userId, ''));
    }
    return { kind: 'applied', commandType: c.type };
  }

  /** Every step of a plan, stored and expected in order. */
  private store(plan: ChangePlan, cause: string): void {
    for (const step of plan.steps) {
      if (step.kind === 'create') {
        this.insertNew(step.attempt, cause);
        continue;
      }
      const { change } = step;
      const current = this.live.get(pairKey(step.before.examId, step.before.userId));
      if (!current) throw new Error(`reference: attempt ${step.before.id} missing`);
      const after: RefAttempt = { ...current, ...change.attempt, transitions: current.transitions + 1 };
      this.live.set(pairKey(after.examId, after.userId), after);
      this.totalTransitions++;
      const d = describe(
        'AttemptStatusChanged',
        cause,
        after.examId,
        after.userId,
        `${change.from}>${change.to}|v${after.version}|tap${after.takingAsProctored ? 1 : 0}${step.cascadeFromAttemptId ? '|cascade' : ''}`,
      );
      this.expect(d);
      if (change.sendsEmail) this.emailEvents.set(d, (this.emailEvents.get(d) ?? 0) + 1);
      if (change.credit) {
        this.expect(describe('CredentialRequirementUpdated', cause, after.examId, after.userId, `${change.credit}|v${after.version}`));
      }
    }
  }

  private insertNew(attempt: Attempt, cause: string): void {
    const stored: RefAttempt = { ...attempt, transitions: 1 };
    this.live.set(pairKey(stored.examId, stored.userId), stored);
    this.totalTransitions++;
    this.expect(
      describe('AttemptCreated', cause, stored.examId, stored.userId, `${stored.status}|v${stored.version}|tap${stored.takingAsProctored ? 1 : 0}`),
    );
  }

  private archive(attempt: Attempt, exam: Exam, reason: 'removed' | 'replaced', cause: string): void {
    const k = pairKey(attempt.examId, attempt.userId);
    this.live.delete(k);
    this.history.set(k, (this.history.get(k) ?? 0) + 1);
    this.expect(describe('AttemptRemoved', cause, exam.examId, attempt.userId, `${reason}|${attempt.status}`));
  }

  private examOf(a: Attempt): Exam {
    const exam = this.exams.get(a.examId);
    if (!exam) throw new Error(`reference: exam ${a.examId} missing`);
    return exam;
  }

  private readonly lookup = {
    byId: (id: string) => this.live.byId(id),
    byCode: (code: string) => this.live.byCode(code),
    byExamAndUser: (examId: string, userId: string) => this.live.get(pairKey(examId, userId)),
  };

  /** Ids the publishers never learn (the service assigns its own), so they can never be addressed. */
  private newId(prefix: string): string {
    this.nextId++;
    return `reference-${prefix}-${this.nextId}`;
  }
}

function rejectionCode(r: TransitionRejection): RejectionReason {
  return r.code;
}

export { pairKey };

/**
 * The live attempts by (examId, userId) — a Map's get/set/delete/iteration — with indexes by learner,
 * id and code, so every lookup costs the same however many attempts a long run holds. A learner's
 * attempts come back in insertion order of their keys, as a Map's values would.
 */
class LiveAttempts {
  private readonly byKey = new Map<string, RefAttempt>();
  private readonly keysOfUser = new Map<string, Set<string>>();
  private readonly keyOfId = new Map<string, string>();
  private readonly keyOfCode = new Map<string, string>();

  get(k: string): RefAttempt | undefined {
    return this.byKey.get(k);
  }

  set(k: string, a: RefAttempt): this {
    const before = this.byKey.get(k);
    // an update keeps the key's place (as a Map does); a replacement re-indexes
    if (before && (before.id !== a.id || before.userId !== a.userId)) this.delete(k);
    this.byKey.set(k, a);
    let keys = this.keysOfUser.get(a.userId);
    if (!keys) this.keysOfUser.set(a.userId, (keys = new Set()));
    keys.add(k);
    this.keyOfId.set(a.id, k);
    this.keyOfCode.set(a.attemptCode, k);
    return this;
  }

  delete(k: string): boolean {
    const a = this.byKey.get(k);
    if (!a) return false;
    this.byKey.delete(k);
    this.keysOfUser.get(a.userId)?.delete(k);
    if (this.keyOfId.get(a.id) === k) this.keyOfId.delete(a.id);
    if (this.keyOfCode.get(a.attemptCode) === k) this.keyOfCode.delete(a.attemptCode);
    return true;
  }

  values(): IterableIterator<RefAttempt> {
    return this.byKey.values();
  }

  [Symbol.iterator](): IterableIterator<[string, RefAttempt]> {
    return this.byKey[Symbol.iterator]();
  }

  ofUser(userId: string): RefAttempt[] {
    const out: RefAttempt[] = [];
    for (const k of this.keysOfUser.get(userId) ?? []) {
      const a = this.byKey.get(k);
      if (a) out.push(a);
    }
    return out;
  }

  byId(id: string): RefAttempt | undefined {
    const k = this.keyOfId.get(id);
    return k === undefined ? undefined : this.byKey.get(k);
  }

  byCode(code: string): RefAttempt | undefined {
    const k = this.keyOfCode.get(code);
    return k === undefined ? undefined : this.byKey.get(k);
  }
}
