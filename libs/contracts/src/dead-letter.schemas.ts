import { Type, type Static } from '@sinclair/typebox';
import { DateTime, Id, Nullable, Text, Uuid } from './field.schemas';
import { DLQ_HEADERS } from './topics';

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
  },
  { title: 'CommandDeadLetterHeaders', description: 'Kafka headers (UTF-8 strings) of a dead-lettered command.' },
);

/** Value of a message on `proctoring.attempt.commands.v1.dlq`: the original bytes, unchanged. */
export const UnreadableCommandSchema = Type.String({
  title: 'UnreadableCommand',
  description:
    'The original message value, byte for byte (shown here as a string; it may be empty, not UTF-8 or not JSON). Key and headers are kept, with the dlq-* headers added.',
});

/** Value of a message on `proctoring.notifier.dlq.v1` (plain JSON, key: userId). No e-mail address, no e-mail content. */
export const FailedEmailSchema = Type.Object(
  {
    eventId: Id({ description: 'Id of the AttemptStatusChanged event whose e-mail failed.' }),
    attemptId: Uuid(),
    userId: Id(),
    reason: Text(1, 1000, { description: 'Why it failed (status class or error kind). No personal data.' }),
    statusCode: Nullable(Type.Integer({ minimum: 100, maximum: 599 }), {
      description: "The mail provider's last HTTP status, or null when there was no response.",
    }),
    attempts: Type.Integer({ minimum: 0, description: 'Delivery attempts made.' }),
    failedAt: DateTime({ description: 'When the e-mail was given up on.' }),
  },
  {
    title: 'FailedEmail',
    description: 'A status e-mail that failed permanently or ran out of retries.',
  },
);

export type CommandDeadLetterHeaders = Static<typeof CommandDeadLetterHeadersSchema>;
export type FailedEmail = Static<typeof FailedEmailSchema>;
