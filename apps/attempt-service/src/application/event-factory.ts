import { createHash, randomUUID } from 'node:crypto';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  type AttemptCreatedData,
  type AttemptRemovedData,
  type AttemptStatusChangedData,
  type CommandProcessedData,
  type CommandRejectedData,
  type CredentialRequirementRemovedData,
  type CredentialRequirementUpdatedData,
} from '../../../../libs/contracts/src';
import { CREDIT_NAMESPACE, statusAlias, type CreditStatus, type Exam, type StatusChange } from '../../../../libs/domain/src';
import type { TopicNames } from '../config/attempt-service.config';
import type { BatchState, StoredAttempt } from './batch-state';

/** What caused a change: a command (from Kafka or the CLI) or a sweep of expired attempts. */
export interface Cause {
  type: 'command' | 'sweeper';
  /** the command id, or the sweep id. */
  id: string;
  correlationId: string;
}

type EventData = {
  AttemptCreated: AttemptCreatedData;
  AttemptStatusChanged: AttemptStatusChangedData;
  AttemptRemoved: AttemptRemovedData;
  CommandProcessed: CommandProcessedData;
  CommandRejected: CommandRejectedData;
  CredentialRequirementUpdated: CredentialRequirementUpdatedData;
  CredentialRequirementRemoved: CredentialRequirementRemovedData;
};

/**
 * The scope of the per-key `sequence` counter: one counter per Kafka key, whatever the key names (a
 * learner, a course, or the key a rejected command arrived with), so that every event under one key
 * (e.g. a learner's CommandRejected for an unknown attemptId) continues that key's sequence.
 */
/** Keys of arbitrary messages can be long; their scope is bounded so it always fits the index. */
export const keyScope = (key: string) => (key.length <= 200 ? `k:${key}` : `h:${createHash('sha256').update(key).digest('hex')}`);
export const userScope = (userId: string) => keyScope(userId);
export const courseScope = (courseId: string) => keyScope(courseId);

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Builds the CloudEvents of one batch and appends them to its outbox, in the order they are emitted.
 * The only place where domain values are mapped to the wire contract for outgoing events.
 */
export class EventFactory {
  constructor(
    private readonly topics: TopicNames,
    private readonly source: string,
  ) {}

  emit<T extends keyof EventData>(
    state: BatchState,
    type: T,
    data: EventData[T],
    o: { key: string; scope: string; subject?: string; cause: Cause; now: Date },
  ): void {
    const topic =
      type === 'CredentialRequirementUpdated' || type === 'CredentialRequirementRemoved'
        ? this.topics.credentialEvents
        : this.topics.attemptEvents;
    // (JSON.stringify leaves out properties that are undefined, such as a missing subject)
    const event = {
      specversion: '1.0',
      id: randomUUID(),
      source: this.source,
      type,
      time: o.now.toISOString(),
      datacontenttype: DATA_CONTENT_TYPE,
      subject: o.subject || undefined,
      causationid: o.cause.id,
      correlationid: o.cause.correlationId,
      sequence: state.nextSequence(o.scope).toString(),
      data,
    };
    state.outbox.push({
      eventId: event.id,
      topic,
      key: o.key,
      value: Buffer.from(JSON.stringify(event), 'utf8'),
      headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'ce-type': type },
    });
  }

  attemptCreated(state: BatchState, a: StoredAttempt, exam: Exam, cause: Cause, now: Date): void {
    this.emit(state, 'AttemptCreated', { ...attemptFields(a, exam), status: a.status, allowedTimeLimitMins: a.allowedTimeLimitMins, externalId: a.externalId, version: a.version }, {
      key: a.userId,
      scope: userScope(a.userId),
      subject: a.id,
      cause,
      now,
    });
  }

  statusChanged(
    state: BatchState,
    before: StoredAttempt,
    change: StatusChange,
    after: StoredAttempt,
    exam: Exam,
    cause: Cause,
    now: Date,
    cascadeFromAttemptId: string | null,
  ): void {
    this.emit(
      state,
      'AttemptStatusChanged',
      {
        ...attemptFields(after, exam),
        fromStatus: before.status,
        toStatus: change.to,
        requestedStatus: change.requested,
        statusAlias: statusAlias(change.to),
        version: after.version,
        cascadeFromAttemptId: cascadeFromAttemptId || undefined,
      },
      { key: after.userId, scope: userScope(after.userId), subject: after.id, cause, now },
    );
  }

  creditUpdated(state: BatchState, a: StoredAttempt, exam: Exam, status: CreditStatus, cause: Cause, now: Date): void {
    this.emit(
      state,
      'CredentialRequirementUpdated',
      {
        userId: a.userId,
        courseId: exam.courseId,
        namespace: CREDIT_NAMESPACE,
        name: exam.contentId,
        status,
        attemptId: a.id,
        attemptVersion: a.version,
        isPracticeExam: exam.isPracticeExam,
        isProctored: exam.isProctored,
      },
      { key: a.userId, scope: userScope(a.userId), subject: a.id, cause, now },
    );
  }

  attemptRemoved(state: BatchState, a: StoredAttempt, exam: Exam, reason: 'removed' | 'replaced', cause: Cause, now: Date): void {
    this.emit(
      state,
      'AttemptRemoved',
      {
        attemptId: a.id,
        attemptCode: a.attemptCode,
        examId: a.examId,
        courseId: exam.courseId,
        contentId: exam.contentId,
        userId: a.userId,
        lastStatus: a.status,
        reason,
      },
      { key: a.userId, scope: userScope(a.userId), subject: a.id, cause, now },
    );
  }

  creditRemoved(state: BatchState, a: StoredAttempt, exam: Exam, cause: Cause, now: Date): void {
    this.emit(
      state,
      'CredentialRequirementRemoved',
      { userId: a.userId, courseId: exam.courseId, namespace: CREDIT_NAMESPACE, name: exam.contentId, attemptId: a.id },
      { key: a.userId, scope: userScope(a.userId), subject: a.id, cause, now },
    );
  }
}

function attemptFields(a: StoredAttempt, exam: Exam) {
  return {
    attemptId: a.id,
    attemptCode: a.attemptCode,
    examId: a.examId,
    courseId: exam.courseId,
    contentId: exam.contentId,
    examName: exam.examName,
    courseName: exam.courseName,
    provider: exam.provider,
    userId: a.userId,
    user: { username: a.username, email: a.email },
    takingAsProctored: a.takingAsProctored,
    isSampleAttempt: a.isSampleAttempt,
    isPracticeExam: exam.isPracticeExam,
    isProctored: exam.isProctored,
    startedAt: iso(a.startedAt),
    completedAt: iso(a.completedAt),
  };
}
