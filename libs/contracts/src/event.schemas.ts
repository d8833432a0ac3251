import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { UserSchema } from './command.schemas';
import { eventEnvelopeProperties, eventSchema } from './envelope.schema';
import {
  DateTime,
  Id,
  ID_MAX_LENGTH,
  NAME_MAX_LENGTH,
  Nullable,
  REASON_MAX_LENGTH,
  STATUS_MAX_LENGTH,
  StringConst,
  StringEnum,
  Text,
  Uuid,
} from './field.schemas';
import { TOPICS } from './topics';

/*
 * Events of contract v1. Attempt events and command outcomes go to `proctoring.attempt.events.v1`,
 * credit events to `proctoring.credential.events.v1`. Nullable fields are always present (value or
 * `null`); optional fields are absent when they do not apply. Statuses are plain strings here: the
 * list of statuses belongs to the domain, and the service only ever emits valid ones.
 */

export const EVENT_TYPES = [
  'AttemptCreated',
  'AttemptStatusChanged',
  'AttemptRemoved',
  'AttemptReviewed',
  'CommandProcessed',
  'CommandRejected',
  'CredentialRequirementUpdated',
  'CredentialRequirementRemoved',
  'EventDropped',
  'LearnerRetired',
  'AllowanceGranted',
  'AllowanceRemoved',
  'AttemptTimeLimitChanged',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

export const REJECTION_REASONS = [
  'INVALID_MESSAGE',
  'UNKNOWN_COMMAND_TYPE',
  'INVALID_STATUS',
  'EXAM_NOT_FOUND',
  'UNKNOWN_PROVIDER',
  'ATTEMPT_NOT_FOUND',
  'ATTEMPT_ALREADY_EXISTS',
  'ILLEGAL_TRANSITION',
  'EXAM_CONFLICT',
  'FORBIDDEN',
  'INVALID_ALLOWANCE',
  'EXAM_NOT_ACTIVE',
  'INVALID_REVIEW_STATUS',
  'PROVIDER_MISMATCH',
  'REVIEW_ALREADY_EXISTS',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const CREDIT_STATUSES = ['satisfied', 'submitted', 'failed'] as const;
export type CreditStatus = (typeof CREDIT_STATUSES)[number];

export const REMOVAL_REASONS = ['removed', 'replaced'] as const;
export const COMMAND_OUTCOMES = ['applied', 'noop'] as const;

/** The credit requirement namespace of proctored exams. */
export const CREDIT_NAMESPACE = 'proctored_exam';

const status = (description: string) => Text(1, STATUS_MAX_LENGTH, { description });

/** Fields every attempt-carrying event has (a snapshot of the attempt after the change). */
const attemptProperties = {
  attemptId: Uuid({ description: 'The attempt id (also the event subject).' }),
  attemptCode: Id({ description: 'The attempt code (upper-case UUID), used by proctoring providers.' }),
  examId: Id(),
  courseId: Id(),
  contentId: Id(),
  examName: Text(1, NAME_MAX_LENGTH),
  courseName: Nullable(Text(1, NAME_MAX_LENGTH)),
  provider: Nullable(Id(), { description: "The exam's provider; null when the defaults apply." }),
  userId: Id(),
  user: UserSchema,
  takingAsProctored: Type.Boolean(),
  isSampleAttempt: Type.Boolean({ description: 'True when the exam is a practice exam.' }),
  isPracticeExam: Type.Boolean(),
  isProctored: Type.Boolean(),
  startedAt: Nullable(DateTime(), { description: 'Set when the attempt first moves to started.' }),
  completedAt: Nullable(DateTime(), { description: 'Set (overwritten) when the attempt moves to submitted.' }),
};

const version = (description: string) => Type.Integer({ minimum: 1, description });

export const AttemptCreatedDataSchema = Type.Object(
  {
    ...attemptProperties,
    status: status('The initial status ("created").'),
    allowedTimeLimitMins: Type.Integer({
      minimum: 0,
      maximum: 2 * 100_000,
      description: "The exam's time limit plus the learner's additional time, in minutes.",
    }),
    externalId: Nullable(Id(), { description: "The attempt's id at the provider." }),
    // `const: 1` on the wire, `number` in TypeScript so producers can pass the stored version.
    version: Type.Unsafe<number>({ type: 'integer', const: 1, description: 'Always 1: the first version of the attempt.' }),
  },
  { description: 'The attempt as created.' },
);

export const AttemptStatusChangedDataSchema = Type.Object(
  {
    ...attemptProperties,
    fromStatus: status('The status before the change.'),
    toStatus: status('The stored status.'),
    requestedStatus: status('The status asked for, before the timeout alias (timed_out may be stored as submitted).'),
    statusAlias: Text(0, STATUS_MAX_LENGTH, {
      description: 'Shown to learners: "pending", "satisfactory", "unsatisfactory", or "" for every other status.',
    }),
    version: version('The attempt version after the change: 1 at creation, +1 on every stored change.'),
    cascadeFromAttemptId: Type.Optional(
      Uuid({ description: "Present on a cascaded decline: the attempt whose change caused it." }),
    ),
  },
  { description: 'The attempt after a stored status change.' },
);

export const AttemptRemovedDataSchema = Type.Object(
  {
    attemptId: Uuid(),
    attemptCode: Id(),
    examId: Id(),
    courseId: Id(),
    contentId: Id(),
    userId: Id(),
    lastStatus: status('The status the attempt had when it was removed.'),
    reason: StringEnum(REMOVAL_REASONS, {
      description: '"removed": by a RemoveAttempt command (reset the courseware state); "replaced": a sample attempt re-created.',
    }),
  },
  { description: 'An attempt was archived and deleted.' },
);

export const LearnerRetiredDataSchema = Type.Object(
  { userId: Id({ description: 'The retired learner.' }) },
  {
    description:
      "A learner was retired (SPEC §8.3): the service scrubbed what it stored about them. Consumers should scrub their own copies (emails, usernames, names) and send that learner nothing more.",
  },
);
export const AttemptReviewedDataSchema = Type.Object(
  {
    attemptId: Uuid(),
    attemptCode: Id(),
    examId: Id(),
    courseId: Id(),
    userId: Id(),
    provider: Nullable(Id(), { description: "The exam's provider (the review topic's, for a provider's review)." }),
    reviewId: Id({ description: "The provider's review id." }),
    reviewStatus: StringEnum(['passed', 'violation', 'suspicious', 'not_reviewed'] as const, {
      description: 'The review status, standard vocabulary.',
    }),
    providerReviewStatus: Text(1, STATUS_MAX_LENGTH, { description: 'The review status as received (either vocabulary).' }),
    reviewedBy: Type.Optional(Id({ description: "A staff second review: the reviewer's user id." })),
    resultingStatus: Nullable(status('The status the review asked for'), {
      description:
        'The status the review asked for through the transition rules; null when the review changes no status (an archived attempt, or one not taken as proctored).',
    }),
    isUpdate: Type.Boolean({ description: 'The review replaced an earlier one (moved to the review history).' }),
    archived: Type.Boolean({ description: 'The attempt was archived: the review is stored against the archive.' }),
  },
  {
    description:
      'A review was stored (SPEC §8.1); first among its command\'s events. Never carries learner data, comments, rawData or the video URL.',
  },
);

export const CommandProcessedDataSchema = Type.Object(
  {
    commandId: Id({ description: 'The command id.' }),
    commandType: Id({ description: 'The command type.' }),
    outcome: StringEnum(COMMAND_OUTCOMES, { description: '"applied": state changed; "noop": nothing to change.' }),
  },
  { description: "The command's outcome: it was applied, after all its other events." },
);

export const CommandRejectedDataSchema = Type.Object(
  {
    commandId: Id({ description: 'The command id.' }),
    commandType: Text(0, ID_MAX_LENGTH, {
      description: 'The command type as received; empty when it was missing or not a readable string.',
    }),
    reason: StringEnum(REJECTION_REASONS),
    message: Text(0, REASON_MAX_LENGTH, {
      description: 'For humans: what was wrong (field paths, never field values or personal data).',
    }),
  },
  { description: 'The command was rejected and had no effect.' },
);

const creditProperties = {
  userId: Id(),
  courseId: Id(),
  namespace: StringConst(CREDIT_NAMESPACE, { description: 'Always "proctored_exam".' }),
  name: Id({ description: "The exam's contentId." }),
};

export const CredentialRequirementUpdatedDataSchema = Type.Object(
  {
    ...creditProperties,
    status: StringEnum(CREDIT_STATUSES, {
      description: '"satisfied" (verified), "submitted" (submitted), "failed" (rejected, declined, not_reviewed, error).',
    }),
    attemptId: Uuid(),
    attemptVersion: version('The attempt version that produced this status; drop older ones.'),
    isPracticeExam: Type.Boolean(),
    isProctored: Type.Boolean(),
  },
  { description: "The learner's credit requirement status for the exam." },
);

export const CredentialRequirementRemovedDataSchema = Type.Object(
  {
    ...creditProperties,
    attemptId: Uuid(),
  },
  { description: "The learner's credit requirement status for the exam was removed with the attempt." },
);

export const EventDroppedDataSchema = Type.Object(
  {
    droppedType: Text(1, ID_MAX_LENGTH, {
      description: 'The type of the message this marker replaces: an event type, or "UnreadableCommand" for a dead letter.',
    }),
    reason: Text(1, REASON_MAX_LENGTH, {
      description: 'Why it was dropped: "too large" (the broker refused it as larger than its message limit). An open string: new reasons may appear.',
    }),
    sizeBytes: Type.Integer({ minimum: 0, description: 'The size of the refused message (value, key and headers), in bytes.' }),
    topic: Id({ description: 'The topic the message was for (the topic of this marker).' }),
  },
  { description: 'What was dropped, never its content.' },
);

/**
 * The marker that replaces a message the broker refused (SPEC §8.5). Same `id`, key and `sequence` as
 * the message it replaces, on the same topic, so per-key order holds and a consumer that deduplicates
 * by id sees it once. A dropped dead letter has no causation, correlation or sequence of ours.
 */
export const EventDroppedEventSchema = Type.Object(
  {
    ...eventEnvelopeProperties,
    type: StringConst('EventDropped', { description: 'The event type.' }),
    causationid: Type.Optional(eventEnvelopeProperties.causationid),
    correlationid: Type.Optional(eventEnvelopeProperties.correlationid),
    sequence: Type.Optional(eventEnvelopeProperties.sequence),
    data: EventDroppedDataSchema,
  },
  {
    title: 'EventDropped',
    description:
      'A message the broker refused as too large was replaced by this marker; the original is parked for an operator. Same id, key and sequence as the message it replaces (causationid, correlationid and sequence are absent when that was a dead letter). On any topic the service publishes to.',
  },
);

const allowanceProperties = {
  examId: Id(),
  courseId: Id(),
  userId: Id(),
  key: Text(1, ID_MAX_LENGTH, { description: '"additional_time_granted", "time_multiplier" or "review_policy_exception".' }),
  value: Type.Optional(
    Text(1, ID_MAX_LENGTH, {
      description:
        'The value, for time keys only (minutes, or the multiplier as given). Absent for review_policy_exception: its text never goes on this topic.',
    }),
  ),
};

export const AllowanceGrantedDataSchema = Type.Object(allowanceProperties, {
  description: "A learner's allowance at an exam was granted or changed.",
});

export const AllowanceRemovedDataSchema = Type.Object(
  { ...allowanceProperties, value: Type.Optional(Text(1, ID_MAX_LENGTH, { description: 'The value removed, for time keys only.' })) },
  { description: "A learner's allowance at an exam was removed." },
);

export const AttemptTimeLimitChangedDataSchema = Type.Object(
  {
    attemptId: Uuid({ description: 'The attempt id (also the event subject).' }),
    fromMins: Type.Integer({ minimum: 0, description: 'allowedTimeLimitMins before the change.' }),
    toMins: Type.Integer({ minimum: 0, description: 'allowedTimeLimitMins after the change.' }),
    expiresAt: Nullable(DateTime(), { description: 'startedAt + toMins; null while the attempt has not started.' }),
    version: version('The attempt version after the change.'),
  },
  { description: "An incomplete attempt's allowed time changed with an allowance; the sweeper uses the new expiry." },
);

export const AttemptCreatedEventSchema = eventSchema(
  'AttemptCreated',
  AttemptCreatedDataSchema,
  'An attempt was created (by CreateAttempt or by a cascade). Key: userId.',
);
export const AttemptStatusChangedEventSchema = eventSchema(
  'AttemptStatusChanged',
  AttemptStatusChangedDataSchema,
  "An attempt's status was stored. Key: userId.",
);
export const AttemptRemovedEventSchema = eventSchema(
  'AttemptRemoved',
  AttemptRemovedDataSchema,
  'An attempt was removed or replaced. Key: userId.',
);
export const LearnerRetiredEventSchema = eventSchema(
  'LearnerRetired',
  LearnerRetiredDataSchema,
  'A learner was retired: scrub their personal data. Key: userId.',
);
export const AttemptReviewedEventSchema = eventSchema(
  'AttemptReviewed',
  AttemptReviewedDataSchema,
  "A review of an attempt was stored. Key: userId. Also copied, same id, to the provider's outcomes topic.",
);
export const CommandProcessedEventSchema = eventSchema(
  'CommandProcessed',
  CommandProcessedDataSchema,
  'A command was processed; published after its other events. Key: userId (RegisterExam: courseId).',
);
export const CommandRejectedEventSchema = eventSchema(
  'CommandRejected',
  CommandRejectedDataSchema,
  'A command was rejected. Key: userId when readable (RegisterExam: courseId), else the key it arrived with.',
);
export const CredentialRequirementUpdatedEventSchema = eventSchema(
  'CredentialRequirementUpdated',
  CredentialRequirementUpdatedDataSchema,
  'A credit requirement status changed. Key: userId.',
);
export const CredentialRequirementRemovedEventSchema = eventSchema(
  'CredentialRequirementRemoved',
  CredentialRequirementRemovedDataSchema,
  'A credit requirement status was removed. Key: userId.',
);

export const AllowanceGrantedEventSchema = eventSchema(
  'AllowanceGranted',
  AllowanceGrantedDataSchema,
  'An allowance was granted. Key: userId.',
);
export const AllowanceRemovedEventSchema = eventSchema(
  'AllowanceRemoved',
  AllowanceRemovedDataSchema,
  'An allowance was removed. Key: userId.',
);
export const AttemptTimeLimitChangedEventSchema = eventSchema(
  'AttemptTimeLimitChanged',
  AttemptTimeLimitChangedDataSchema,
  "An attempt's allowed time changed. Key: userId.",
);

/** The full schema (envelope and data) of each event type. */
export const EVENT_SCHEMAS = {
  AttemptCreated: AttemptCreatedEventSchema,
  AttemptStatusChanged: AttemptStatusChangedEventSchema,
  AttemptRemoved: AttemptRemovedEventSchema,
  AttemptReviewed: AttemptReviewedEventSchema,
  CommandProcessed: CommandProcessedEventSchema,
  CommandRejected: CommandRejectedEventSchema,
  CredentialRequirementUpdated: CredentialRequirementUpdatedEventSchema,
  CredentialRequirementRemoved: CredentialRequirementRemovedEventSchema,
  EventDropped: EventDroppedEventSchema,
  LearnerRetired: LearnerRetiredEventSchema,
  AllowanceGranted: AllowanceGrantedEventSchema,
  AllowanceRemoved: AllowanceRemovedEventSchema,
  AttemptTimeLimitChanged: AttemptTimeLimitChangedEventSchema,
} as const satisfies Record<EventType, TSchema>;

export type AttemptCreatedData = Static<typeof AttemptCreatedDataSchema>;
export type AttemptStatusChangedData = Static<typeof AttemptStatusChangedDataSchema>;
export type AttemptRemovedData = Static<typeof AttemptRemovedDataSchema>;
export type AttemptReviewedData = Static<typeof AttemptReviewedDataSchema>;
export type CommandProcessedData = Static<typeof CommandProcessedDataSchema>;
export type CommandRejectedData = Static<typeof CommandRejectedDataSchema>;
export type CredentialRequirementUpdatedData = Static<typeof CredentialRequirementUpdatedDataSchema>;
export type CredentialRequirementRemovedData = Static<typeof CredentialRequirementRemovedDataSchema>;
export type EventDroppedData = Static<typeof EventDroppedDataSchema>;
export type LearnerRetiredData = Static<typeof LearnerRetiredDataSchema>;
export type AllowanceGrantedData = Static<typeof AllowanceGrantedDataSchema>;
export type AllowanceRemovedData = Static<typeof AllowanceRemovedDataSchema>;
export type AttemptTimeLimitChangedData = Static<typeof AttemptTimeLimitChangedDataSchema>;

export interface EventDataMap {
  AttemptCreated: AttemptCreatedData;
  AttemptStatusChanged: AttemptStatusChangedData;
  AttemptRemoved: AttemptRemovedData;
  AttemptReviewed: AttemptReviewedData;
  CommandProcessed: CommandProcessedData;
  CommandRejected: CommandRejectedData;
  CredentialRequirementUpdated: CredentialRequirementUpdatedData;
  CredentialRequirementRemoved: CredentialRequirementRemovedData;
  EventDropped: EventDroppedData;
  LearnerRetired: LearnerRetiredData;
  AllowanceGranted: AllowanceGrantedData;
  AllowanceRemoved: AllowanceRemovedData;
  AttemptTimeLimitChanged: AttemptTimeLimitChangedData;
}

export type EventEnvelope<T extends EventType, D> = {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  datacontenttype: 'application/json';
  subject?: string;
  causationid: string;
  correlationid: string;
  sequence: string;
  /** W3C traceparent of the event's creation (CloudEvents distributed tracing). */
  traceparent?: string;
  tracestate?: string;
  data: D;
};

export type AttemptCreatedEvent = EventEnvelope<'AttemptCreated', AttemptCreatedData>;
export type AttemptStatusChangedEvent = EventEnvelope<'AttemptStatusChanged', AttemptStatusChangedData>;
export type AttemptRemovedEvent = EventEnvelope<'AttemptRemoved', AttemptRemovedData>;
export type AttemptReviewedEvent = EventEnvelope<'AttemptReviewed', AttemptReviewedData>;
export type CommandProcessedEvent = EventEnvelope<'CommandProcessed', CommandProcessedData>;
export type CommandRejectedEvent = EventEnvelope<'CommandRejected', CommandRejectedData>;
export type CredentialRequirementUpdatedEvent = EventEnvelope<'CredentialRequirementUpdated', CredentialRequirementUpdatedData>;
export type CredentialRequirementRemovedEvent = EventEnvelope<'CredentialRequirementRemoved', CredentialRequirementRemovedData>;
export type LearnerRetiredEvent = EventEnvelope<'LearnerRetired', LearnerRetiredData>;
export type AllowanceGrantedEvent = EventEnvelope<'AllowanceGranted', AllowanceGrantedData>;
export type AllowanceRemovedEvent = EventEnvelope<'AllowanceRemoved', AllowanceRemovedData>;
export type AttemptTimeLimitChangedEvent = EventEnvelope<'AttemptTimeLimitChanged', AttemptTimeLimitChangedData>;
export type EventDroppedEvent = Omit<EventEnvelope<'EventDropped', EventDroppedData>, 'causationid' | 'correlationid' | 'sequence'> & {
  causationid?: string;
  correlationid?: string;
  sequence?: string;
};

export type DomainEvent =
  | AttemptCreatedEvent
  | AttemptStatusChangedEvent
  | AttemptRemovedEvent
  | AttemptReviewedEvent
  | CommandProcessedEvent
  | CommandRejectedEvent
  | CredentialRequirementUpdatedEvent
  | CredentialRequirementRemovedEvent
  | EventDroppedEvent
  | LearnerRetiredEvent
  | AllowanceGrantedEvent
  | AllowanceRemovedEvent
  | AttemptTimeLimitChangedEvent;

export type EventOfType<T extends EventType> = Extract<DomainEvent, { type: T }>;

export function isEventOfType<T extends EventType>(e: DomainEvent, t: T): e is EventOfType<T> {
  return e.type === t;
}

/**
 * The topic an event type is published to. `EventDropped` goes to the topic of the message it
 * replaces (any topic of the service, see `eventTopics`); its home here is the attempt events topic.
 */
export function eventTopic(type: EventType): string {
  switch (type) {
    case 'CredentialRequirementUpdated':
    case 'CredentialRequirementRemoved':
      return TOPICS.credentialEvents;
    case 'AttemptCreated':
    case 'AttemptStatusChanged':
    case 'AttemptRemoved':
    case 'AttemptReviewed':
    case 'CommandProcessed':
    case 'CommandRejected':
    case 'EventDropped':
    case 'LearnerRetired':
    case 'AllowanceGranted':
    case 'AllowanceRemoved':
    case 'AttemptTimeLimitChanged':
      return TOPICS.attemptEvents;
  }
}

/** Every topic an event type may appear on. */
export function eventTopics(type: EventType): string[] {
  return type === 'EventDropped' ? [TOPICS.attemptEvents, TOPICS.credentialEvents, TOPICS.commandsDlq] : [eventTopic(type)];
}

/**
 * Orders two `sequence` values numerically (they are decimal strings; "10" > "9").
 * Negative when `a` comes first.
 */
export function compareSequence(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
