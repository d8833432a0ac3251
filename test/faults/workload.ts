import { STATUSES } from '../../libs/domain/src';
import { MESSAGE_BOUNDS } from '../../libs/contracts/src/topics';
import { rng } from '../support/prng';

/**
 * Deterministic (seeded) command streams for the fault scenarios: a catalog of exams registered
 * first, then per learner a script of commands — valid ones, invalid ones, duplicate ids (same or
 * different payload), unknown types, unreadable values — all keyed by the learner's userId, so the
 * learner's commands stay in publish order on one partition. `interleave` merges the scripts into one
 * publish order that keeps every script's own order.
 */

/** One Kafka message as the suite publishes it. */
export interface OutMessage {
  key: string | Buffer | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer>;
}

export { rng };

export const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)];

export const SOURCE = 'urn:faults:lms';
export const OTHER_SOURCE = 'urn:faults:review-pipeline';

export function envelope(type: string, data: unknown, id: string, source = SOURCE): Record<string, unknown> {
  return {
    specversion: '1.0',
    id,
    source,
    type,
    time: '2025-11-25T10:00:00.000Z',
    datacontenttype: 'application/json',
    data,
  };
}

/** Whether a message's key or headers are over SPEC §8.5's bounds (counted as the broker carries them). */
export function overBound(m: OutMessage): boolean {
  const bytes = (v: string | Buffer) => (Buffer.isBuffer(v) ? v.length : Buffer.byteLength(v));
  if (m.key !== null && bytes(m.key) > MESSAGE_BOUNDS.keyBytes) return true;
  const headers = Object.entries(m.headers ?? {});
  const headerBytes = headers.reduce((n, [k, v]) => n + Buffer.byteLength(k) + bytes(v), 0);
  return headers.length > MESSAGE_BOUNDS.headerCount || headerBytes > MESSAGE_BOUNDS.headerBytes;
}

export function message(key: string | null, body: unknown): OutMessage {
  return { key, value: JSON.stringify(body), headers: { 'content-type': 'application/cloudevents+json' } };
}

// ---- exams ------------------------------------------------------------------------------------

export type ExamKind = 'final' | 'mid' | 'quiz' | 'practice' | 'timed' | 'retired';

export interface ExamSpec {
  examId: string;
  courseId: string;
  contentId: string;
  kind: ExamKind;
}

export interface Catalog {
  courses: { courseId: string; exams: ExamSpec[] }[];
  /** RegisterExam commands (and a few that must be rejected or be no-ops), keyed by courseId. */
  registrations: OutMessage[];
}

const EXAM_KINDS: {
  kind: ExamKind;
  provider: string | null;
  proctored: boolean;
  practice: boolean;
  active: boolean;
}[] = [
  { kind: 'final', provider: null, proctored: true, practice: false, active: true },
  { kind: 'mid', provider: 'software_secure', proctored: true, practice: false, active: true },
  { kind: 'quiz', provider: 'proctortrack', proctored: true, practice: false, active: true },
  { kind: 'practice', provider: null, proctored: true, practice: true, active: true },
  { kind: 'timed', provider: null, proctored: false, practice: false, active: true },
  { kind: 'retired', provider: null, proctored: true, practice: false, active: false },
];

const COURSE_NAMES = [
  'Fault Tolerance 101',
  'Física Cuántica — Ñandú',
  '分布式系统',
  'Ünïcödé & <Escapes> "101"',
  'Résilience',
];

export function examCatalog(tag: string, courseCount: number): Catalog {
  const courses: Catalog['courses'] = [];
  const registrations: OutMessage[] = [];
  let n = 0;
  const id = () => `${tag}-exam-cmd-${++n}`;
  for (let i = 0; i < courseCount; i++) {
    const courseId = `course-v1:Faults+C${i}+${tag}`;
    const exams: ExamSpec[] = [];
    EXAM_KINDS.forEach((k, j) => {
      const spec: ExamSpec = {
        examId: `${tag}-c${i}-${k.kind}`,
        courseId,
        contentId: `block-v1:c${i}+type@sequential+block@${j}-${k.kind}`,
        kind: k.kind,
      };
      exams.push(spec);
      const data = {
        examId: spec.examId,
        courseId,
        contentId: spec.contentId,
        examName: `${k.kind} exam ${i}`,
        timeLimitMins: 600 + 60 * j,
        isProctored: k.proctored,
        isPracticeExam: k.practice,
        isActive: k.active,
        courseName: COURSE_NAMES[i % COURSE_NAMES.length],
        ...(k.provider ? { provider: k.provider } : {}),
      };
      registrations.push(message(courseId, envelope('RegisterExam', data, id())));
      // The same registration again under a new id: a no-op. And the first one again: a duplicate.
      if (j === 0) {
        registrations.push(message(courseId, envelope('RegisterExam', data, id())));
        registrations.push(message(courseId, envelope('RegisterExam', data, `${tag}-exam-cmd-${n - 1}`)));
      }
    });
    // Another examId on a taken (courseId, contentId): EXAM_CONFLICT. An unknown provider: UNKNOWN_PROVIDER.
    registrations.push(
      message(
        courseId,
        envelope(
          'RegisterExam',
          {
            examId: `${tag}-c${i}-conflict`,
            courseId,
            contentId: exams[0].contentId,
            examName: 'conflict',
            timeLimitMins: 60,
            isProctored: true,
            isPracticeExam: false,
          },
          id(),
        ),
      ),
    );
    registrations.push(
      message(
        courseId,
        envelope(
          'RegisterExam',
          {
            examId: `${tag}-c${i}-nowhere`,
            courseId,
            contentId: 'block-nowhere',
            examName: 'nowhere',
            timeLimitMins: 60,
            isProctored: true,
            isPracticeExam: false,
            provider: 'no_such_provider',
          },
          id(),
        ),
      ),
    );
    courses.push({ courseId, exams });
  }
  return { courses, registrations };
}

