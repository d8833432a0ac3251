/**
 * Wire contract v1 of the proctoring attempt services: topics, CloudEvents envelopes, command and
 * event schemas (TypeBox, i.e. JSON Schema), their validators, and a small typed client.
 * The schemas here are the single source of the published JSON Schemas and AsyncAPI document.
 */
export * from './topics';
export {
  DATE_TIME_MAX_LENGTH,
  EMAIL_PATTERN,
  ID_MAX_LENGTH,
  ID_PATTERN,
  MINUTES_MAX,
  NAME_MAX_LENGTH,
  REASON_MAX_LENGTH,
  SAFE_TEXT_PATTERN,
  SEQUENCE_PATTERN,
  STATUS_MAX_LENGTH,
  UUID_PATTERN,
} from './field.schemas';
export { CommandEnvelopeSchema, SPEC_VERSION } from './envelope.schema';
export {
  isTraceparent,
  isTracestate,
  readTraceContext,
  sanitizeTraceAttributes,
  TRACEPARENT_LENGTH,
  TRACEPARENT_PATTERN,
  TRACESTATE_MAX_LENGTH,
  TRACESTATE_MAX_MEMBERS,
  type TraceContext,
} from './trace-context';
export * from './command.schemas';
export * from './event.schemas';
export * from './dead-letter.schemas';
export { isBinaryMode, mediaType, parseBinaryCommand, parseCommand, type ParsedCommand, type ParseRejectionReason } from './command-parser';
export {
  parseEmailDeliveryFailed,
  parseEvent,
  validateEmailDeliveryFailed,
  validateEvent,
  type EmailDeliveryFailedValidation,
  type EventValidation,
  type ValidateEventOptions,
} from './event-parser';
export {
  buildCommand,
  retireLearner,
  commandKey,
  commandMessage,
  grantAllowance,
  grantAllowanceToMany,
  InvalidCommandError,
  removeAllowance,
  sendAllowanceToMany,
  sendCommands,
  type AllowanceGrant,
  sendReview,
  type BuildCommandOptions,
  type CommandMessage,
  type CommandProducer,
} from './command-client';
export { allSchemas, compileContracts, messageSchemas, type MessageKind, type MessageSchema } from './schema-registry';
