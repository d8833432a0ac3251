import type { Attempt } from './attempt.model';
import { createAttempt } from './attempt-lifecycle';
import { planCascade } from './cascade';
import type { Exam } from './exam.model';
import { policyFor, type ProvidersConfig } from './policy';
import { ok, type Result } from './result';
import { expiredAt } from './timeout';
import { changeStatus, type StatusChange, type TransitionRejection } from './transition';

/** One stored status change of a plan: the attempt before it, the decision (the attempt after it included). */
export interface PlannedChange {
  kind: 'change';
  exam: Exam;
  before: Attempt;
  change: StatusChange;
  /** the attempt whose change cascaded to this decline; null for the trigger and for timeouts. */
  cascadeFromAttemptId: string | null;
}

/** An attempt a cascade creates (not taken as proctored) before declining it. */
export interface PlannedCreation {
  kind: 'create';
  exam: Exam;
  attempt: Attempt;
  /** the attempt whose change cascaded (the new attempt's learner identity is copied from it). */
  cascadeFromAttemptId: string;
}

export type PlannedStep = PlannedChange | PlannedCreation;

/**
 * Everything a stored status change implies, in the order SPEC §2 rule 6 gives its events: the
 * requested change first, then every step of its cascade (an expired attempt's timeout, with its own
 * cascade; a creation; a decline). Each change carries its credit effect and its email decision.
 */
export interface ChangePlan {
  kind: 'changed';
  /** the requested change (also `steps[0]`). */
  trigger: PlannedChange;
  steps: PlannedStep[];
}

export type StatusChangePlan = { kind: 'noop' } | ChangePlan;

export interface PlanContext {
  /** each attempt's rules come from its exam's provider. */
  providers: ProvidersConfig;
  /** the service's clock when the change is applied. */
  now: Date;
  /** the exams of a course (what a cascade may touch); asked only when a change cascades. */
  courseExams(courseId: string): readonly Exam[];
  /** a learner's live attempts as they were before this plan; asked only when a change cascades. */
  learnerAttempts(userId: string): readonly Attempt[];
  /** the id and attempt code (upper-case UUID) of an attempt a cascade creates, chosen by the caller. */
  newAttemptIds(): { id: string; attemptCode: string };
}

/**
 * SPEC §2 rules 1-6 for one requested change: the decision (changeStatus) and, when it cascades, the
 * cascade's steps applied one after the other to the learner's attempts as they are by then. Pure: the
 * caller stores the plan. A refusal of the requested change is the result; a cascade step the rules
 * refuse or find a no-op is left out.
 */
export function planStatusChange(
  attempt: Attempt,
  exam: Exam,
  requested: string,
  ctx: PlanContext,
  expiredAtTime?: Date,
): Result<StatusChangePlan, TransitionRejection> {
  const planner = new Planner(ctx);
  const trigger = planner.change(attempt, exam, requested, { cascade: true, cascadeFrom: null, expiredAt: expiredAtTime });
  if (!trigger.ok) return trigger;
  if (trigger.value === null) return ok({ kind: 'noop' });
  return ok({ kind: 'changed', trigger: trigger.value, steps: planner.steps });
}

/**
 * The timeout of an expired attempt (SPEC §2 "Timeouts"): `timed_out` through the rules, a resulting
 * `submitted` completed at the expiry time, with its cascade. null when the attempt has not expired.
 */
export function planTimeout(attempt: Attempt, exam: Exam, ctx: PlanContext): ChangePlan | null {
  const expiry = expiredAt(attempt, ctx.now);
  if (expiry === null) return null;
  const plan = planStatusChange(attempt, exam, 'timed_out', ctx, expiry);
  return plan.ok && plan.value.kind === 'changed' ? plan.value : null;
}

/** The steps so far, and the learner's attempts as the plan changes them (over the caller's). */
class Planner {
  readonly steps: PlannedStep[] = [];
  /** attempts this plan changed or created, by id, as they are now */
  private readonly changed = new Map<string, Attempt>();
  private readonly created: Attempt[] = [];

  constructor(private readonly ctx: PlanContext) {}

  /** The learner's attempts as they are at this point of the plan (the caller's order, then the created ones). */
  private attemptsOf(userId: string): Attempt[] {
    const now = (a: Attempt) => this.changed.get(a.id) ?? a;
    return [...this.ctx.learnerAttempts(userId).map(now), ...this.created.map(now)];
  }

  change(
    attempt: Attempt,
    exam: Exam,
    requested: string,
    o: { cascade: boolean; cascadeFrom: string | null; expiredAt?: Date },
  ): Result<PlannedChange | null, TransitionRejection> {
    const policy = policyFor(this.ctx.providers, exam.provider);
    const decision = changeStatus(attempt, requested, { policy, now: this.ctx.now, cascade: o.cascade, expiredAt: o.expiredAt });
    if (!decision.ok) return decision;
    if (decision.value.kind === 'noop') return ok(null);
    const change = decision.value;
    const step: PlannedChange = { kind: 'change', exam, before: attempt, change, cascadeFromAttemptId: o.cascadeFrom };
    this.changed.set(attempt.id, change.attempt);
    this.steps.push(step);
    if (change.cascades) this.cascade(change.attempt, exam);
    return ok(step);
  }

  private cascade(trigger: Attempt, triggerExam: Exam): void {
    const steps = planCascade({
      triggerExam,
      courseExams: this.ctx.courseExams(triggerExam.courseId),
      learnerAttempts: this.attemptsOf(trigger.userId),
      now: this.ctx.now,
    });
    for (const step of steps) {
      switch (step.kind) {
        case 'time-out': {
          const current = this.changed.get(step.attempt.id) ?? step.attempt;
          this.change(current, step.exam, 'timed_out', { cascade: true, cascadeFrom: null, expiredAt: step.expiredAt });
          break;
        }
        case 'decline': {
          const current = this.changed.get(step.attempt.id) ?? step.attempt;
          this.change(current, step.exam, 'declined', { cascade: false, cascadeFrom: trigger.id });
          break;
        }
        case 'create-and-decline': {
          const ids = this.ctx.newAttemptIds();
          const created = createAttempt({
            exam: step.exam,
            userId: trigger.userId,
            takingAsProctored: false,
            existing: null,
            id: ids.id,
            attemptCode: ids.attemptCode,
          });
          if (!created.ok) break; // cannot happen: the plan only creates where no attempt exists
          const attempt = created.value.attempt;
          this.created.push(attempt);
          this.steps.push({ kind: 'create', exam: step.exam, attempt, cascadeFromAttemptId: trigger.id });
          this.change(attempt, step.exam, 'declined', { cascade: false, cascadeFrom: trigger.id });
          break;
        }
      }
    }
  }
}
