import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { commandSchema } from './envelope.schema';
import {
  Email,
  Id,
  Minutes,
  NAME_MAX_LENGTH,
  OptionalInput,
  REASON_MAX_LENGTH,
  STATUS_MAX_LENGTH,
  Text,
  Uuid,
} from './field.schemas';

/*
 * Commands of contract v1, published to `proctoring.attempt.commands.v1`.
 *
 * Optional fields may be absent or `null`; both mean "not given" and the parsed command never
 * contains a `null` optional field. Required fields may never be `null`.
 */

export const COMMAND_TYPES = [
  'RegisterExam',
  'CreateAttempt',
  'UpdateAttemptStatus',
  'RemoveAttempt',
  'GrantAllowance',
  'RemoveAllowance',
  'RetireLearner',
  'RecordReview',
] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && (COMMAND_TYPES as readonly string[]).includes(value);
}

const examId = () => Id({ description: "The exam's id, chosen by the publisher (1–255 characters, no control characters)." });
const userId = () => Id({ description: "The learner's id, chosen by the publisher (1–255 characters, no control characters)." });

export const UserSchema = Type.Object(
  {
    username: Id({ description: "The learner's username." }),
    email: Email({
      description:
        "The learner's e-mail address: exactly one mailbox, local@domain (3–254 characters; no display name, list, quotes, brackets or spaces). Personal data.",
    }),
  },
  { description: 'The learner, as shown in e-mails. Personal data: never logged.' },
);

/**
 * One way of naming the attempt: these fields present and not `null`. Their types are checked by
 * `properties`, so a mistyped field is reported as such rather than as a missing address.
 */
function addressedBy(...fields: string[]) {
  return {
    type: 'object',
    required: fields,
    properties: Object.fromEntries(fields.map((f) => [f, { not: { type: 'null' } }])),
  };
}

export const RegisterExamDataSchema = Type.Object(
  {
    examId: examId(),
    courseId: Id({ description: 'The course key, e.g. "course-v1:edX+DemoX+2025".' }),
    contentId: Id({ description: "The exam's content (block) id; unique within the course." }),
    examName: Text(1, NAME_MAX_LENGTH, { description: 'Shown to learners.' }),
    timeLimitMins: Minutes({ description: 'Time limit in minutes (0–100000).' }),
    isProctored: Type.Boolean(),
    isPracticeExam: Type.Boolean(),
    isActive: OptionalInput(Type.Boolean({ default: true, description: 'Defaults to true.' })),
    courseName: OptionalInput(Text(1, NAME_MAX_LENGTH, { description: 'Shown in e-mails; "your course" when absent.' })),
    provider: OptionalInput(
      Id({ description: 'Proctoring provider; must be configured in the providers file. Absent: the defaults apply.' }),
    ),
    externalId: OptionalInput(Id({ description: "The exam's id at the provider." })),
  },
  { description: 'Creates or replaces the exam with this examId (upsert; every field may change).' },
);

export const CreateAttemptDataSchema = Type.Object(
  {
    examId: examId(),
    userId: userId(),
    user: UserSchema,
    takingAsProctored: Type.Boolean({ description: 'Whether the learner takes the exam as proctored.' }),
    externalId: OptionalInput(Id({ description: "The attempt's id at the provider." })),
    additionalTimeMins: OptionalInput(Minutes({ description: 'Extra minutes granted to this learner (0–100000).' })),
  },
  { description: "Creates the learner's attempt at a registered exam." },
);

export const UpdateAttemptStatusDataSchema = Type.Object(
  {
    toStatus: Text(0, STATUS_MAX_LENGTH, {
      description:
        'Requested status. Any string of at most 64 characters is accepted here, the empty string included; a value that is not one of the 14 statuses is rejected INVALID_STATUS.',
    }),
    reason: OptionalInput(Text(0, REASON_MAX_LENGTH, { description: 'Why (free text, stored with the transition).' })),
    attemptId: OptionalInput(Uuid({ description: 'The attempt, by id.' })),
    attemptCode: OptionalInput(Id({ description: 'The attempt, by attempt code.' })),
    examId: OptionalInput(examId()),
    userId: OptionalInput(userId()),
  },
  {
    description:
      'Moves an attempt to a new status. Name the attempt by attemptId, by attemptCode, or by examId and userId; when several are given they must name the same attempt.',
    anyOf: [addressedBy('attemptId'), addressedBy('attemptCode'), addressedBy('examId', 'userId')],
  },
);

