import { storedIdentity, type AllowanceKey, type AttemptLookup, type Exam, type StoredAllowances } from '../../../../libs/domain/src';
import type { AllowanceChange, StoredAllowance } from '../persistence/allowance.row';
import type { ArchiveReason, AttemptArchive } from '../persistence/attempt-history.row';
import type { AttemptTransition } from '../persistence/attempt-transition.row';
import type { StoredAttempt } from '../persistence/attempt.row';
import type { BatchWrites } from '../persistence/attempt-batch.repository';
import { keyScope } from '../persistence/event-key.row';
import type { NewOutboxRecord } from '../persistence/outbox-message.row';
import type { ReplacedReview, StoredReview } from '../persistence/review.row';

/** An archived attempt a review may name (SPEC §8.1 rule 1): what the review needs of it. */
export interface ArchivedAttemptRef {
  id: string;
  attemptCode: string;
  examId: string;
  userId: string;
}
import type { Cause, EventFactory, OutgoingEvent } from './event-factory';

interface AttemptEntry {
  attempt: StoredAttempt;
  inDb: boolean;
  dirty: boolean;
  deleted: boolean;
}

const pairKey = (examId: string, userId: string) => `${examId}\u0000${userId}`;

/**
 * The rows one batch of commands reads and writes, in memory while its commands are applied in order
 * (the in-memory repository the handlers work on), and the events they emit. Every row a command may
 * touch was locked (through its learner's event_key row) before it was loaded; `writes()` is what the
 * repository writes back. No SQL here; decisions are the domain's.
 */
export class BatchUnit {
  private readonly exams = new Map<string, { exam: Exam; dirty: boolean }>();
  private readonly attempts = new Map<string, AttemptEntry>();
  private readonly byPair = new Map<string, string>();
  private readonly byCode = new Map<string, string>();
  /** attempt ids per learner, so a learner's attempts are found without scanning the batch */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly sequences = new Map<string, bigint>();
  private readonly touchedScopes = new Set<string>();
  private readonly transitions: AttemptTransition[] = [];
  private readonly archives: AttemptArchive[] = [];
  private readonly outbox: NewOutboxRecord[] = [];
  /** learners retired before this batch (of those loaded) or by it */
  private readonly retired = new Set<string>();
  private readonly retirements: string[] = [];
  /** the allowances of the (exam, user) pairs loaded, by pair then key; a removed one is absent */
  private readonly allowanceRows = new Map<string, Map<AllowanceKey, { value: string; fromMultiplier: boolean }>>();
  /** the last state of each allowance changed, by pair and key: what the repository writes back */
  private readonly allowanceWrites = new Map<string, { examId: string; userId: string; key: AllowanceKey; row: { value: string; fromMultiplier: boolean } | null }>();
  private readonly allowanceHistory: AllowanceChange[] = [];
  private readonly archivedByCode = new Map<string, ArchivedAttemptRef>();
  /** the stored review of each attempt (by attempt id), and which were written by this batch */
  private readonly reviews = new Map<string, StoredReview>();
  private readonly dirtyReviews = new Set<string>();
  private readonly replacedReviews: ReplacedReview[] = [];

  constructor(
    private readonly events: EventFactory,
    readonly now: Date,
  ) {}

  // ---- loading -------------------------------------------------------------------------------

  /** The last `sequence` of each event_key scope the batch holds locked. */
  lockedScopes(sequences: ReadonlyMap<string, bigint>): void {
    for (const [key, seq] of sequences) this.sequences.set(key, seq);
  }

  hasScope(scope: string): boolean {
    return this.sequences.has(scope);
  }

