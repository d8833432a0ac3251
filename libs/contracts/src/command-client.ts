import { randomUUID } from 'node:crypto';
import {
  COMMAND_SCHEMAS,
  isCommandType,
  type Command,
  type CommandOfType,
  type CommandType,
  type DataFor,
} from './command.schemas';
import { SPEC_VERSION } from './envelope.schema';
import { check, normalize } from './schema-validator';
import { isTracestate } from './trace-context';
import { CLOUDEVENTS_CONTENT_TYPE, DATA_CONTENT_TYPE, MAX_MESSAGE_BYTES, providerReviewTopics, TOPICS } from './topics';

/** A command that does not satisfy the contract (a programming error in the publisher). */
export class InvalidCommandError extends Error {
  override readonly name = 'InvalidCommandError';
}

export interface BuildCommandOptions {
  /** The publisher, e.g. "lms". With `id` it is the idempotency key. */
  source: string;
  /** Defaults to a random UUID. Reuse the same id when retrying the same logical command. */
  id?: string;
  /** Defaults to none (the service then uses the command id). */
  correlationId?: string;
  /** Defaults to now. Informational only: the service uses its own clock. */
  time?: Date;
  subject?: string;
  /**
   * The publisher's W3C trace context (CloudEvents distributed tracing): the service's processing of
   * the command, and every event it causes, continue this trace. Must be well formed.
   */
  traceparent?: string;
  tracestate?: string;
}

/**
 * Builds a command as the parser would return it (defaults applied), checked against the
 * contract. Throws `InvalidCommandError` (naming the field path, never a value) when it is not valid.
 */
export function buildCommand<T extends CommandType>(type: T, data: DataFor<T>, opts: BuildCommandOptions): CommandOfType<T> {
  if (!isCommandType(type)) throw new InvalidCommandError('/type is not a known command type');
  const raw = {
    specversion: SPEC_VERSION,
    id: opts.id ?? randomUUID(),
    source: opts.source,
    type,
    time: (opts.time ?? new Date()).toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
    ...(opts.correlationId !== undefined ? { correlationid: opts.correlationId } : {}),
    ...(opts.traceparent !== undefined ? { traceparent: opts.traceparent } : {}),
    ...(opts.tracestate !== undefined ? { tracestate: opts.tracestate } : {}),
    data,
  };
  const schema = COMMAND_SCHEMAS[type];
  const result = check(schema, raw);
  if (!result.ok) throw new InvalidCommandError(result.error);
  // The schema bounds tracestate's length; its members are checked here (the service would drop it).
  if (opts.tracestate !== undefined && !isTracestate(opts.tracestate)) throw new InvalidCommandError('/tracestate is not a valid W3C tracestate');
  return normalize(schema, raw) as CommandOfType<T>;
}

/**
 * The typed client's RetireLearner (SPEC §8.3): retires the learner `userId` — the attempt-service
 * scrubs what it stored about them and emits `LearnerRetired`. Publish it with `sendCommands` (its
 * key is the userId). Retiring twice is a no-op.
 */
export function retireLearner(userId: string, opts: BuildCommandOptions): CommandOfType<'RetireLearner'> {
  return buildCommand('RetireLearner', { userId }, opts);
}

/** The natural message key of a command: courseId for RegisterExam, else the learner's userId when the command has one. */
export function commandKey(cmd: Command): string | undefined {
  switch (cmd.type) {
    case 'RegisterExam':
      return cmd.data.courseId;
    case 'CreateAttempt':
      return cmd.data.userId;
    case 'UpdateAttemptStatus':
      return cmd.data.userId;
    case 'RemoveAttempt':
      return cmd.data.userId;
    case 'RetireLearner':
    case 'GrantAllowance':
    case 'RemoveAllowance':
      return cmd.data.userId;
    case 'RecordReview':
      return cmd.data.attemptCode;
  }
}

export interface CommandMessage {
  key: string;
  value: string;
  headers: { 'content-type': string };
}

/**
 * The Kafka message for a command (kafkajs `Message`-compatible).
 *
 * Key: the natural key (`commandKey`). A command addressed only by attemptId or attemptCode has
 * none: then `key` is used (pass the learner's userId when you know it, so the command is ordered
 * with the learner's other commands), else the attempt id or code. The service never relies on the
 * key for correctness; it only decides ordering.
 *
 * Throws `InvalidCommandError` if the command is not valid or its JSON exceeds 64 KiB.
 */
export function commandMessage(cmd: Command, key?: string): CommandMessage {
  const schema = (COMMAND_SCHEMAS as Record<string, (typeof COMMAND_SCHEMAS)[CommandType] | undefined>)[cmd.type];
  if (!schema) throw new InvalidCommandError('/type is not a known command type');
  const result = check(schema, cmd);
  if (!result.ok) throw new InvalidCommandError(result.error);
  const value = JSON.stringify(cmd);
  if (Buffer.byteLength(value, 'utf8') > MAX_MESSAGE_BYTES) {
    throw new InvalidCommandError(`command larger than ${MAX_MESSAGE_BYTES} bytes`);
  }
  return {
    key: commandKey(cmd) ?? key ?? fallbackKey(cmd),
    value,
    headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
  };
}

