import { Type, type Static } from '@sinclair/typebox';
import { eventEnvelopeProperties, SPEC_VERSION } from './envelope.schema';
import { DateTime, Id, Nullable, StringConst, Text, Uuid } from './field.schemas';
import { DATA_CONTENT_TYPE, DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, MESSAGE_BOUNDS } from './topics';

/*
 * The two dead-letter topics. They are for operators (and `redrive`), not for integration, but
 * their shape is part of the contract all the same.
 */

/** Headers of a message on `proctoring.attempt.commands.v1.dlq`. The value and key are the original ones. */
export const CommandDeadLetterHeadersSchema = Type.Object(
  {
    [DLQ_HEADERS.reason]: Text(1, 1000, { description: 'Why the command could not be read. Never contains message values.' }),
    [DLQ_HEADERS.sourceTopic]: Type.Optional(Id({ description: 'Topic it was read from.' })),
    [DLQ_HEADERS.sourcePartition]: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Partition it was read from.' })),
    [DLQ_HEADERS.sourceOffset]: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'Offset it was read from.' })),
    [DLQ_HEADERS.failedAt]: Type.Optional(DateTime({ description: 'When it was dead-lettered.' })),
    [DLQ_HEADERS.valueTruncated]: Type.Optional(
      Type.String({
        pattern: '^[0-9]+$',
        description: `Only when the value was longer than ${DLQ_MAX_VALUE_BYTES} bytes: its original length. The value holds its first ${DLQ_MAX_VALUE_BYTES} bytes; the whole message is at the source coordinates.`,
      }),
    ),
    [DLQ_HEADERS.keyCut]: Type.Optional(
      Type.String({
        pattern: '^[0-9]+$',
        description: `Only when the key was longer than ${MESSAGE_BOUNDS.keyBytes} bytes: its original length. The dead letter then has no key.`,
      }),
    ),
    [DLQ_HEADERS.headersCut]: Type.Optional(
      Type.String({
        pattern: '^[0-9]+ headers, [0-9]+ bytes$',
        description: `Only when the headers were over their bound (more than ${MESSAGE_BOUNDS.headerCount}, or more than ${MESSAGE_BOUNDS.headerBytes} bytes of names and values): what was received. None of the sender's headers are kept then.`,
      }),
    ),
  },
  { title: 'CommandDeadLetterHeaders', description: 'Kafka headers (UTF-8 strings) of a dead-lettered command.' },
);

/** Value of a message on `proctoring.attempt.commands.v1.dlq`: the original bytes (cut only above DLQ_MAX_VALUE_BYTES). */
export const UnreadableCommandSchema = Type.String({
  title: 'UnreadableCommand',
  description: `The original message value, byte for byte (shown here as a string; it may be empty, not UTF-8 or not JSON), cut to its first ${DLQ_MAX_VALUE_BYTES} bytes if longer (then dlq-value-truncated gives the original length). Key and headers are kept when within their bounds (else left off, named by dlq-key-cut / dlq-headers-cut); headers a sender set under the dlq- prefix are dropped and ours added, so a dead letter always fits the broker's 1 MiB.`,
});

/** The CloudEvents `type` of a message on `proctoring.notifier.dlq.v1`. */
export const EMAIL_DELIVERY_FAILED = 'EmailDeliveryFailed';

/** `data` of an `EmailDeliveryFailed`: which e-mail failed and why. No e-mail address, no e-mail content. */
export const EmailDeliveryFailedDataSchema = Type.Object(
  {
    eventId: Id({ description: 'Id of the AttemptStatusChanged event whose e-mail failed (also the causationid).' }),
    attemptId: Uuid({ description: 'The attempt id (also the subject).' }),
    userId: Id(),
    reason: Text(1, 1000, { description: 'Why it failed (status class or error kind). No personal data.' }),
    statusCode: Nullable(Type.Integer({ minimum: 100, maximum: 599 }), {
      description: "The mail provider's last HTTP status, or null when there was no response.",
    }),
    attempts: Type.Integer({ minimum: 0, description: 'Delivery attempts made (since the last operator requeue).' }),
    failedAt: DateTime({ description: 'When the e-mail was given up on (also the CloudEvents time).' }),
  },
  { description: 'The status e-mail that failed.' },
);

/**
 * A message on `proctoring.notifier.dlq.v1` (key: userId): a CloudEvent like every other message of
 * the contract, with `subject`, `causationid` and `correlationid` but no `sequence` (dead letters
 * are not ordered per learner).
 */
export const EmailDeliveryFailedSchema = Type.Object(
  {
    specversion: eventEnvelopeProperties.specversion,
    id: Id({
      description:
        'A UUID derived from the failed e-mail (its event id and how many times an operator requeued it): a re-publish after a crash keeps it, so deduplicate on it.',
    }),
    source: Id({ description: 'The notifier, "urn:proctoring:notifier" unless configured otherwise (NOTIFIER_EVENT_SOURCE).' }),
    type: StringConst(EMAIL_DELIVERY_FAILED, { description: 'Always "EmailDeliveryFailed".' }),
    time: DateTime({ description: 'When the e-mail was given up on (the same as data.failedAt).' }),
    datacontenttype: StringConst(DATA_CONTENT_TYPE),
    subject: Uuid({ description: 'The attempt id.' }),
    causationid: Id({ description: 'Extension: id of the AttemptStatusChanged event whose e-mail failed.' }),
    correlationid: Id({ description: "Extension: that event's correlationid (its id when the notifier did not record one)." }),
    data: EmailDeliveryFailedDataSchema,
  },
  {
    title: EMAIL_DELIVERY_FAILED,
    description: `A status e-mail that failed permanently or ran out of retries (CloudEvents ${SPEC_VERSION}). Key: userId.`,
  },
);

export type CommandDeadLetterHeaders = Static<typeof CommandDeadLetterHeadersSchema>;
export type EmailDeliveryFailedData = Static<typeof EmailDeliveryFailedDataSchema>;
export type EmailDeliveryFailedEvent = Static<typeof EmailDeliveryFailedSchema>;