  /** Rows read from the database (a row already held is kept as it is). */
  loaded(rows: {
    attempts: readonly StoredAttempt[];
    exams: readonly Exam[];
    retired?: readonly string[];
    allowances?: readonly StoredAllowance[]; allowancePairs?: readonly [string, string][];
  }): void {
    for (const userId of rows.retired ?? []) this.retired.add(userId);
    for (const [examId, userId] of rows.allowancePairs ?? []) {
      if (!this.allowanceRows.has(pairKey(examId, userId))) this.allowanceRows.set(pairKey(examId, userId), new Map());
    }
    for (const a of rows.allowances ?? []) {
      const rowsOfPair = this.allowanceRows.get(pairKey(a.examId, a.userId));
      // a pair already held keeps its rows as the batch changed them
      if (rowsOfPair && !this.allowanceWrites.has(`${pairKey(a.examId, a.userId)}\u0000${a.key}`) && !rowsOfPair.has(a.key)) {
        rowsOfPair.set(a.key, { value: a.value, fromMultiplier: a.fromMultiplier });
      }
    }
    for (const attempt of rows.attempts) {
      if (!this.attempts.has(attempt.id)) this.track({ attempt, inDb: true, dirty: false, deleted: false });
    }
    for (const exam of rows.exams) if (!this.exams.has(exam.examId)) this.exams.set(exam.examId, { exam, dirty: false });
  }

  /** Archived attempts and stored reviews of the attempt codes reviews in this batch name. */
  loadedReviews(rows: { archived: readonly ArchivedAttemptRef[]; reviews: readonly StoredReview[] }): void {
    for (const a of rows.archived) if (!this.archivedByCode.has(a.attemptCode)) this.archivedByCode.set(a.attemptCode, a);
    for (const r of rows.reviews) if (!this.reviews.has(r.attemptId)) this.reviews.set(r.attemptId, r);
  }

  // ---- reading -------------------------------------------------------------------------------

  /** The archived attempt with this code (loaded for a review), when none is live. */
  archivedAttempt(code: string): ArchivedAttemptRef | undefined {
    return this.archivedByCode.get(code);
  }

  /** The review stored for an attempt (live or archived). */
  review(attemptId: string): StoredReview | undefined {
    return this.reviews.get(attemptId);
  }

  exam(examId: string): Exam | undefined {
    return this.exams.get(examId)?.exam;
  }

  /** The exam of an attempt the batch holds (loaded with it, so always there). */
  examOf(attempt: StoredAttempt): Exam {
    const exam = this.exam(attempt.examId);
    if (!exam) throw new Error(`exam ${attempt.examId} of attempt ${attempt.id} is not loaded`);
    return exam;
  }

  examByContent(courseId: string, contentId: string): Exam | undefined {
    for (const { exam } of this.exams.values()) if (exam.courseId === courseId && exam.contentId === contentId) return exam;
    return undefined;
  }

  courseExams(courseId: string): Exam[] {
    return [...this.exams.values()].map((e) => e.exam).filter((e) => e.courseId === courseId);
  }

  attemptById(id: string): StoredAttempt | undefined {
    const e = this.attempts.get(id);
    return e && !e.deleted ? e.attempt : undefined;
  }

  attemptByCode(code: string): StoredAttempt | undefined {
    const id = this.byCode.get(code);
    return id ? this.attemptById(id) : undefined;
  }

  attemptFor(examId: string, userId: string): StoredAttempt | undefined {
    const id = this.byPair.get(pairKey(examId, userId));
    return id ? this.attemptById(id) : undefined;
  }

  attemptsOfUser(userId: string): StoredAttempt[] {
    const out: StoredAttempt[] = [];
    for (const id of this.byUser.get(userId) ?? []) {
      const e = this.attempts.get(id);
      if (e && !e.deleted) out.push(e.attempt);
    }
    return out;
  }

  /** Whether the learner is retired (SPEC §8.3): their user data is stored as the placeholders. */
  isRetired(userId: string): boolean {
    return this.retired.has(userId);
  }

  /** The live attempts, for the domain's attempt-reference matching. */
  readonly lookup: AttemptLookup<StoredAttempt> = {
    byId: (id) => this.attemptById(id),
    byCode: (code) => this.attemptByCode(code),
    byExamAndUser: (examId, userId) => this.attemptFor(examId, userId),
  };

