import type { TSchema } from '@sinclair/typebox';
import { COMMAND_SCHEMAS, COMMAND_TYPES, type CommandType } from './command.schemas';
import { EVENT_SCHEMAS, EVENT_TYPES, eventTopics, type EventType } from './event.schemas';
import { toPlainSchema } from './field.schemas';
import { EMAIL_DELIVERY_FAILED, EmailDeliveryFailedSchema } from './dead-letter.schemas';
import {
  COMMAND_EXAMPLES,
  EMAIL_DELIVERY_FAILED_EXAMPLE,
  EVENT_EXAMPLES,
  UNREADABLE_COMMAND_EXAMPLE,
} from './message.examples';
import { allSchemas } from './schema-registry';
import { CLOUDEVENTS_CONTENT_TYPE, CONSUMER_GROUPS, DLQ_HEADERS, providerReviewTopics, TOPICS } from './topics';

/*
 * Builds the AsyncAPI 3.0.0 document of contract v1 from the schemas and examples in this library.
 * Written to docs/asyncapi.yaml by scripts/generate-contracts.ts; never edit the YAML by hand.
 */

export const CONTRACT_VERSION = '1.0.0';
export const KAFKA_BINDING_VERSION = '0.5.0';
export const PARTITIONS = 3;
/** Replication factor of the local single-broker setup; production clusters use 3. */
export const LOCAL_REPLICAS = 1;
export const SCHEMA_ID_PREFIX = 'urn:proctoring-attempts:contract:v1:';

type Json = Record<string, unknown>;

const KEYWORD_ORDER = [
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'default',
  'required',
  'properties',
  'anyOf',
  'not',
];

/**
 * The schema as plain JSON with its keywords in a fixed order (`title`, `description`, `type`, …,
 * `required`, `properties`, then the rest alphabetically). Property order is kept as declared.
 */
export function canonicalSchema(schema: TSchema): Json {
  return reorder(toPlainSchema(schema));
}

