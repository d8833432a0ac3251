import { Type, type TSchema } from '@sinclair/typebox';
import { DateTime, Id, OptionalInput, SEQUENCE_PATTERN, StringConst } from './field.schemas';
import { TRACEPARENT_LENGTH, TRACEPARENT_PATTERN, TRACESTATE_MAX_LENGTH } from './trace-context';
import { DATA_CONTENT_TYPE } from './topics';

/*
 * CloudEvents 1.0, structured JSON mode. Attribute names are the CloudEvents ones (lower case, no
 * separators); `correlationid`, `causationid` and `sequence` are extension attributes, and so are
 * `traceparent` / `tracestate` (the CloudEvents distributed-tracing extension, W3C Trace Context).
 * No schema sets `additionalProperties: false`: unknown attributes and fields are accepted and
 * ignored, so fields can be added within v1 without breaking anyone.
 */

export const SPEC_VERSION = '1.0';

/** Envelope attributes of a command (everything but `type` and `data`, which each command narrows). */
export const commandEnvelopeProperties = {
  specversion: StringConst(SPEC_VERSION, { description: 'CloudEvents version, always "1.0".' }),
  id: Id({
    description:
      'Unique per source. (source, id) is the idempotency key: a repeat is acknowledged with no effect, even if its payload differs.',
  }),
  source: Id({ description: 'Identifies the publisher, e.g. "lms" or "https://studio.example.com/proctoring".' }),
  time: OptionalInput(DateTime({ description: 'When the publisher created the command. Informational only.' })),
  datacontenttype: OptionalInput(StringConst(DATA_CONTENT_TYPE, { description: 'When present, "application/json".' })),
  subject: OptionalInput(Id({ description: 'Free for the publisher; not interpreted.' })),
  correlationid: OptionalInput(
    Id({ description: 'Extension: copied to every event the command causes (defaults to the command id).' }),
  ),
  traceparent: OptionalInput(
    Type.String({
      minLength: TRACEPARENT_LENGTH,
      maxLength: TRACEPARENT_LENGTH,
      pattern: TRACEPARENT_PATTERN,
      description:
        'Extension (CloudEvents distributed tracing): W3C traceparent, version 00. The processing of the command continues this trace, and every event it causes carries it on. A missing or malformed value starts a new trace; it never makes the command invalid (the service ignores it).',
    }),
  ),
  tracestate: OptionalInput(
    Type.String({
      maxLength: TRACESTATE_MAX_LENGTH,
      description:
        'Extension (CloudEvents distributed tracing): W3C tracestate, kept with a valid traceparent. A malformed value (or one over 512 characters, or more than 32 members) is ignored, never a rejection.',
    }),
  ),
};

/** Any command, before its `type` is known: the envelope the parser checks first. */
export const CommandEnvelopeSchema = Type.Object(
  {
    specversion: commandEnvelopeProperties.specversion,
    id: commandEnvelopeProperties.id,
    source: commandEnvelopeProperties.source,
    type: Id({ description: 'Command type: RegisterExam, CreateAttempt, UpdateAttemptStatus, RemoveAttempt or RetireLearner.' }),
    time: commandEnvelopeProperties.time,
    datacontenttype: commandEnvelopeProperties.datacontenttype,
    subject: commandEnvelopeProperties.subject,
    correlationid: commandEnvelopeProperties.correlationid,
    traceparent: commandEnvelopeProperties.traceparent,
    tracestate: commandEnvelopeProperties.tracestate,
    data: Type.Object({}, { description: 'The command payload; its shape depends on `type`.' }),
  },
  { title: 'CommandEnvelope' },
);

/** A complete command schema: the envelope with `type` fixed and `data` narrowed. */
export function commandSchema<const T extends string, D extends TSchema>(type: T, data: D, description: string) {
  const { specversion, id, source, ...rest } = commandEnvelopeProperties;
  return Type.Object(
    { specversion, id, source, type: StringConst(type, { description: 'The command type.' }), ...rest, data },
    { title: type, description },
  );
}

/** Envelope attributes of an event (everything but `type` and `data`). All but `subject`, `traceparent` and `tracestate` are always present. */
export const eventEnvelopeProperties = {
  specversion: StringConst(SPEC_VERSION, { description: 'CloudEvents version, always "1.0".' }),
  id: Id({ description: 'Unique event id. A re-published event (after a crash) keeps its id: deduplicate on it.' }),
  source: Id({ description: 'The publishing service, e.g. "attempt-service".' }),
  time: DateTime({ description: 'When the change was committed (service clock).' }),
  datacontenttype: StringConst(DATA_CONTENT_TYPE),
  subject: Type.Optional(Id({ description: 'The attempt id, on every event about an attempt.' })),
  causationid: Id({ description: 'Extension: id of the command that caused the event.' }),
  correlationid: Id({ description: "Extension: the causing command's correlationid, else its id." }),
  sequence: Type.String({
    pattern: SEQUENCE_PATTERN,
    description:
      'Extension: decimal integer as a string, strictly increasing per message key (the userId; the courseId for exam outcomes) in commit order. Compare numerically, not as text.',
  }),
  traceparent: Type.Optional(
    Type.String({
      minLength: TRACEPARENT_LENGTH,
      maxLength: TRACEPARENT_LENGTH,
      pattern: TRACEPARENT_PATTERN,
      description:
        "Extension (CloudEvents distributed tracing): W3C traceparent of the event's creation, in the trace of the command that caused it (its parent is the service's span that processed the command). Present when the command carried a valid traceparent or the service traces; the Kafka header `traceparent` carries the publish span (transport).",
    }),
  ),
  tracestate: Type.Optional(
    Type.String({ maxLength: TRACESTATE_MAX_LENGTH, description: 'Extension (CloudEvents distributed tracing): W3C tracestate, with traceparent.' }),
  ),
};

/** A complete event schema: the envelope with `type` fixed and `data` narrowed. */
export function eventSchema<const T extends string, D extends TSchema>(type: T, data: D, description: string) {
  const { specversion, id, source, ...rest } = eventEnvelopeProperties;
  return Type.Object(
    { specversion, id, source, type: StringConst(type, { description: 'The event type.' }), ...rest, data },
    { title: type, description },
  );
}