// ---- learners ---------------------------------------------------------------------------------

/** The next statuses a real exam flow would ask for, from a (guessed) current status. */
const NEXT: Record<string, string[]> = {
  created: ['download_software_clicked', 'ready_to_start', 'started', 'started', 'declined'],
  download_software_clicked: ['ready_to_start', 'started'],
  ready_to_start: ['started', 'started', 'declined'],
  started: ['ready_to_submit', 'submitted', 'submitted', 'timed_out', 'error'],
  ready_to_submit: ['submitted', 'submitted', 'timed_out'],
  submitted: ['verified', 'verified', 'rejected', 'second_review_required', 'not_reviewed'],
  second_review_required: ['verified', 'rejected'],
  timed_out: ['submitted', 'verified'],
  error: ['error', 'started'],
  verified: ['rejected', 'verified'],
  rejected: ['verified', 'rejected'],
  declined: ['started', 'declined'],
  not_reviewed: ['verified'],
  eligible: ['created', 'started'],
};

const BAD_STATUSES = [
  'Verified',
  'VERIFIED',
  'verified ',
  'timed-out',
  'passed',
  'deleted',
  '💥',
  'submitted\u200b',
  'x'.repeat(64),
];

/** Review statuses of both vocabularies (SPEC §8.1). */
const REVIEW_STATUSES = ['passed', 'violation', 'suspicious', 'not_reviewed', 'Clean', 'Rules Violation', 'Suspicious', 'Not Reviewed'];

export interface LearnerOptions {
  tag: string;
  catalog: Catalog;
  learners: number;
  /** Total commands over all learners (approximately). */
  commands: number;
  seed: number;
  /** 0–1: how strongly to steer attempts towards emailed statuses (submitted, verified, rejected). */
  emailBias?: number;
  /** Called at some steps to put an extra (hostile) message on the learner's own key. */
  extra?: (ctx: LearnerContext) => OutMessage | null;
  /** Probability of calling `extra` at a step. */
  extraRate?: number;
  /**
   * Probability of a RecordReview at a step (default 0: no random draw, so other workloads are
   * unchanged). Reviews go to the commands topic: staff second reviews (reviewedBy), and some without
   * it (FORBIDDEN there) or with an unknown review status (INVALID_REVIEW_STATUS). Publishers never learn
   * the service's attempt codes, so the codes name no attempt (ATTEMPT_NOT_FOUND).
   */
  reviewRate?: number;
}

export interface LearnerContext {
  userId: string;
  exams: ExamSpec[];
  /** an id unique in the run, for a new command. */
  nextId: () => string;
  /** the learner's messages so far (for repeats). */
  sent: readonly OutMessage[];
  rand: () => number;
}

