import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import {
  buildCommand,
  CLOUDEVENTS_CONTENT_TYPE,
  commandMessage,
  validateEvent,
  type AttemptStatusChangedEvent,
} from '../../libs/contracts/src';
import {
  isIncomplete,
  isLegalTransition,
  needsStatusEmail,
  statusAlias,
  updatesCredit,
  type Status,
} from '../../libs/domain/src';

/** The publisher every bench command claims to come from ((source, id) is the idempotency key). */
export const BENCH_SOURCE = 'urn:proctoring:bench';

/**
 * The statuses the end-to-end load cycles through. All incomplete, so every change is legal
 * (incomplete → anything), none updates credit, cascades or sends email, and consecutive targets
 * differ, so every command is an applied change (same-status would be a no-op). A 3-cycle also stays
 * applied if two commands of one learner were ever swapped.
 */
export const STATUS_CYCLE: readonly Status[] = ['started', 'ready_to_submit', 'ready_to_start'];
const INITIAL: Status = 'created';

/** Fails fast if the cycle stops being a sequence of plain applied changes under libs/domain's rules. */
export function assertCycleIsApplied(): void {
  const steps: [Status, Status][] = [[INITIAL, STATUS_CYCLE[0]]];
  STATUS_CYCLE.forEach((s, i) => steps.push([s, STATUS_CYCLE[(i + 1) % STATUS_CYCLE.length]]));
  for (const [from, to] of steps) {
    const plain =
      from !== to &&
      isLegalTransition(from, to) &&
      isIncomplete(to) &&
      !updatesCredit(to) &&
      !needsStatusEmail(to);
    if (!plain) throw new Error(`bench status cycle: ${from} → ${to} is not a plain applied change`);
  }
}

export interface LearnerSet {
  count: number;
  exams: number;
  runId: string;
}

export const courseIdOf = (l: LearnerSet, exam: number) => `course-v1:Bench+B${exam}+${l.runId}`;
export const examIdOf = (l: LearnerSet, exam: number) => `bench-${l.runId}-exam-${exam}`;
export const userIdOf = (l: LearnerSet, learner: number) => `bench-${l.runId}-learner-${learner}`;
export const examOfLearner = (l: LearnerSet, learner: number) => learner % l.exams;

export interface OutgoingCommand {
  id: string;
  message: Message;
}

function outgoing(cmd: Parameters<typeof commandMessage>[0]): OutgoingCommand {
  const m = commandMessage(cmd);
  return { id: cmd.id, message: { key: m.key, value: m.value, headers: m.headers } };
}

export function registerExamCommands(l: LearnerSet): OutgoingCommand[] {
  return Array.from({ length: l.exams }, (_, e) =>
    outgoing(
      buildCommand(
        'RegisterExam',
        {
          examId: examIdOf(l, e),
          courseId: courseIdOf(l, e),
          contentId: `block-v1:Bench+B${e}+${l.runId}+type@sequential+block@final`,
          examName: `Bench final exam ${e}`,
          // long enough that the sweeper never times a started attempt out during a run
          timeLimitMins: 600,
          isProctored: true,
          isPracticeExam: false,
          isActive: true,
          courseName: `Bench course ${e}`,
          provider: 'proctortrack',
        },
        { source: BENCH_SOURCE },
      ),
    ),
  );
}

export function createAttemptCommands(l: LearnerSet): OutgoingCommand[] {
  return Array.from({ length: l.count }, (_, i) =>
    outgoing(
      buildCommand(
        'CreateAttempt',
        {
          examId: examIdOf(l, examOfLearner(l, i)),
          userId: userIdOf(l, i),
          user: { username: `bench_learner_${i}`, email: `learner${i}@bench.example.com` },
          takingAsProctored: true,
        },
        { source: BENCH_SOURCE },
      ),
    ),
  );
}

/**
 * The next status of each learner, round-robin over the learners: command k goes to learner
 * k mod count, so one learner's consecutive commands are `count` commands apart.
 */
export class StatusLoad {
  private readonly current: Status[];
  private next = 0;

  constructor(private readonly l: LearnerSet) {
    this.current = Array.from({ length: l.count }, () => INITIAL);
  }

  /** The next UpdateAttemptStatus command, stamped with `time` (the produce time). */
  nextCommand(time: Date = new Date()): OutgoingCommand {
    const learner = this.next;
    this.next = (this.next + 1) % this.l.count;
    const from = this.current[learner];
    const i = STATUS_CYCLE.indexOf(from);
    const to = STATUS_CYCLE[(i + 1) % STATUS_CYCLE.length];
    this.current[learner] = to;
    return outgoing(
      buildCommand(
        'UpdateAttemptStatus',
        {
          examId: examIdOf(this.l, examOfLearner(this.l, learner)),
          userId: userIdOf(this.l, learner),
          toStatus: to,
        },
        { source: BENCH_SOURCE, time },
      ),
    );
  }
}

/**
 * An `AttemptStatusChanged` that needs the status email (taken as proctored, not a sample attempt,
 * to `submitted`), as the attempt-service would publish it, for the notifier phase.
 */
export function emailWorthyEvent(runId: string, n: number): Message {
  const attemptId = randomUUID();
  const now = new Date().toISOString();
  const event: AttemptStatusChangedEvent = {
    specversion: '1.0',
    id: randomUUID(),
    source: 'urn:proctoring:attempt-service',
    type: 'AttemptStatusChanged',
    time: now,
    datacontenttype: 'application/json',
    subject: attemptId,
    causationid: `bench-${runId}-${n}`,
    correlationid: `bench-${runId}-${n}`,
    sequence: '2',
    data: {
      attemptId,
      attemptCode: randomUUID().toUpperCase(),
      examId: `bench-${runId}-exam-${n % 20}`,
      courseId: `course-v1:Bench+B${n % 20}+${runId}`,
      contentId: `block-v1:Bench+B${n % 20}+${runId}+type@sequential+block@final`,
      examName: `Bench final exam ${n % 20}`,
      courseName: `Bench course ${n % 20}`,
      provider: 'proctortrack',
      userId: `bench-${runId}-learner-${n}`,
      user: { username: `bench_learner_${n}`, email: `learner${n}@bench.example.com` },
      takingAsProctored: true,
      isSampleAttempt: false,
      isPracticeExam: false,
      isProctored: true,
      startedAt: now,
      completedAt: now,
      fromStatus: 'ready_to_submit',
      toStatus: 'submitted',
      requestedStatus: 'submitted',
      statusAlias: statusAlias('submitted'),
      version: 2,
    },
  };
  const checked = validateEvent(event);
  if (!checked.ok)
    throw new Error(`bench AttemptStatusChanged does not satisfy the contract: ${checked.errors.join('; ')}`);
  return {
    key: event.data.userId,
    value: JSON.stringify(event),
    headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
  };
}