function fallbackKey(cmd: Command): string {
  switch (cmd.type) {
    case 'UpdateAttemptStatus':
      return cmd.data.attemptId ?? cmd.data.attemptCode ?? cmd.id;
    case 'RemoveAttempt':
      return cmd.data.attemptId ?? cmd.id;
    case 'RegisterExam':
    case 'CreateAttempt':
    case 'RetireLearner':
    case 'GrantAllowance':
    case 'RemoveAllowance':
    case 'RecordReview':
      return cmd.id;
  }
}

/** The part of a kafkajs `Producer` the helper needs (a real `Producer` fits). */
export interface CommandProducer {
  send(record: { topic: string; messages: CommandMessage[] }): Promise<unknown>;
}

/**
 * Publishes commands with a kafkajs producer, in order, to the commands topic. Use an idempotent
 * producer (`idempotent: true`, `maxInFlightRequests: 1`) so that retries keep per-key order.
 */
export async function sendCommands(
  producer: CommandProducer,
  commands: readonly Command[],
  options: { topic?: string; key?: string } = {},
): Promise<void> {
  if (commands.length === 0) return;
  await producer.send({
    topic: options.topic ?? TOPICS.commands,
    messages: commands.map((c) => commandMessage(c, options.key)),
  });
}

/** One allowance (SPEC §8.2): the exam, the learner, the key and its value as a string. */
export type AllowanceGrant = DataFor<'GrantAllowance'>;

/** A GrantAllowance command, checked against the contract (throws InvalidCommandError naming the field). */
export function grantAllowance(data: AllowanceGrant, opts: BuildCommandOptions): CommandOfType<'GrantAllowance'> {
  return buildCommand('GrantAllowance', data, opts);
}

/** A RemoveAllowance command, checked against the contract. */
export function removeAllowance(data: DataFor<'RemoveAllowance'>, opts: BuildCommandOptions): CommandOfType<'RemoveAllowance'> {
  return buildCommand('RemoveAllowance', data, opts);
}

/**
 * One allowance granted to many learners of one exam, as one batch of GrantAllowance commands (one
 * per learner, keyed by each learner). With `idPrefix`, each command's id is `<idPrefix>:<userId>`,
 * so re-sending the same bulk grant after a failure is idempotent; without it the ids are random.
 * Every command is built and checked before any is sent: an invalid one sends nothing.
 */
export function grantAllowanceToMany(
  grant: { examId: string; key: string; value: string; userIds: readonly string[] },
  opts: Omit<BuildCommandOptions, 'id' | 'subject'> & { idPrefix?: string },
): CommandOfType<'GrantAllowance'>[] {
  const { idPrefix, ...common } = opts;
  return [...new Set(grant.userIds)].map((userId) =>
    grantAllowance(
      { examId: grant.examId, userId, key: grant.key, value: grant.value },
      { ...common, ...(idPrefix !== undefined ? { id: `${idPrefix}:${userId}` } : {}) },
    ),
  );
}

/** Builds the bulk grant and publishes it as one `send` (see grantAllowanceToMany and sendCommands). */
export async function sendAllowanceToMany(
  producer: CommandProducer,
  grant: { examId: string; key: string; value: string; userIds: readonly string[] },
  opts: Omit<BuildCommandOptions, 'id' | 'subject'> & { idPrefix?: string; topic?: string },
): Promise<CommandOfType<'GrantAllowance'>[]> {
  const { topic, ...build } = opts;
  const commands = grantAllowanceToMany(grant, build);
  await sendCommands(producer, commands, topic !== undefined ? { topic } : {});
  return commands;
}
/**
 * A provider publishes its review (SPEC §8.1, §8.4): a `RecordReview` with `source` `provider:<provider>`
 * to its own review topic `proctoring.attempt.reviews.<provider>.v1` (or `options.topic`), keyed by the
 * attemptCode. The outcome comes back on `proctoring.attempt.reviews.<provider>.outcomes.v1`. A staff
 * second review (`reviewedBy`) is not a provider's: send it with `sendCommands` to the commands topic.
 * Returns the command sent (its id is the one the outcome names). Throws `InvalidCommandError` when
 * `reviewedBy` is given or the review does not satisfy the contract.
 */
export async function sendReview(
  producer: CommandProducer,
  provider: string,
  review: Omit<DataFor<'RecordReview'>, 'reviewedBy'>,
  options: { id?: string; correlationId?: string; topic?: string } = {},
): Promise<CommandOfType<'RecordReview'>> {
  if ('reviewedBy' in review) throw new InvalidCommandError("/data/reviewedBy is a staff second review's, never a provider's");
  const cmd = buildCommand('RecordReview', review, { source: `provider:${provider}`, id: options.id, correlationId: options.correlationId });
  await producer.send({ topic: options.topic ?? providerReviewTopics(provider).reviews, messages: [commandMessage(cmd)] });
  return cmd;
}