/** One script per learner, in the order its commands must be applied. */
export function learnerScripts(o: LearnerOptions): OutMessage[][] {
  const rand = rng(o.seed);
  const per = o.commands / o.learners;
  const scripts: OutMessage[][] = [];
  for (let j = 0; j < o.learners; j++) {
    const course = o.catalog.courses[j % o.catalog.courses.length];
    const userId = j % 7 === 3 ? `ü-${o.tag}-${j}-学生` : `u-${o.tag}-${j}`;
    const user = { username: `learner_${j}`, email: `learner${j}@example.test` };
    const exams = course.exams;
    const guess = new Map<string, string>();
    const out: OutMessage[] = [];
    let n = 0;
    const nextId = () => `${o.tag}-${j}-${++n}`;
    const target = Math.max(2, Math.round(per * (0.5 + rand())));
    const send = (type: string, data: unknown, id = nextId(), source = SOURCE) =>
      out.push(message(userId, envelope(type, data, id, source)));
    const create = (exam: ExamSpec) => {
      send('CreateAttempt', {
        examId: exam.examId,
        userId,
        user,
        takingAsProctored: rand() < 0.85,
        ...(rand() < 0.2 ? { additionalTimeMins: 30 } : {}),
        ...(rand() < 0.3 ? { externalId: `ext-${j}-${n}` } : {}),
      });
      if (!guess.has(exam.examId)) guess.set(exam.examId, 'created');
    };
    const update = (examId: string, toStatus: string) =>
      send('UpdateAttemptStatus', { examId, userId, toStatus });
    const ctx: LearnerContext = { userId, exams, nextId, sent: out, rand };

    // Every learner starts with an attempt, most at a proctored exam.
    create(
      pick(
        rand,
        exams.filter((e) => e.kind !== 'timed' && e.kind !== 'retired'),
      ),
    );
    while (out.length < target) {
      if (o.extra && rand() < (o.extraRate ?? 0)) {
        const m = o.extra(ctx);
        if (m) out.push(m);
        continue;
      }
      if (o.reviewRate && rand() < o.reviewRate) {
        const v = rand();
        const attemptCode = `${o.tag}-CODE-${j}-${n}`;
        const reviewStatus = v < 0.15 ? pick(rand, ['clean', 'error', 'PASSED']) : pick(rand, REVIEW_STATUSES);
        send('RecordReview', { attemptCode, reviewId: `rev-${j}-${n}`, reviewStatus, ...(v < 0.3 && v >= 0.15 ? {} : { reviewedBy: `staff-${j % 3}` }) });
        continue;
      }
      const r = rand();
      const known = [...guess.keys()];
      if (r < 0.05 && out.length > 0) {
        // A repeat of an earlier command: the same id and source, same or different payload.
        const earlier = pick(rand, out);
        const body = parseBody(earlier.value);
        if (
          body &&
          rand() < 0.5 &&
          typeof body.data === 'object' &&
          body.data !== null &&
          'toStatus' in body.data
        ) {
          out.push(
            message(userId, { ...body, data: { ...(body.data as object), toStatus: pick(rand, STATUSES) } }),
          );
        } else {
          out.push({ ...earlier });
        }
      } else if (r < 0.06 && out.length > 0) {
        // The same id from another publisher: a different command.
        const body = parseBody(pick(rand, out).value);
        const id = typeof body?.id === 'string' ? body.id : nextId();
        send(
          'UpdateAttemptStatus',
          { examId: pick(rand, exams).examId, userId, toStatus: pick(rand, STATUSES) },
          id,
          OTHER_SOURCE,
        );
      } else if (r < 0.085) {
        // Invalid messages with a readable id: INVALID_MESSAGE.
        const v = Math.floor(rand() * 4);
        if (v === 0)
          send('CreateAttempt', {
            examId: exams[0].examId,
            userId,
            user: { username: user.username },
            takingAsProctored: true,
          });
        else if (v === 1) send('UpdateAttemptStatus', { examId: exams[0].examId, userId, toStatus: 42 });
        else if (v === 2) send('RemoveAttempt', { userId });
        else send('CreateAttempt', { examId: exams[0].examId, userId, user, takingAsProctored: 'yes' });
      } else if (r < 0.095) {
        send(pick(rand, ['CancelAttempt', 'createattempt', 'UpdateAttemptStatus.v2']), {
          examId: exams[0].examId,
          userId,
        });
      } else if (r < 0.1) {
        // No readable id: dead-lettered.
        out.push(
          pick(rand, [
            { key: userId, value: `{"source":"${SOURCE}","type":"CreateAttempt","data":{}}` },
            { key: userId, value: 'definitely not JSON' },
            { key: userId, value: null },
          ]),
        );
      } else if (r < 0.115) {
        update(`${o.tag}-no-such-exam`, 'started');
      } else if (r < 0.14) {
        update(known.length > 0 ? pick(rand, known) : exams[0].examId, pick(rand, BAD_STATUSES));
      } else if (r < 0.17) {
        const examId = known.length > 0 && rand() < 0.8 ? pick(rand, known) : pick(rand, exams).examId;
        send('RemoveAttempt', { examId, userId });
        guess.delete(examId);
      } else if (r < 0.32 || known.length === 0) {
        create(pick(rand, exams));
      } else {
        const examId = pick(rand, known);
        const current = guess.get(examId) ?? 'created';
        const bias = o.emailBias ?? 0;
        let to: string;
        if (rand() < bias) to = current === 'submitted' ? pick(rand, ['verified', 'rejected']) : 'submitted';
        else to = rand() < 0.15 ? pick(rand, STATUSES) : pick(rand, NEXT[current] ?? STATUSES);
        update(examId, to);
        guess.set(examId, to);
      }
    }
    scripts.push(out);
  }
  return scripts;
}

function parseBody(value: OutMessage['value']): Record<string, unknown> | null {
  if (value === null) return null;
  try {
    const v: unknown = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Merges scripts into one order that keeps each script's order (random, seeded, weighted by what is left). */
export function interleave(scripts: OutMessage[][], seed: number): OutMessage[] {
  const rand = rng(seed);
  const cursors = scripts.map(() => 0);
  const live = scripts.map((_, i) => i).filter((i) => scripts[i].length > 0);
  const total = scripts.reduce((s, x) => s + x.length, 0);
  const out: OutMessage[] = [];
  while (out.length < total) {
    const k = Math.floor(rand() * live.length);
    const i = live[k];
    out.push(scripts[i][cursors[i]++]);
    if (cursors[i] >= scripts[i].length) {
      live[k] = live[live.length - 1];
      live.pop();
    }
  }
  return out;
}
