/**
 * The Open edX exam attempt events as openedx-events defines them (signals in
 * `openedx_events/learning/signals.py`, data class `ExamAttemptData` in `openedx_events/learning/data.py`)
 * and the Avro schema its serializer derives from that class. Facts from openedx-events; the code is
 * ours. `exam-attempt.schema.spec.ts` compares these schemas with openedx-events' published schema
 * files (test/fixtures/openedx-events/, source and commit named there).
 */

/** The five exam attempt events (their `event_type`, also the CloudEvents `ce_type` header). */
export const OPENEDX_EXAM_EVENT_TYPES = {
  submitted: 'org.openedx.learning.exam.attempt.submitted.v1',
  rejected: 'org.openedx.learning.exam.attempt.rejected.v1',
  verified: 'org.openedx.learning.exam.attempt.verified.v1',
  errored: 'org.openedx.learning.exam.attempt.errored.v1',
  reset: 'org.openedx.learning.exam.attempt.reset.v1',
} as const;
export type OpenEdxExamEvent = keyof typeof OPENEDX_EXAM_EVENT_TYPES;
export type OpenEdxExamEventType = (typeof OPENEDX_EXAM_EVENT_TYPES)[OpenEdxExamEvent];
export const OPENEDX_EXAM_EVENTS = Object.keys(OPENEDX_EXAM_EVENT_TYPES) as OpenEdxExamEvent[];

/** openedx-events' version whose schemas these are (the `sourcelib` header carries it). */
export const OPENEDX_EVENTS_VERSION = '11.2.0';

/** `UserPersonalData` */
export interface UserPersonalData {
  username: string;
  email: string;
  /** The profile name; openedx-events defaults it to the empty string. */
  name: string;
}

/** `UserData` (`UserNonPersonalData` + pii). `id` is the LMS user id (an integer). */
export interface UserData {
  id: number;
  is_active: boolean;
  pii: UserPersonalData;
}

/** `ExamAttemptData`, as the Avro record carries it (keys as strings). */
export interface ExamAttemptData {
  student_user: UserData;
  course_key: string;
  usage_key: string;
  exam_type: string;
  requesting_user: UserData | null;
}

/** The Avro value of one event: the signal's data keyed by its argument name. */
export interface ExamAttemptEventValue {
  exam_attempt: ExamAttemptData;
}

/** An Avro schema as JSON (what the schema files hold). */
export type AvroSchemaJson = { [key: string]: AvroSchemaNode };
export type AvroSchemaNode = string | number | boolean | null | AvroSchemaNode[] | AvroSchemaJson;

const userData = (): AvroSchemaJson => ({
  name: 'UserData',
  type: 'record',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'is_active', type: 'boolean' },
    {
      name: 'pii',
      type: {
        name: 'UserPersonalData',
        type: 'record',
        fields: [
          { name: 'username', type: 'string' },
          { name: 'email', type: 'string' },
          { name: 'name', type: 'string' },
        ],
      },
    },
  ],
});

/**
 * The value schema of one event, as openedx-events' `AvroSignalSerializer` generates it: a record
 * `CloudEvent` in the event type's namespace with one field per signal argument; attrs classes become
 * records named after the class, `CourseKey`/`UsageKey` strings, a class seen before a reference by
 * name, an attribute with a `None` default a union with null first.
 */
export function examAttemptValueSchema(event: OpenEdxExamEvent): AvroSchemaJson {
  return {
    name: 'CloudEvent',
    type: 'record',
    doc: 'Avro Event Format for CloudEvents created with openedx_events/schema',
    fields: [
      {
        name: 'exam_attempt',
        type: {
          name: 'ExamAttemptData',
          type: 'record',
          fields: [
            { name: 'student_user', type: userData() },
            { name: 'course_key', type: 'string' },
            { name: 'usage_key', type: 'string' },
            { name: 'exam_type', type: 'string' },
            { name: 'requesting_user', type: ['null', 'UserData'], default: null },
          ],
        },
      },
    ],
    namespace: OPENEDX_EXAM_EVENT_TYPES[event],
  };
}

/**
 * The key: event-bus-kafka serializes the field named by the producer's `event_key_field`
 * (`exam_attempt.course_key` in edx-exams' `EVENT_BUS_PRODUCER_CONFIG`) with the sub-schema of that
 * field — the field's own entry, `{"name": "course_key", "type": "string"}`, i.e. an Avro string.
 */
export const EVENT_KEY_FIELD = 'exam_attempt.course_key';
export const KEY_SCHEMA: AvroSchemaJson = { name: 'course_key', type: 'string' };

/**
 * Subject names: event-bus-kafka's serializers use confluent-kafka's `topic_record_subject_name_strategy`,
 * `<topic>-<record name>`. The value's record name is the full name of the `CloudEvent` record
 * (`<namespace>.CloudEvent`); the key's schema is a primitive, whose name is its type (`string`).
 */
export function valueSubject(topic: string, event: OpenEdxExamEvent): string {
  return `${topic}-${OPENEDX_EXAM_EVENT_TYPES[event]}.CloudEvent`;
}
export function keySubject(topic: string): string {
  return `${topic}-string`;
}

/**
 * The schema text as event-bus-kafka registers it: Python's `json.dumps(schema, sort_keys=True)`
 * (separators `", "` and `": "`, keys sorted, non-ASCII escaped). The registry stores the text it is
 * given, so ours is the same text as a Python producer's.
 */
export function pythonJsonDumps(value: AvroSchemaNode): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return asciiJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${asciiJsonString(k)}: ${pythonJsonDumps(value[k])}`).join(', ')}}`;
}

function asciiJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The topic name: event-bus-kafka prefixes the base topic with `EVENT_BUS_TOPIC_PREFIX` and a hyphen
 * when a prefix is set (`dev` + `learning-exam-attempt-lifecycle` → `dev-learning-exam-attempt-lifecycle`).
 */
export function fullTopic(baseTopic: string, prefix: string | undefined): string {
  return prefix ? `${prefix}-${baseTopic}` : baseTopic;
}

/** edx-exams' topic for the five events (its `EXAM_ATTEMPT_EVENTS_KAFKA_TOPIC_NAME`). */
export const DEFAULT_OPENEDX_TOPIC = 'learning-exam-attempt-lifecycle';