export const RemoveAttemptDataSchema = Type.Object(
  {
    attemptId: OptionalInput(Uuid({ description: 'The attempt, by id.' })),
    examId: OptionalInput(examId()),
    userId: OptionalInput(userId()),
  },
  {
    description: 'Archives and deletes an attempt, named by attemptId or by examId and userId.',
    anyOf: [addressedBy('attemptId'), addressedBy('examId', 'userId')],
  },
);

export const RetireLearnerDataSchema = Type.Object(
  { userId: userId() },
  {
    description:
      "Retires a learner (SPEC §8.3): every stored row about them loses their email, username and free text, replaced by placeholders, and their later user data is stored as placeholders and never emailed.",
  },
);

/** Longest allowance key and value the schema accepts; what a key or value means is the service's rule (INVALID_ALLOWANCE). */
export const ALLOWANCE_KEY_MAX_LENGTH = 64;
export const ALLOWANCE_VALUE_MAX_LENGTH = 10_000;

const allowanceKey = () =>
  Text(0, ALLOWANCE_KEY_MAX_LENGTH, {
    description:
      'One of "additional_time_granted", "time_multiplier", "review_policy_exception". Any other string is rejected INVALID_ALLOWANCE.',
  });

export const GrantAllowanceDataSchema = Type.Object(
  {
    examId: examId(),
    userId: userId(),
    key: allowanceKey(),
    value: Text(0, ALLOWANCE_VALUE_MAX_LENGTH, {
      description:
        'A string, as upstream stores it. additional_time_granted: whole minutes, 1–10080 (^[0-9]{1,5}$). time_multiplier: 1 < m ≤ 10 with at most four decimals; it grants ⌊timeLimitMins × (m − 1) + ½⌋ minutes (exact decimal), which must be 1–10080. review_policy_exception: text of at most 1,000 characters, passed to the proctoring provider (personal data: never on the shared events topic). A value that does not parse for its key is rejected INVALID_ALLOWANCE.',
    }),
  },
  {
    description:
      "Grants (upserts) one allowance of a learner at an active exam. Time granted to an attempt in an incomplete status moves its expiry (AttemptTimeLimitChanged).",
  },
);

export const RemoveAllowanceDataSchema = Type.Object(
  {
    examId: examId(),
    userId: userId(),
    key: allowanceKey(),
  },
  { description: "Removes one allowance of a learner at an exam (the exam may be inactive); a missing allowance is a noop." },
);
/** Most review comments kept; each comment's category and text are bounded (the whole message stays ≤ 64 KiB). */
export const REVIEW_COMMENTS_MAX = 100;
export const REVIEW_COMMENT_MAX_LENGTH = 4000;
export const REVIEW_VIDEO_URL_MAX_LENGTH = 2048;

export const RecordReviewDataSchema = Type.Object(
  {
    attemptCode: Id({ description: 'The reviewed attempt, by attempt code (live or archived).' }),
    reviewId: Id({ description: "The provider's id of the review (1–255 characters). The same reviewId again is an update." }),
    reviewStatus: Text(1, STATUS_MAX_LENGTH, {
      description:
        'passed, violation, suspicious, not_reviewed, or SoftwareSecure\'s Clean, Rules Violation, Suspicious, Not Reviewed (mapped in that order); anything else is rejected INVALID_REVIEW_STATUS.',
    }),
    reviewedBy: OptionalInput(
      Id({ description: "A staff user id: a person's second review. Only on the commands topic; a provider's review never carries it." }),
    ),
    videoUrl: OptionalInput(
      Text(1, REVIEW_VIDEO_URL_MAX_LENGTH, { description: 'Where the session recording is; stored encrypted, never on the bus.' }),
    ),
    comments: OptionalInput(
      Type.Array(
        Type.Object({
          category: Text(0, NAME_MAX_LENGTH, { description: 'The comment category, as the provider names it.' }),
          comment: Text(0, REVIEW_COMMENT_MAX_LENGTH, { description: 'The comment.' }),
        }),
        { maxItems: REVIEW_COMMENTS_MAX, description: 'The reviewer\'s comments; stored, never on the bus.' },
      ),
    ),
    rawData: OptionalInput(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "The provider's whole review as it sent it (any JSON object, nested at most 32 levels deep counting from data); stored, never on the bus.",
      }),
    ),
  },
  { description: "Records a provider's review of an attempt (SPEC §8.1), or a staff second review (with reviewedBy)." },
);