  /** The allowances of a learner at an exam (loaded for commands whose target asks for them). */
  allowances(examId: string, userId: string): StoredAllowances {
    const rows = this.allowanceRows.get(pairKey(examId, userId));
    if (!rows) throw new Error(`the allowances of exam ${examId} and user ${userId} are not loaded`);
    return rows;
  }

  // ---- writing -------------------------------------------------------------------------------

  /** Upserts (row) or deletes (null) one allowance, and records the change in its history. */
  putAllowance(
    examId: string,
    userId: string,
    key: AllowanceKey,
    row: { value: string; fromMultiplier: boolean } | null,
    cause: Cause,
  ): void {
    const pair = pairKey(examId, userId);
    const rows = this.allowanceRows.get(pair);
    if (!rows) throw new Error(`the allowances of exam ${examId} and user ${userId} are not loaded`);
    const before = rows.get(key);
    if (row) rows.set(key, row);
    else rows.delete(key);
    this.allowanceWrites.set(`${pair}\u0000${key}`, { examId, userId, key, row });
    const recorded = row ?? before;
    this.allowanceHistory.push({
      examId,
      userId,
      key,
      action: row ? 'granted' : 'removed',
      value: recorded?.value ?? '',
      fromMultiplier: recorded?.fromMultiplier ?? false,
      causeType: cause.type,
      causeId: cause.id,
      occurredAt: this.now,
    });
  }

  /**
   * A change of an attempt that is not a status change (its allowed time): the attempt and a
   * transition row at the same status, so the history shows every version.
   */
  updateAttemptInPlace(attempt: StoredAttempt, cause: Cause, reason: string): void {
    this.updateAttempt(attempt, { fromStatus: attempt.status, requestedStatus: attempt.status, cause, cascadeFromAttemptId: null, reason });
  }

  putExam(exam: Exam): void {
    this.exams.set(exam.examId, { exam, dirty: true });
  }

  /** A new attempt, with its creation transition. */
  insertAttempt(attempt: StoredAttempt, cause: Cause): void {
    this.track({ attempt, inDb: false, dirty: true, deleted: false });
    this.transitions.push({
      attemptId: attempt.id,
      version: attempt.version,
      fromStatus: null,
      toStatus: attempt.status,
      requestedStatus: attempt.status,
      causeType: cause.type,
      causeId: cause.id,
      cascadeFromAttemptId: null,
      reason: null,
      occurredAt: this.now,
    });
  }

  /** A stored change of an attempt, with its transition. */
  updateAttempt(attempt: StoredAttempt, t: { fromStatus: string; requestedStatus: string; cause: Cause; cascadeFromAttemptId: string | null; reason: string | null }): void {
    const e = this.attempts.get(attempt.id);
    if (!e || e.deleted) throw new Error(`attempt ${attempt.id} is not loaded`);
    e.attempt = attempt;
    e.dirty = true;
    this.transitions.push({
      attemptId: attempt.id,
      version: attempt.version,
      fromStatus: t.fromStatus,
      toStatus: attempt.status,
      requestedStatus: t.requestedStatus,
      causeType: t.cause.type,
      causeId: t.cause.id,
      cascadeFromAttemptId: t.cascadeFromAttemptId,
      reason: t.reason,
      occurredAt: this.now,
    });
  }

  /** Archives an attempt to history and deletes it. */
  archiveAttempt(attempt: StoredAttempt, reason: ArchiveReason, cause: Cause): void {
    this.archives.push({ attempt, archivedAt: this.now, reason, archivedBy: cause.id });
    // a review later in the batch finds it archived (SPEC §8.1 rule 1), as it would in the next batch
    this.archivedByCode.set(attempt.attemptCode, { id: attempt.id, attemptCode: attempt.attemptCode, examId: attempt.examId, userId: attempt.userId });
    const e = this.attempts.get(attempt.id);
    if (!e) return;
    e.deleted = true;
    this.byPair.delete(pairKey(e.attempt.examId, e.attempt.userId));
    this.byCode.delete(e.attempt.attemptCode);
  }

