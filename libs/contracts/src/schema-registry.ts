import type { TSchema } from '@sinclair/typebox';
import { COMMAND_SCHEMAS, COMMAND_TYPES } from './command.schemas';
import {
  CommandDeadLetterHeadersSchema,
  EMAIL_DELIVERY_FAILED,
  EmailDeliveryFailedSchema,
  UnreadableCommandSchema,
} from './dead-letter.schemas';
import { CommandEnvelopeSchema } from './envelope.schema';
import { EVENT_SCHEMAS, EVENT_TYPES } from './event.schemas';
import { compileAll } from './schema-validator';

/** Who reads a message: commands are read by the attempt-service, events by everyone else, dead letters by operators. */
export type MessageKind = 'command' | 'event' | 'dead-letter';

export interface MessageSchema {
  name: string;
  kind: MessageKind;
  schema: TSchema;
}

/** Every message of contract v1 with its schema, in a fixed order. */
export function messageSchemas(): MessageSchema[] {
  return [
    ...COMMAND_TYPES.map((name): MessageSchema => ({ name, kind: 'command', schema: COMMAND_SCHEMAS[name] })),
    ...EVENT_TYPES.map((name): MessageSchema => ({ name, kind: 'event', schema: EVENT_SCHEMAS[name] })),
    { name: EMAIL_DELIVERY_FAILED, kind: 'dead-letter', schema: EmailDeliveryFailedSchema },
  ];
}

/**
 * Every named schema of the contract, for the generator: each command (envelope and data), each
 * event, the generic command envelope, and the dead-letter payloads and headers. Keys are sorted.
 */
export function allSchemas(): Record<string, TSchema> {
  const entries: [string, TSchema][] = [
    ...messageSchemas().map((m): [string, TSchema] => [m.name, m.schema]),
    ['CommandEnvelope', CommandEnvelopeSchema],
    ['UnreadableCommand', UnreadableCommandSchema],
    ['CommandDeadLetterHeaders', CommandDeadLetterHeadersSchema],
  ];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

/**
 * Compiles every schema of the contract now rather than on first use: call it at start-up, before
 * consuming, so a broken schema fails the boot and the first message is not slowed down.
 */
export function compileContracts(): void {
  compileAll(Object.values(allSchemas()));
}