export const RegisterExamCommandSchema = commandSchema(
  'RegisterExam',
  RegisterExamDataSchema,
  'Register or update an exam. Key: courseId.',
);
export const CreateAttemptCommandSchema = commandSchema(
  'CreateAttempt',
  CreateAttemptDataSchema,
  "Create a learner's attempt. Key: userId.",
);
export const UpdateAttemptStatusCommandSchema = commandSchema(
  'UpdateAttemptStatus',
  UpdateAttemptStatusDataSchema,
  "Change an attempt's status. Key: userId (when known).",
);
export const RemoveAttemptCommandSchema = commandSchema(
  'RemoveAttempt',
  RemoveAttemptDataSchema,
  'Remove an attempt. Key: userId (when known).',
);
export const RetireLearnerCommandSchema = commandSchema(
  'RetireLearner',
  RetireLearnerDataSchema,
  'Retire a learner: scrub their personal data. Key: userId.',
);

export const GrantAllowanceCommandSchema = commandSchema(
  'GrantAllowance',
  GrantAllowanceDataSchema,
  "Grant an allowance (extra time, a time multiplier or a review policy exception). Key: userId.",
);
export const RemoveAllowanceCommandSchema = commandSchema(
  'RemoveAllowance',
  RemoveAllowanceDataSchema,
  'Remove an allowance. Key: userId.',
);

export const RecordReviewCommandSchema = commandSchema(
  'RecordReview',
  RecordReviewDataSchema,
  "Record a review of an attempt. A provider's review goes to its review topic (proctoring.attempt.reviews.<provider>.v1, source provider:<provider>); a staff second review (reviewedBy) to the commands topic. Key: attemptCode.",
);

/** The full schema (envelope and data) of each command type. */
export const COMMAND_SCHEMAS = {
  RegisterExam: RegisterExamCommandSchema,
  CreateAttempt: CreateAttemptCommandSchema,
  UpdateAttemptStatus: UpdateAttemptStatusCommandSchema,
  RemoveAttempt: RemoveAttemptCommandSchema,
  RetireLearner: RetireLearnerCommandSchema,
  GrantAllowance: GrantAllowanceCommandSchema,
  RemoveAllowance: RemoveAllowanceCommandSchema,
  RecordReview: RecordReviewCommandSchema,
} as const satisfies Record<CommandType, TSchema>;

// ---------------------------------------------------------------------------------------------
// Types. The wire types (`Static<>`) allow `null` for optional fields; the parsed types do not,
// and `RegisterExam.isActive` is always present after parsing.

/** Optional properties lose `null` (it means "absent"); required ones are unchanged. */
type NullAsAbsent<T> = { [K in keyof T]: undefined extends T[K] ? Exclude<T[K], null> : T[K] };
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What a publisher passes to `buildCommand` (optional fields may be left out). */
export type RegisterExamInput = Simplify<NullAsAbsent<Static<typeof RegisterExamDataSchema>>>;
export type CreateAttemptInput = Simplify<NullAsAbsent<Static<typeof CreateAttemptDataSchema>>>;
export type UpdateAttemptStatusInput = Simplify<NullAsAbsent<Static<typeof UpdateAttemptStatusDataSchema>>>;
export type RemoveAttemptInput = Simplify<NullAsAbsent<Static<typeof RemoveAttemptDataSchema>>>;
export type RetireLearnerInput = Simplify<NullAsAbsent<Static<typeof RetireLearnerDataSchema>>>;
export type GrantAllowanceInput = Static<typeof GrantAllowanceDataSchema>;
export type RemoveAllowanceInput = Static<typeof RemoveAllowanceDataSchema>;
export type RecordReviewInput = Simplify<NullAsAbsent<Static<typeof RecordReviewDataSchema>>>;

