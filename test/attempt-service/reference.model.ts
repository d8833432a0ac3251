import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  changeStatus,
  createAttempt,
  parseProvidersConfig,
  planCascade,
  policyFor,
  removalEffects,
  type Attempt,
  type Exam,
  type ProvidersConfig,
} from '../../libs/domain/src';

/** A command as the model understands it (attempts addressed by examId and userId only). */
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

/**
 * A reference of the attempt-service's behaviour for one set of registered exams, written directly
 * on libs/domain (changeStatus, planCascade, createAttempt): commands applied one at a time, in order.
 */
export class ReferenceModel {
  /** userId → examId → attempt */
  readonly attempts = new Map<string, Map<string, Attempt>>();
  private readonly exams = new Map<string, Exam>();

  constructor(
    exams: Exam[],
    private readonly providers: ProvidersConfig,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const e of exams) this.exams.set(e.examId, e);
  }

  attempt(examId: string, userId: string): Attempt | undefined {
    return this.attempts.get(userId)?.get(examId);
  }

  private learner(userId: string): Map<string, Attempt> {
    let m = this.attempts.get(userId);
    if (!m) this.attempts.set(userId, (m = new Map<string, Attempt>()));
    return m;
  }

  apply(c: ModelCommand): ModelOutcome {
    const exam = this.exams.get(c.examId);
    if (!exam) return rejected('EXAM_NOT_FOUND');
    const mine = this.learner(c.userId);
    const events: string[] = [];
    switch (c.type) {
      case 'CreateAttempt': {
        const existing = mine.get(c.examId) ?? null;
        const created = createAttempt({
          exam,
          userId: c.userId,
          takingAsProctored: c.takingAsProctored,
          existing,
          id: randomUUID(),
          attemptCode: randomUUID().toUpperCase(),
        });
        if (!created.ok) return rejected('ATTEMPT_ALREADY_EXISTS');
        if (created.value.replaced) events.push('AttemptRemoved');
        mine.set(c.examId, created.value.attempt);
        events.push('AttemptCreated', 'CommandProcessed');
        return { outcome: 'applied', events };
      }
      case 'RemoveAttempt': {
        const a = mine.get(c.examId);
        if (!a) return rejected('ATTEMPT_NOT_FOUND');
        mine.delete(c.examId);
        events.push('AttemptRemoved');
        if (removalEffects(a).removesCredit) events.push('CredentialRequirementRemoved');
        events.push('CommandProcessed');
        return { outcome: 'applied', events };
      }
      case 'UpdateAttemptStatus': {
        const a = mine.get(c.examId);
        if (!a) return rejected('ATTEMPT_NOT_FOUND');
        const r = this.change(a, c.toStatus, true, events);
        if (r !== 'applied' && r !== 'noop') return rejected(r);
        events.push('CommandProcessed');
        return { outcome: r, events };
      }
    }
  }

  /** One change through the rules, with its cascade; events appended in SPEC §2 rule 6 order. */
  /** 'applied', 'noop', or the rejection code. */
  private change(a: Attempt, to: string, cascade: boolean, events: string[], expiredAt?: Date): string {
    const exam = this.exams.get(a.examId)!;
    const now = this.now();
    const d = changeStatus(a, to, { policy: policyFor(this.providers, exam.provider), now, cascade, expiredAt });
    if (!d.ok) return d.error.code;
    if (d.value.kind === 'noop') return 'noop';
    const after = d.value.attempt;
    this.learner(a.userId).set(a.examId, after);
    events.push('AttemptStatusChanged');
    if (d.value.credit) events.push('CredentialRequirementUpdated');
    if (d.value.cascades) {
      const steps = planCascade({
        triggerExam: exam,
        courseExams: [...this.exams.values()].filter((e) => e.courseId === exam.courseId),
        learnerAttempts: [...this.learner(a.userId).values()],
        now,
      });
      for (const step of steps) {
        switch (step.kind) {
          case 'time-out':
            this.change(step.attempt, 'timed_out', true, events, step.expiredAt);
            break;
          case 'decline':
            this.change(step.attempt, 'declined', false, events);
            break;
          case 'create-and-decline': {
            const created = createAttempt({
              exam: step.exam,
              userId: a.userId,
              takingAsProctored: false,
              existing: null,
              id: randomUUID(),
              attemptCode: randomUUID().toUpperCase(),
            });
            if (!created.ok) throw new Error('the plan creates only where no attempt exists');
            this.learner(a.userId).set(step.exam.examId, created.value.attempt);
            events.push('AttemptCreated');
            this.change(created.value.attempt, 'declined', false, events);
            break;
          }
        }
      }
    }
    return 'applied';
  }
}

function rejected(reason: string): ModelOutcome {
  return { outcome: 'rejected', reason, events: ['CommandRejected'] };
}
