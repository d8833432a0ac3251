import type {
  AttemptCreatedData,
  AttemptStatusChangedData,
  DomainEvent,
} from '../../../../libs/contracts/src';
import { ceIdFor } from '../openedx/event-bus-headers';
import type { ExamAttemptData, OpenEdxExamEvent, UserData } from '../openedx/exam-attempt.schema';
import { lmsUserId, parseCourseKey, parseUsageKey, sameCourse } from '../openedx/opaque-keys';

/**
 * From our events to the Open edX exam attempt events: pure (no I/O, no clock). The use case feeds it
 * every event of the events topic in order, with the attempt snapshots it keeps for AttemptRemoved
 * (which does not carry the learner or the exam's kind), and does what it returns.
 */

/** Our status → the Open edX event it raises. Every other status raises none. */
export const STATUS_EVENTS: Readonly<Record<string, OpenEdxExamEvent>> = {
  submitted: 'submitted',
  rejected: 'rejected',
  verified: 'verified',
  error: 'errored',
};

/** What the bridge keeps per attempt, from AttemptCreated and AttemptStatusChanged (attempt version wins). */
export interface AttemptSnapshot {
  attemptId: string;
  userId: string;
  username: string;
  email: string;
  isProctored: boolean;
  isPracticeExam: boolean;
  version: number;
}

/** Why an event that would raise an Open edX event could not (counted in /metrics by this label). */
export const SKIP_REASONS = [
  /** userId is not an LMS user id (a decimal integer). */
  'user_id_not_numeric',
  /** courseId is not a course key (`course-v1:Org+Num+Run`). */
  'course_id_not_opaque_key',
  /** contentId is not a usage key (`block-v1:…`), or names another course than courseId. */
  'content_id_not_usage_key',
  /** AttemptRemoved of an attempt the bridge never saw (created before it started reading). */
  'attempt_unknown',
  /** The message is not a v1 event of our contract. */
  'unreadable_event',
  /** The event's `source` is not a trusted one (OPENEDX_BRIDGE_TRUSTED_SOURCES; the topic's ACLs are the control). */
  'foreign_source',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** One Open edX event to produce. */
export interface OpenEdxRecord {
  event: OpenEdxExamEvent;
  /** The Kafka key (`exam_attempt.course_key`). */
  courseKey: string;
  data: ExamAttemptData;
  /** `ce_id`, derived from our event id: the same on every re-send. */
  ceId: string;
  /** `ce_time`: our event's time. */
  time: string;
  /** Our event it came from (for logs). */
  sourceEventId: string;
}

export type Translation =
  | { kind: 'publish'; record: OpenEdxRecord }
  | { kind: 'skip'; reason: SkipReason; eventId: string | null }
  | { kind: 'none' };

export interface TranslateSettings {
  /**
   * `requesting_user` of a reset: our AttemptRemoved does not say who asked, and the LMS's reset
   * handler needs one (it deletes the learner's courseware state on that user's behalf). An operator
   * account of the LMS, or null (the LMS then logs an error and keeps the courseware state).
   */
  resetRequestingUser: UserData | null;
}

/** The snapshot an event leaves behind, if it carries the attempt. */
export function snapshotOf(event: DomainEvent): AttemptSnapshot | null {
  if (event.type !== 'AttemptCreated' && event.type !== 'AttemptStatusChanged') return null;
  const d: AttemptCreatedData | AttemptStatusChangedData = event.data;
  return {
    attemptId: d.attemptId,
    userId: d.userId,
    username: d.user.username,
    email: d.user.email,
    isProctored: d.isProctored,
    isPracticeExam: d.isPracticeExam,
    version: d.version,
  };
}

/** edx-exams' exam types: `proctored`, `timed`, `practice` (`onboarding` has no counterpart here). */
export function examType(a: { isProctored: boolean; isPracticeExam: boolean }): string {
  if (a.isPracticeExam) return 'practice';
  return a.isProctored ? 'proctored' : 'timed';
}

/**
 * The Open edX event one of our events raises, if any. `snapshot` is the attempt as last seen (for
 * AttemptRemoved); null when unknown.
 */
export function translateEvent(
  event: DomainEvent,
  snapshot: AttemptSnapshot | null,
  settings: TranslateSettings,
): Translation {
  if (event.type === 'AttemptStatusChanged') {
    const d = event.data;
    const target = STATUS_EVENTS[d.toStatus];
    if (target === undefined) return { kind: 'none' };
    const student = studentOf(d.userId, d.user.username, d.user.email);
    if (student === null) return { kind: 'skip', reason: 'user_id_not_numeric', eventId: event.id };
    const keys = keysOf(d.courseId, d.contentId);
    if ('reason' in keys) return { kind: 'skip', reason: keys.reason, eventId: event.id };
    return publish(event, target, {
      student_user: student,
      course_key: keys.courseKey,
      usage_key: keys.usageKey,
      exam_type: examType(d),
      // edx-exams names the learner as the requesting user of a submission only.
      requesting_user: target === 'submitted' ? student : null,
    });
  }
  if (event.type === 'AttemptRemoved') {
    const d = event.data;
    // A replaced sample attempt resets nothing downstream (SPEC §2); a removal resets the learner's state.
    if (d.reason !== 'removed') return { kind: 'none' };
    if (lmsUserId(d.userId) === null)
      return { kind: 'skip', reason: 'user_id_not_numeric', eventId: event.id };
    const keys = keysOf(d.courseId, d.contentId);
    if ('reason' in keys) return { kind: 'skip', reason: keys.reason, eventId: event.id };
    if (snapshot === null || snapshot.attemptId !== d.attemptId)
      return { kind: 'skip', reason: 'attempt_unknown', eventId: event.id };
    const student = studentOf(d.userId, snapshot.username, snapshot.email);
    if (student === null) return { kind: 'skip', reason: 'user_id_not_numeric', eventId: event.id };
    return publish(event, 'reset', {
      student_user: student,
      course_key: keys.courseKey,
      usage_key: keys.usageKey,
      exam_type: examType(snapshot),
      requesting_user: settings.resetRequestingUser,
    });
  }
  // Every other event raises none.
  return { kind: 'none' };
}

function publish(event: DomainEvent, target: OpenEdxExamEvent, data: ExamAttemptData): Translation {
  return {
    kind: 'publish',
    record: {
      event: target,
      courseKey: data.course_key,
      data,
      ceId: ceIdFor(event.id, target),
      time: event.time,
      sourceEventId: event.id,
    },
  };
}

/**
 * The learner as `UserData`. `is_active` is not ours to know: a learner with exam attempts is taken as
 * active (the LMS's exam handlers read only `id` and `pii.username`). The profile `name` is unknown: ""
 * (openedx-events' default).
 */
function studentOf(userId: string, username: string, email: string): UserData | null {
  const id = lmsUserId(userId);
  if (id === null) return null;
  return { id, is_active: true, pii: { username, email, name: '' } };
}

function keysOf(
  courseId: string,
  contentId: string,
): { courseKey: string; usageKey: string } | { reason: SkipReason } {
  const course = parseCourseKey(courseId);
  if (course === null) return { reason: 'course_id_not_opaque_key' };
  const usage = parseUsageKey(contentId);
  if (usage === null || !sameCourse(course, usage)) return { reason: 'content_id_not_usage_key' };
  return { courseKey: courseId, usageKey: contentId };
}
