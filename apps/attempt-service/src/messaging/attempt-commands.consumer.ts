import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, parseCommand } from '../../../../libs/contracts/src';
import type { InboundBatch, InboundMessage } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import {
  ProcessCommandsUseCase,
  type CommandInput,
  type ProcessedInput,
} from '../application/process-commands.use-case';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { LOGGER } from '../runtime.tokens';
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

  constructor(
    private readonly processCommands: ProcessCommandsUseCase,
    private readonly metrics: AttemptServiceMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.group = new GroupCommit((inputs) => this.processCommands.execute(inputs), MAX_GROUP_COMMANDS);
  }

  @EventPattern(ATTEMPT_COMMANDS)
  async handle(@Payload() batch: InboundBatch): Promise<void> {
    const end = this.metrics.batchDuration.startTimer();
    const results = await this.group.submit(batch.messages.map(toCommandInput));
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

/** PostgreSQL text and jsonb refuse U+0000; keys and headers are arbitrary bytes from publishers. */
const storable = (text: string): string => text.split('\u0000').join('\uFFFD');

export function toCommandInput(m: InboundMessage): CommandInput {
  const key = m.key === null ? null : storable(m.key);
  const parsed = parseCommand(m.value);
  switch (parsed.kind) {
    case 'ok':
      return { kind: 'command', command: parsed.command, key };
    case 'rejected':
      return {
        kind: 'invalid',
        id: parsed.id,
        source: parsed.source,
        type: parsed.type,
        correlationId: parsed.correlationId,
        reason: parsed.reason,
        message: parsed.message,
        key,
      };
    case 'unreadable': {
      // Only a dead letter keeps the headers (stored in the outbox until published).
      const value =
        m.value !== null && m.value.length > DLQ_MAX_VALUE_BYTES
          ? m.value.subarray(0, DLQ_MAX_VALUE_BYTES)
          : m.value;
      return {
        kind: 'unreadable',
        reason: parsed.reason,
        dlq: {
          key,
          value,
          headers: {
            ...Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [storable(k), storable(v)])),
            ...(value !== m.value ? { [DLQ_HEADERS.valueTruncated]: String(m.value?.length) } : {}),
            [DLQ_HEADERS.reason]: parsed.reason,
            [DLQ_HEADERS.sourceTopic]: m.topic,
            [DLQ_HEADERS.sourcePartition]: String(m.partition),
            [DLQ_HEADERS.sourceOffset]: m.offset,
            [DLQ_HEADERS.failedAt]: new Date().toISOString(),
          },
        },
      };
    }
  }
}
