import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import {
  commandKey,
  DLQ_HEADER_PREFIX,
  DLQ_HEADERS,
  DLQ_MAX_VALUE_BYTES,
  isBinaryMode,
  MESSAGE_BOUNDS,
  parseBinaryCommand,
  parseCommand,
  type ParsedCommand,
} from '../../../../libs/contracts/src';
import type { InboundBatch, InboundMessage } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import {
  ProcessCommandsUseCase,
  traceOf,
  type CommandInput,
  type DeadLetter,
  type ProcessedInput,
} from '../application/process-commands.use-case';
import { COMMANDS_CHANNEL, reviewChannel, type Channel } from '../application/command-authority';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import type { AttemptServiceConfig } from '../config/attempt-service.config';
import { CONFIG, LOGGER } from '../runtime.tokens';
import { GroupCommit } from './group-commit';

export const ATTEMPT_COMMANDS = 'attempt-commands';

/** Most commands applied in one group transaction (slices of several partitions together). */
export const MAX_GROUP_COMMANDS = 5000;

/**
 * Thin handler: parse, hand the batch to the use case (grouped with the slices other partitions
 * hand in at the same moment, see GroupCommit), then log one `info` line per batch (counts by
 * outcome) and one `debug` line per command; rejections of invalid input and dead letters stay at
 * `info`/`warn`, one line each.
 */
@Controller()
export class AttemptCommandsConsumer {
  private readonly group: GroupCommit<CommandInput, ProcessedInput>;
  /** The channel of each consumed topic (SPEC §8.4): the commands topic, and each provider's review topic. */
  private readonly channels: ReadonlyMap<string, Channel>;

  constructor(
    private readonly processCommands: ProcessCommandsUseCase,
    private readonly metrics: AttemptServiceMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) config: AttemptServiceConfig,
  ) {
    this.group = new GroupCommit((inputs) => this.processCommands.execute(inputs), MAX_GROUP_COMMANDS);
    this.channels = commandChannels(config.topics);
  }

  @EventPattern(ATTEMPT_COMMANDS)
  async handle(@Payload() batch: InboundBatch): Promise<void> {
    const end = this.metrics.batchDuration.startTimer();
    const channel = this.channels.get(batch.topic);
    if (channel === undefined) throw new Error(`no channel for topic ${batch.topic}`);
    const results = await this.group.submit(batch.messages.map((m) => toCommandInput(m, channel)));
    const seconds = end();
    // Counted per (type, outcome) for the metric (one update each, not one per command) and the log line.
    const counted = new Map<string, { type: string; outcome: string; n: number }>();
    const debug = this.logger.isLevelEnabled('debug');
    results.forEach((r, i) => {
      const type = r.input.kind === 'command' ? r.input.command.type : r.input.kind;
      const k = `${type}\u0000${r.outcome.kind}`;
      const c = counted.get(k);
      if (c) c.n++;
      else counted.set(k, { type, outcome: r.outcome.kind, n: 1 });
      if (r.input.kind !== 'command' || debug) this.report(r, batch.messages[i]);
    });
    const outcomes: Record<string, number> = {};
    for (const { type, outcome, n } of counted.values()) {
      this.metrics.commands.inc({ type, outcome }, n);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
    }
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    this.logger.info(
      {
        topic: batch.topic,
        partition: batch.partition,
        fromOffset: first?.offset,
        toOffset: last?.offset,
        commands: results.length,
        outcomes,
        ms: Math.round(seconds * 1000),
      },
      'batch applied',
    );
  }

  private report({ input, outcome }: ProcessedInput, m: InboundMessage): void {
    const at = { topic: m.topic, partition: m.partition, offset: m.offset };
    switch (input.kind) {
      case 'command':
        this.logger.debug(
          {
            ...at,
            commandId: input.command.id,
            source: input.command.source,
            commandType: input.command.type,
            outcome: outcome.kind,
            ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}),
          },
          'command processed',
        );
        return;
      case 'invalid':
        this.logger.info(
          { ...at, commandId: input.id, source: input.source, outcome: outcome.kind, reason: input.reason },
          'command rejected',
        );
        return;
      case 'unreadable':
        this.logger.warn({ ...at, reason: input.reason }, 'unreadable message dead-lettered');
        return;
      case 'timeout':
        return;
    }
  }
}

/** Topic → channel: the commands topic is `commands`, a provider's review topic `review:<provider>`. */
export function commandChannels(topics: AttemptServiceConfig['topics']): Map<string, Channel> {
  const channels = new Map<string, Channel>([[topics.commands, COMMANDS_CHANNEL]]);
  for (const [provider, t] of Object.entries(topics.reviews ?? {})) channels.set(t.reviews, reviewChannel(provider));
  return channels;
}

/** PostgreSQL text and jsonb refuse U+0000; keys and headers are arbitrary bytes from publishers. */
const storable = (text: string): string => text.split('\u0000').join('\uFFFD');