  /**
   * Retires a learner: their attempts held in memory take the placeholders (so later commands of this
   * batch see them), and the repository scrubs every table for them after the batch's other writes
   * (LEARNER_SCRUBS in persistence/learner-scrub.ts).
   */
  retireLearner(userId: string): void {
    if (this.retired.has(userId)) return;
    this.retired.add(userId);
    this.retirements.push(userId);
    for (const id of this.byUser.get(userId) ?? []) {
      const e = this.attempts.get(id);
      if (e) e.attempt = { ...e.attempt, ...storedIdentity(e.attempt, true) };
    }
  }
  /** Stores a review of an attempt; the one it replaces (if any) moves to the review history. */
  putReview(review: StoredReview, cause: Cause): void {
    const previous = this.reviews.get(review.attemptId);
    if (previous) this.replacedReviews.push({ review: previous, replacedAt: this.now, replacedBy: cause.id });
    this.reviews.set(review.attemptId, review);
    this.dirtyReviews.add(review.attemptId);
  }

  // ---- events --------------------------------------------------------------------------------

  /** Numbers the event in its key's sequence (the one place `sequence` is assigned) and adds it to the outbox. */
  emit(event: OutgoingEvent, cause: Cause): void {
    const scope = keyScope(event.key);
    const current = this.sequences.get(scope);
    if (current === undefined) throw new Error(`scope ${scope} was not locked`);
    const next = current + 1n;
    this.sequences.set(scope, next);
    this.touchedScopes.add(scope);
    this.outbox.push(this.events.toOutboxRecord(event, next, cause, this.now));
  }

  /**
   * Copies the outbox rows emitted since `from` whose type is one of `types` to another topic: same
   * event id, key, sequence and value (SPEC §8.4: a provider's outcomes topic). Consumers dedupe by id.
   */
  copyEmitted(from: number, types: readonly string[], topic: string): void {
    const copies = this.outbox
      .slice(from)
      .filter((r) => types.includes(r.headers['ce-type'] ?? ''))
      .map((r) => ({ ...r, topic }));
    this.outbox.push(...copies);
  }

  /** A message for the commands DLQ: no sequence, no envelope. */
  deadLetter(record: NewOutboxRecord): void {
    this.outbox.push(record);
  }

  /** The events emitted so far, in order (for tests and logs). */
  get emitted(): readonly NewOutboxRecord[] {
    return this.outbox;
  }

  // ---- writing back --------------------------------------------------------------------------

  /** What the repository must write for this batch. */
  writes(): BatchWrites {
    const entries = [...this.attempts.values()];
    const sequences = new Map<string, bigint>();
    for (const scope of this.touchedScopes) sequences.set(scope, this.sequences.get(scope) ?? 0n);
    return {
      exams: [...this.exams.values()].filter((e) => e.dirty).map((e) => e.exam),
      archives: this.archives,
      deletes: entries.filter((e) => e.deleted && e.inDb).map((e) => e.attempt.id),
      inserts: entries.filter((e) => !e.inDb && !e.deleted).map((e) => e.attempt),
      updates: entries.filter((e) => e.inDb && e.dirty && !e.deleted).map((e) => e.attempt),
      transitions: this.transitions,
      reviews: [...this.dirtyReviews].map((id) => this.reviews.get(id)).filter((r): r is StoredReview => r !== undefined),
      replacedReviews: this.replacedReviews,
      outbox: this.outbox,
      sequences,
      retirements: this.retirements,
      allowances: [...this.allowanceWrites.values()],
      allowanceHistory: this.allowanceHistory,
      now: this.now,
    };
  }

  private track(e: AttemptEntry): void {
    this.attempts.set(e.attempt.id, e);
    this.byPair.set(pairKey(e.attempt.examId, e.attempt.userId), e.attempt.id);
    this.byCode.set(e.attempt.attemptCode, e.attempt.id);
    let ids = this.byUser.get(e.attempt.userId);
    if (!ids) this.byUser.set(e.attempt.userId, (ids = new Set()));
    ids.add(e.attempt.id);
  }
}