/** Parsed command data: no `null` optional fields, defaults applied, unknown fields dropped. */
export type RegisterExamData = Simplify<Omit<RegisterExamInput, 'isActive'> & { isActive: boolean }>;
export type CreateAttemptData = CreateAttemptInput;
export type UpdateAttemptStatusData = UpdateAttemptStatusInput;
export type RemoveAttemptData = RemoveAttemptInput;
export type RetireLearnerData = RetireLearnerInput;
export type GrantAllowanceData = GrantAllowanceInput;
export type RemoveAllowanceData = RemoveAllowanceInput;
export type RecordReviewData = RecordReviewInput;
export type UserData = Static<typeof UserSchema>;

export interface CommandDataMap {
  RegisterExam: RegisterExamData;
  CreateAttempt: CreateAttemptData;
  UpdateAttemptStatus: UpdateAttemptStatusData;
  RemoveAttempt: RemoveAttemptData;
  RetireLearner: RetireLearnerData;
  GrantAllowance: GrantAllowanceData;
  RemoveAllowance: RemoveAllowanceData;
  RecordReview: RecordReviewData;
}

export interface CommandInputMap {
  RegisterExam: RegisterExamInput;
  CreateAttempt: CreateAttemptInput;
  UpdateAttemptStatus: UpdateAttemptStatusInput;
  RemoveAttempt: RemoveAttemptInput;
  RetireLearner: RetireLearnerInput;
  GrantAllowance: GrantAllowanceInput;
  RemoveAllowance: RemoveAllowanceInput;
  RecordReview: RecordReviewInput;
}

/** The `data` a publisher gives `buildCommand` for a command type. */
export type DataFor<T extends CommandType> = CommandInputMap[T];

/** A parsed command of one type. */
export interface CommandEnvelope<T extends CommandType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time?: string;
  datacontenttype?: 'application/json';
  subject?: string;
  correlationid?: string;
  /** W3C traceparent (CloudEvents distributed tracing), only when well formed (see trace-context.ts). */
  traceparent?: string;
  tracestate?: string;
  data: CommandDataMap[T];
}

export type RegisterExamCommand = CommandEnvelope<'RegisterExam'>;
export type CreateAttemptCommand = CommandEnvelope<'CreateAttempt'>;
export type UpdateAttemptStatusCommand = CommandEnvelope<'UpdateAttemptStatus'>;
export type RemoveAttemptCommand = CommandEnvelope<'RemoveAttempt'>;
export type GrantAllowanceCommand = CommandEnvelope<'GrantAllowance'>;
export type RemoveAllowanceCommand = CommandEnvelope<'RemoveAllowance'>;
export type RetireLearnerCommand = CommandEnvelope<'RetireLearner'>;
export type RecordReviewCommand = CommandEnvelope<'RecordReview'>;

/** A parsed, valid command: a discriminated union on `type`. */
export type Command =
  | RegisterExamCommand
  | CreateAttemptCommand
  | UpdateAttemptStatusCommand
  | RemoveAttemptCommand
  | GrantAllowanceCommand
  | RemoveAllowanceCommand
  | RetireLearnerCommand
  | RecordReviewCommand;

export type CommandOfType<T extends CommandType> = Extract<Command, { type: T }>;

export function isCommandOfType<T extends CommandType>(command: Command, type: T): command is CommandOfType<T> {
  return command.type === type;
}

/** The id every event caused by the command carries as `correlationid`. */
export function correlationIdOf(command: Command): string {
  return command.correlationid ?? command.id;
}