/** Which parts of a message are over MESSAGE_BOUNDS, with the reason each gives. */
function overBounds(m: InboundMessage): { key: boolean; headers: boolean; reasons: string[] } {
  const { keyBytes, headerCount, headerBytes } = m.size;
  const key = keyBytes > MESSAGE_BOUNDS.keyBytes;
  const headers = headerCount > MESSAGE_BOUNDS.headerCount || headerBytes > MESSAGE_BOUNDS.headerBytes;
  const reasons: string[] = [];
  if (key) reasons.push(`key larger than ${MESSAGE_BOUNDS.keyBytes} bytes`);
  if (headers)
    reasons.push(
      `headers over bound (${headerCount} headers, ${headerBytes} bytes; at most ${MESSAGE_BOUNDS.headerCount} and ${MESSAGE_BOUNDS.headerBytes})`,
    );
  return { key, headers, reasons };
}

/**
 * What the consumer hands the use case for one message. Every part is bounded first (SPEC §8.5):
 * a message with a key, headers or value over its bound is dead-lettered with that part cut, and —
 * when its value is within bound and its id and source can be read — also rejected INVALID_MESSAGE,
 * keyed as its data says, never by the oversized key. Only what is within bounds is parsed.
 */
export function toCommandInput(m: InboundMessage, channel: Channel = COMMANDS_CHANNEL): CommandInput {
  const input = toInput(m);
  return input.kind === 'command' || input.kind === 'invalid' ? { ...input, channel } : input;
}

function toInput(m: InboundMessage): CommandInput {
  const over = overBounds(m);
  const key = over.key || m.key === null ? null : storable(m.key);
  const parsed = parse(m, over.headers);
  if (over.reasons.length > 0) return overBound(m, over, key, parsed);
  switch (parsed.kind) {
    case 'ok':
      return { kind: 'command', command: parsed.command, key };
    case 'rejected':
      return { ...rejectedInput(parsed), key };
    case 'unreadable':
      return { kind: 'unreadable', reason: parsed.reason, dlq: deadLetter(m, over, parsed.reason) };
  }
}

/**
 * The command of a message in CloudEvents binary mode (`ce_*` headers, data as the value) or
 * structured mode (the whole CloudEvent as the value). In binary mode the attributes are headers: cut
 * headers leave nothing to read.
 */
function parse(m: InboundMessage, headersCut: boolean): ParsedCommand {
  if (!isBinaryMode(m.headers)) return parseCommand(m.value);
  if (headersCut) return { kind: 'unreadable', reason: 'binary mode, its attributes in the cut headers' };
  return parseBinaryCommand(m.headers, m.value);
}

function overBound(
  m: InboundMessage,
  over: ReturnType<typeof overBounds>,
  key: string | null,
  parsed: ParsedCommand,
): CommandInput {
  const reasons = parsed.kind === 'unreadable' ? [...over.reasons, parsed.reason] : over.reasons;
  const reason = reasons.join('; ');
  const dlq = deadLetter(m, over, reason);
  switch (parsed.kind) {
    case 'ok': {
      const c = parsed.command;
      return {
        kind: 'invalid',
        id: c.id,
        source: c.source,
        type: c.type,
        correlationId: c.correlationid ?? c.id,
        reason: 'INVALID_MESSAGE',
        message: reason,
        key: commandKey(c) ?? key,
        dlq,
        trace: traceOf(c),
      };
    }
    case 'rejected':
      return { ...rejectedInput(parsed), reason: 'INVALID_MESSAGE', message: reason, key, dlq };
    case 'unreadable':
      return { kind: 'unreadable', reason, dlq };
  }
}

function rejectedInput(p: Extract<ParsedCommand, { kind: 'rejected' }>): Omit<Extract<CommandInput, { kind: 'invalid' }>, 'key'> {
  return {
    kind: 'invalid',
    id: p.id,
    source: p.source,
    type: p.type,
    correlationId: p.correlationId,
    reason: p.reason,
    message: p.message,
    trace: p.trace,
  };
}

/**
 * The dead letter of a message: its value (cut above DLQ_MAX_VALUE_BYTES), its key and headers when
 * within bounds (else left off and named in `dlq-key-cut` / `dlq-headers-cut`), without any header a
 * sender set under our `dlq-` prefix, plus ours. Key ≤ 1 KiB + headers ≤ 16 KiB + value ≤ 512 KiB
 * always fit the broker's 1 MiB.
 */
function deadLetter(m: InboundMessage, over: { key: boolean; headers: boolean }, reason: string): DeadLetter {
  const value =
    m.value !== null && m.value.length > DLQ_MAX_VALUE_BYTES ? m.value.subarray(0, DLQ_MAX_VALUE_BYTES) : m.value;
  const headers: Record<string, string> = {};
  if (!over.headers)
    for (const [k, v] of Object.entries(m.headers))
      if (!k.toLowerCase().startsWith(DLQ_HEADER_PREFIX)) headers[storable(k)] = storable(v);
  if (value !== m.value) headers[DLQ_HEADERS.valueTruncated] = String(m.size.valueBytes);
  if (over.key) headers[DLQ_HEADERS.keyCut] = String(m.size.keyBytes);
  if (over.headers) headers[DLQ_HEADERS.headersCut] = `${m.size.headerCount} headers, ${m.size.headerBytes} bytes`;
  headers[DLQ_HEADERS.reason] = reason;
  headers[DLQ_HEADERS.sourceTopic] = m.topic;
  headers[DLQ_HEADERS.sourcePartition] = String(m.partition);
  headers[DLQ_HEADERS.sourceOffset] = m.offset;
  headers[DLQ_HEADERS.failedAt] = new Date().toISOString();
  return { key: over.key || m.key === null ? null : storable(m.key), value, headers };
}
