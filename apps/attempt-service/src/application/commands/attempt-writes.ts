import {
  planTimeout,
  timeLimitEffect,
  type ChangePlan,
  type Exam,
  type PlanContext,
  type ProvidersConfig,
} from '../../../../../libs/domain/src';
import type { ArchiveReason } from '../../persistence/attempt-history.row';
import type { StoredAttempt } from '../../persistence/attempt.row';
import type { BatchUnit } from '../batch-unit';
import type { Cause, EventFactory } from '../event-factory';

/**
 * The writes and events of the domain's decisions, shared by the handlers: each stores what a decision
 * says and emits the events built from it, in SPEC §2 rule 6 order. Nothing is decided here.
 */
export interface WriteContext {
  batch: BatchUnit;
  events: EventFactory;
  cause: Cause;
}

/** What planStatusChange needs from the batch (read only when a change cascades). */
export function planContext(batch: BatchUnit, providers: ProvidersConfig, newId: () => string): PlanContext {
  return {
    providers,
    now: batch.now,
    courseExams: (courseId) => batch.courseExams(courseId),
    learnerAttempts: (userId) => batch.attemptsOfUser(userId),
    newAttemptIds: () => ({ id: newId(), attemptCode: newId().toUpperCase() }),
  };
}

/** Stores every step of a plan: changed attempts with their transitions, cascade creations, and their events. */
export function storePlan(w: WriteContext, plan: ChangePlan, reason: string | null): void {
  const { batch, events, cause } = w;
  for (const step of plan.steps) {
    if (step.kind === 'create') {
      // the new attempt's learner identity is the one of the attempt it cascaded from
      const from = batch.attemptById(step.cascadeFromAttemptId);
      if (!from) throw new Error(`attempt ${step.cascadeFromAttemptId} is not loaded`);
      storeNewAttempt(w, { ...step.attempt, username: from.username, email: from.email, createdAt: batch.now }, step.exam);
      continue;
    }
    const current = batch.attemptById(step.before.id);
    if (!current) throw new Error(`attempt ${step.before.id} is not loaded`);
    const { change } = step;
    const after: StoredAttempt = { ...current, ...change.attempt };
    batch.updateAttempt(after, {
      fromStatus: change.from,
      requestedStatus: change.requested,
      cause,
      cascadeFromAttemptId: step.cascadeFromAttemptId,
      // the command's reason belongs to the change it asked for, not to its cascade
      reason: step === plan.trigger ? reason : null,
    });
    batch.emit(events.statusChanged(current, change, after, step.exam, step.cascadeFromAttemptId), cause);
    if (change.credit) batch.emit(events.creditUpdated(after, step.exam, change.credit), cause);
  }
}

/** A new attempt, its creation transition and AttemptCreated. */
export function storeNewAttempt(w: WriteContext, attempt: StoredAttempt, exam: Exam): void {
  w.batch.insertAttempt(attempt, w.cause);
  w.batch.emit(w.events.attemptCreated(attempt, exam), w.cause);
}

/** An attempt archived and deleted, and AttemptRemoved. */
export function archiveAttempt(w: WriteContext, attempt: StoredAttempt, exam: Exam, reason: ArchiveReason): void {
  w.batch.archiveAttempt(attempt, reason, w.cause);
  w.batch.emit(w.events.attemptRemoved(attempt, exam, reason), w.cause);
}

/**
 * Recomputes the allowed time of the learner's attempt at `exam` after an allowance changed the
 * granted minutes (SPEC §8.2, libs/domain's timeLimitEffect): an attempt already expired is timed out
 * first (through the rules, with its cascade) and left alone; an incomplete one gets its new limit, a
 * new version and AttemptTimeLimitChanged; a completed one is not touched.
 */
export function storeTimeLimit(
  ctx: WriteContext & { providers: ProvidersConfig; newId: () => string },
  exam: Exam,
  userId: string,
  grantedMinutes: number | null,
): void {
  const { batch, events, cause } = ctx;
  const current = batch.attemptFor(exam.examId, userId) ?? null;
  if (!current) return;
  const effect = timeLimitEffect(current, exam.timeLimitMins, grantedMinutes, batch.now);
  switch (effect.kind) {
    case 'none':
      return;
    case 'time-out-first': {
      const plan = planTimeout(current, exam, planContext(batch, ctx.providers, ctx.newId));
      if (plan) storePlan(ctx, plan, null);
      return;
    }
    case 'change': {
      const after = { ...current, ...effect.attempt };
      batch.updateAttemptInPlace(after, cause, `allowance: allowed time ${effect.fromMins} → ${effect.toMins} minutes`);
      batch.emit(events.timeLimitChanged(after, effect.fromMins, effect.toMins, effect.expiresAt), cause);
      return;
    }
  }
}