function reorder(node: Json): Json {
  const keys = Object.keys(node).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: Json = {};
  for (const key of keys) {
    const value = node[key];
    if (key === 'properties' && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? reorder(v) : v]));
    } else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((v: unknown) => (isObject(v) ? reorder(v) : v));
    } else if ((key === 'not' || key === 'items' || key === 'additionalProperties') && isObject(value)) {
      out[key] = reorder(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function rank(key: string): number {
  const i = KEYWORD_ORDER.indexOf(key);
  return i === -1 ? KEYWORD_ORDER.length : i;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The standalone JSON Schema (draft-07) of a named schema, as written to docs/schemas/. */
export function jsonSchemaDocument(name: string, schema: TSchema): Json {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `${SCHEMA_ID_PREFIX}${name}`,
    ...canonicalSchema(schema),
  };
}

/** kebab-case file stem of a schema name: `UpdateAttemptStatus` → `update-attempt-status`. */
export function schemaFileStem(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

const ref = (path: string) => ({ $ref: path });
const schemaRef = (name: string) => ref(`#/components/schemas/${name}`);
const messageRef = (name: string) => ref(`#/components/messages/${name}`);

/** `application/cloudevents+json`, with parameters (e.g. `; charset=utf-8`) and in any case. */
const STRUCTURED_CONTENT_TYPE = {
  type: 'string',
  pattern: '^[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/[Cc][Ll][Oo][Uu][Dd][Ee][Vv][Ee][Nn][Tt][Ss]\\+[Jj][Ss][Oo][Nn][ \\t]*(;.*)?$',
  description: 'Structured mode: application/cloudevents+json; parameters such as charset=utf-8 are accepted and ignored.',
};

/** Headers of a command: structured mode, or binary mode (Kafka protocol binding of CloudEvents). */
const COMMAND_HEADERS = {
  type: 'object',
  description:
    'Structured mode: `content-type: application/cloudevents+json` (parameters ignored) and the whole CloudEvent as the value. Binary mode: the attributes as `ce_<attribute>` headers (`ce_specversion`, `ce_id`, `ce_source`, `ce_type`, optional `ce_time`, `ce_subject`, `ce_correlationid`, `ce_traceparent`, `ce_tracestate`), `content-type: application/json` (parameters ignored) as `datacontenttype`, and `data` as the value. A message with `ce_specversion` and a content-type that is not a structured CloudEvents type is read in binary mode; any other message in structured mode. At most 32 headers and 16 KiB of header names and values.',
  properties: {
    'content-type': {
      oneOf: [STRUCTURED_CONTENT_TYPE, { type: 'string', pattern: '^[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/[Jj][Ss][Oo][Nn][ \\t]*(;.*)?$', description: 'Binary mode: application/json.' }],
    },
    ce_specversion: { type: 'string', const: '1.0', description: 'Binary mode only.' },
    ce_id: { type: 'string', description: 'Binary mode only: the command id.' },
    ce_source: { type: 'string', description: 'Binary mode only: the publisher.' },
    ce_type: { type: 'string', description: 'Binary mode only: the command type.' },
    ce_time: { type: 'string', format: 'date-time', description: 'Binary mode only, optional.' },
    ce_correlationid: { type: 'string', description: 'Binary mode only, optional.' },
    ce_traceparent: {
      type: 'string',
      description:
        'Binary mode only, optional: W3C traceparent (CloudEvents distributed tracing), as the `traceparent` attribute in structured mode. Malformed: ignored (a new trace starts), never a rejection.',
    },
    ce_tracestate: { type: 'string', description: 'Binary mode only, optional: W3C tracestate, as the `tracestate` attribute.' },
  },
};

/** Headers of an event (always structured mode). */
const EVENT_HEADERS = {
  type: 'object',
  properties: {
    'content-type': { type: 'string', const: CLOUDEVENTS_CONTENT_TYPE },
    'ce-type': {
      type: 'string',
      description:
        'The event type, repeated from the payload so a consumer can skip types it ignores without parsing the value. Informational (the payload is authoritative); not the binary-mode `ce_type` attribute.',
    },
    traceparent: {
      type: 'string',
      description:
        "Optional, transport-level W3C trace context: the attempt-service's publish span of this message (a child of the event's `traceparent` attribute, which stays the creation context). Present when the event carries a `traceparent`.",
    },
    tracestate: { type: 'string', description: 'Optional: W3C tracestate, with the `traceparent` header.' },
  },
};

const COMMAND_KEYS: Record<CommandType, string> = {
  RegisterExam: 'courseId',
  CreateAttempt: 'userId',
  UpdateAttemptStatus: "userId when the publisher knows it, else the attempt's id or code",
  RemoveAttempt: "userId when the publisher knows it, else the attempt's id",
  RetireLearner: 'userId',
  GrantAllowance: 'userId',
  RemoveAllowance: 'userId',
  RecordReview: 'attemptCode',
};

const EVENT_KEYS: Record<EventType, string> = {
  AttemptCreated: 'userId',
  AttemptStatusChanged: 'userId',
  AttemptRemoved: 'userId',
  AttemptReviewed: 'userId',
  CommandProcessed: 'userId (RegisterExam: courseId)',
  CommandRejected: "userId (RegisterExam: courseId); when neither is readable, the key the command arrived with, else its id",
  CredentialRequirementUpdated: 'userId',
  CredentialRequirementRemoved: 'userId',
  EventDropped: 'the key of the message it replaces',
  LearnerRetired: 'userId',
  AllowanceGranted: 'userId',
  AllowanceRemoved: 'userId',
  AttemptTimeLimitChanged: 'userId',
};

const EVENT_SUMMARIES: Record<EventType, string> = {
  AttemptCreated: 'An attempt was created.',
  AttemptStatusChanged: "An attempt's status changed.",
  AttemptRemoved: 'An attempt was removed or replaced.',
  AttemptReviewed: 'A review of an attempt was stored.',
  CommandProcessed: 'A command was applied (or was a no-op).',
  CommandRejected: 'A command was rejected.',
  CredentialRequirementUpdated: "A learner's credit requirement status changed.",
  CredentialRequirementRemoved: "A learner's credit requirement status was removed.",
  EventDropped: 'A message the broker refused as too large was replaced by this marker (same id, key and sequence).',
  LearnerRetired: 'A learner was retired: scrub what you hold about them and send them nothing more.',
  AllowanceGranted: "A learner's allowance was granted (time keys carry their value; a review policy exception never does).",
  AllowanceRemoved: "A learner's allowance was removed.",
  AttemptTimeLimitChanged: "An incomplete attempt's allowed time changed with an allowance (the expiry moves).",
};

const COMMAND_SUMMARIES: Record<CommandType, string> = {
  RegisterExam: 'Register or update an exam.',
  CreateAttempt: "Create a learner's attempt.",
  UpdateAttemptStatus: "Change an attempt's status.",
  RemoveAttempt: 'Remove an attempt.',
  RetireLearner: "Retire a learner: scrub their personal data.",
  GrantAllowance: 'Grant an allowance (extra time, a time multiplier, a review policy exception).',
  RemoveAllowance: 'Remove an allowance.',
  RecordReview: 'Record a review of an attempt (a provider, or a staff second review).',
};

function kafkaKey(description: string) {
  return { kafka: { key: { type: 'string', description }, bindingVersion: KAFKA_BINDING_VERSION } };
}

function cloudEventMessage(name: string, summary: string, schema: TSchema, key: string, example: unknown, headers: Json): Json {
  return {
    name,
    title: name,
    summary,
    description: (schema as { description?: string }).description,
    contentType: CLOUDEVENTS_CONTENT_TYPE,
    correlationId: { description: 'CloudEvents extension `correlationid`.', location: '$message.payload#/correlationid' },
    headers,
    payload: schemaRef(name),
    bindings: kafkaKey(key),
    examples: [{ name: `${name}Example`, summary, headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE }, payload: example }],
  };
}

/** The review topics of SPEC §8.4 with their provider as a channel parameter. */
export const REVIEW_TOPIC_TEMPLATES = providerReviewTopics('{provider}');
const REVIEW_OUTCOME_TYPES = ['AttemptReviewed', 'CommandProcessed', 'CommandRejected'] as const;
const PROVIDER_PARAMETER = { description: 'A provider name of the providers file (^[a-z0-9][a-z0-9_-]{0,47}$).' };

function kafkaChannel(address: string) {
  return {
    kafka: { topic: address, partitions: PARTITIONS, replicas: LOCAL_REPLICAS, bindingVersion: KAFKA_BINDING_VERSION },
  };
}

function consumerGroup(groupId: string) {
  return { kafka: { groupId: { type: 'string', enum: [groupId] }, bindingVersion: KAFKA_BINDING_VERSION } };
}

/** The AsyncAPI document, as plain data (deterministic: every map is built in a fixed order). */
export function buildAsyncApiDocument(): Json {
  const attemptEventTypes = EVENT_TYPES.filter((t) => eventTopics(t).includes(TOPICS.attemptEvents));
  const credentialEventTypes = EVENT_TYPES.filter((t) => eventTopics(t).includes(TOPICS.credentialEvents));
  const schemas = allSchemas();

  const messages: Json = {};
  for (const t of COMMAND_TYPES) {
    messages[t] = cloudEventMessage(t, COMMAND_SUMMARIES[t], COMMAND_SCHEMAS[t], COMMAND_KEYS[t], COMMAND_EXAMPLES[t], COMMAND_HEADERS);
  }
  for (const t of EVENT_TYPES) {
    messages[t] = cloudEventMessage(t, EVENT_SUMMARIES[t], EVENT_SCHEMAS[t], EVENT_KEYS[t], EVENT_EXAMPLES[t], EVENT_HEADERS);
  }
  messages.UnreadableCommand = {
    name: 'UnreadableCommand',
    title: 'UnreadableCommand',
    summary: 'A command message that could not be read at all.',
    description:
      'Not JSON, not an object, larger than 64 KiB, or without a readable id and source. Re-published unchanged (key, value, original headers) with dlq-* headers added; `redrive` re-publishes it after a fix.',
    contentType: 'application/octet-stream',
    headers: schemaRef('CommandDeadLetterHeaders'),
    payload: schemaRef('UnreadableCommand'),
    bindings: kafkaKey('The original key (may be absent).'),
    examples: [
      {
        name: 'UnreadableCommandExample',
        summary: 'A truncated command.',
        headers: UNREADABLE_COMMAND_EXAMPLE.headers,
        payload: UNREADABLE_COMMAND_EXAMPLE.payload,
      },
    ],
  };
  messages[EMAIL_DELIVERY_FAILED] = {
    ...cloudEventMessage(
      EMAIL_DELIVERY_FAILED,
      'A status e-mail failed permanently or ran out of retries.',
      EmailDeliveryFailedSchema,
      'userId',
      EMAIL_DELIVERY_FAILED_EXAMPLE,
      EVENT_HEADERS,
    ),
    description:
      'A CloudEvent like every other message: subject is the attempt id, causationid the AttemptStatusChanged event id, correlationid copied from that event. It carries no e-mail address and no e-mail content. Its id is stable per failure: a re-publish after a crash keeps it.',
    headers: {
      type: 'object',
      properties: {
        'content-type': { type: 'string', const: CLOUDEVENTS_CONTENT_TYPE },
        [DLQ_HEADERS.reason]: { type: 'string', maxLength: 200, description: 'data.reason, cut to 200 characters.' },
        [DLQ_HEADERS.failedAt]: { type: 'string', format: 'date-time', description: 'data.failedAt.' },
      },
    },
    examples: [
      {
        name: `${EMAIL_DELIVERY_FAILED}Example`,
        summary: 'The mail provider refused the message.',
        headers: {
          'content-type': CLOUDEVENTS_CONTENT_TYPE,
          [DLQ_HEADERS.reason]: EMAIL_DELIVERY_FAILED_EXAMPLE.data.reason,
          [DLQ_HEADERS.failedAt]: EMAIL_DELIVERY_FAILED_EXAMPLE.data.failedAt,
        },
        payload: EMAIL_DELIVERY_FAILED_EXAMPLE,
      },
    ],
  };

  const channelMessages = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, messageRef(n)]));
  const opMessages = (channel: string, names: readonly string[]) =>
    names.map((n) => ref(`#/channels/${channel}/messages/${n}`));

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Proctoring attempts',
      version: CONTRACT_VERSION,
      description: [
        "Wire contract v1 of the proctoring attempt services: the exam-attempt status engine of Open edX's edx-proctoring, rebuilt on Kafka.",
        '',
        'Every command and event (and every failed e-mail on the notifier DLQ) is a CloudEvents 1.0 document in structured JSON mode (`content-type: application/cloudevents+json`); commands may also arrive in binary mode (`ce_*` headers, data as the value). (`source`, `id`) is the idempotency key of a command. Unknown fields are ignored; optional command fields may be absent or null. Fields may be added within v1; none are renamed or removed.',
        '',
        'Generated from libs/contracts by scripts/generate-contracts.ts. The prose guide is docs/messaging.md.',
      ].join('\n'),
      license: { name: 'AGPL-3.0-only', url: 'https://www.gnu.org/licenses/agpl-3.0.html' },
      tags: [{ name: 'attempt-service' }, { name: 'notifier' }],
    },
    defaultContentType: CLOUDEVENTS_CONTENT_TYPE,
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        protocolVersion: '4.4',
        description: 'Single-node Apache Kafka 4.4 (KRaft) for development; the 3.9 line is supported too.',
      },
    },
    channels: {
      commands: {
        address: TOPICS.commands,
        title: 'Attempt commands',
        description: 'Commands to the attempt-service. Key: userId (RegisterExam: courseId).',
        messages: channelMessages(COMMAND_TYPES),
        bindings: kafkaChannel(TOPICS.commands),
      },
      attemptEvents: {
        address: TOPICS.attemptEvents,
        title: 'Attempt events',
        description: 'Attempt changes and command outcomes, in commit order per key. Key: userId (exam outcomes: courseId).',
        messages: channelMessages(attemptEventTypes),
        bindings: kafkaChannel(TOPICS.attemptEvents),
      },
      credentialEvents: {
        address: TOPICS.credentialEvents,
        title: 'Credential events',
        description: 'Credit requirement updates for downstream credit systems. Key: userId.',
        messages: channelMessages(credentialEventTypes),
        bindings: kafkaChannel(TOPICS.credentialEvents),
      },
      commandsDlq: {
        address: TOPICS.commandsDlq,
        title: 'Unreadable commands',
        description: 'Command messages that could not be read at all, with the reason in headers. Key: as received.',
        messages: channelMessages(['UnreadableCommand', 'EventDropped']),
        bindings: kafkaChannel(TOPICS.commandsDlq),
      },
      providerReviews: {
        address: REVIEW_TOPIC_TEMPLATES.reviews,
        title: "A provider's reviews",
        description:
          "One topic per provider of the providers file (SPEC §8.4): only that provider's RecordReview, with source provider:<provider> and no reviewedBy (anything else is rejected FORBIDDEN). Key: attemptCode.",
        parameters: { provider: PROVIDER_PARAMETER },
        messages: channelMessages(['RecordReview']),
        bindings: kafkaChannel(REVIEW_TOPIC_TEMPLATES.reviews),
      },
      providerReviewOutcomes: {
        address: REVIEW_TOPIC_TEMPLATES.outcomes,
        title: "A provider's review outcomes",
        description:
          "Copies (same id, key, sequence and value) of the AttemptReviewed and the outcome of each command from the provider's review topic. Never learner data. Key: as on the attempt events topic.",
        parameters: { provider: PROVIDER_PARAMETER },
        messages: channelMessages(REVIEW_OUTCOME_TYPES),
        bindings: kafkaChannel(REVIEW_TOPIC_TEMPLATES.outcomes),
      },
      notifierDlq: {
        address: TOPICS.notifierDlq,
        title: 'Failed e-mails',
        description: 'Status e-mails that failed permanently or ran out of retries. Key: userId.',
        messages: channelMessages([EMAIL_DELIVERY_FAILED]),
        bindings: kafkaChannel(TOPICS.notifierDlq),
      },
    },
    operations: {
      consumeCommands: {
        action: 'receive',
        channel: ref('#/channels/commands'),
        title: 'Consume commands',
        summary: 'The attempt-service applies each command once and publishes its events and exactly one outcome.',
        messages: opMessages('commands', COMMAND_TYPES),
        bindings: consumerGroup(CONSUMER_GROUPS.attemptService),
        tags: [{ name: 'attempt-service' }],
      },
      consumeProviderReviews: {
        action: 'receive',
        channel: ref('#/channels/providerReviews'),
        title: "Consume providers' reviews",
        summary: "The attempt-service applies each provider's review once (SPEC §8.1), with the commands' group.",
        messages: opMessages('providerReviews', ['RecordReview']),
        bindings: consumerGroup(CONSUMER_GROUPS.attemptService),
        tags: [{ name: 'attempt-service' }],
      },
      publishReviewOutcomes: {
        action: 'send',
        channel: ref('#/channels/providerReviewOutcomes'),
        title: 'Publish review outcomes to the provider',
        summary: "The attempt-service copies a provider's review outcomes to its outcomes topic (from its outbox, after commit).",
        messages: opMessages('providerReviewOutcomes', REVIEW_OUTCOME_TYPES),
        tags: [{ name: 'attempt-service' }],
      },
      publishAttemptEvents: {
        action: 'send',
        channel: ref('#/channels/attemptEvents'),
        title: 'Publish attempt events',
        summary: 'The attempt-service publishes attempt changes and command outcomes (from its outbox, after commit).',
        messages: opMessages('attemptEvents', attemptEventTypes),
        tags: [{ name: 'attempt-service' }],
      },
      publishCredentialEvents: {
        action: 'send',
        channel: ref('#/channels/credentialEvents'),
        title: 'Publish credential events',
        summary: 'The attempt-service publishes credit requirement changes (from its outbox, after commit).',
        messages: opMessages('credentialEvents', credentialEventTypes),
        tags: [{ name: 'attempt-service' }],
      },
      deadLetterCommands: {
        action: 'send',
        channel: ref('#/channels/commandsDlq'),
        title: 'Dead-letter unreadable commands',
        summary: 'The attempt-service parks command messages it cannot read, then moves on.',
        messages: opMessages('commandsDlq', ['UnreadableCommand', 'EventDropped']),
        tags: [{ name: 'attempt-service' }],
      },
      consumeStatusChanges: {
        action: 'receive',
        channel: ref('#/channels/attemptEvents'),
        title: 'Consume status changes',
        summary: 'The notifier records the status e-mail each qualifying AttemptStatusChanged needs; other events are skipped.',
        messages: opMessages('attemptEvents', ['AttemptStatusChanged']),
        bindings: consumerGroup(CONSUMER_GROUPS.notifier),
        tags: [{ name: 'notifier' }],
      },
      deadLetterEmails: {
        action: 'send',
        channel: ref('#/channels/notifierDlq'),
        title: 'Dead-letter failed e-mails',
        summary: 'The notifier publishes e-mails that failed permanently or ran out of retries.',
        messages: opMessages('notifierDlq', [EMAIL_DELIVERY_FAILED]),
        tags: [{ name: 'notifier' }],
      },
    },
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, canonicalSchema(s)])),
      messages,
    },
  };
}
