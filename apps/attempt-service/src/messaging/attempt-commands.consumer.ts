import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DLQ_HEADERS, DLQ_MAX_VALUE_BYTES, parseCommand } from '../../../../libs/contracts/src';
import type { InboundBatch, InboundMessage } from '../../../../libs/platform/src/kafka/kafka-batch.transport';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { ProcessCommandsUseCase, type CommandInput, type ProcessedInput } from '../application/process-commands.use-case';
import { AttemptServiceMetrics } from '../attempt-service.metrics';
import { LOGGER } from '../runtime.tokens';

export const ATTEMPT_COMMANDS = 'attempt-commands';

/** Thin handler: parse, hand the batch to the use case, log one line per command with its outcome. */
@Controller()
export class AttemptCommandsConsumer {
  constructor(
    private readonly processCommands: ProcessCommandsUseCase,
    private readonly metrics: AttemptServiceMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @EventPattern(ATTEMPT_COMMANDS)
  async handle(@Payload() batch: InboundBatch): Promise<void> {
    const end = this.metrics.batchDuration.startTimer();
    const results = await this.processCommands.execute(batch.messages.map(toCommandInput));
    end();
    results.forEach((r, i) => this.report(r, batch.messages[i]));
  }

  private report({ input, outcome }: ProcessedInput, m: InboundMessage): void {
    const at = { topic: m.topic, partition: m.partition, offset: m.offset };
    switch (input.kind) {
      case 'command':
        this.metrics.commands.inc({ type: input.command.type, outcome: outcome.kind });
        this.logger.info(
          { ...at, commandId: input.command.id, source: input.command.source, commandType: input.command.type, outcome: outcome.kind, ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}) },
          'command processed',
        );
        return;
      case 'invalid':
        this.metrics.commands.inc({ type: 'invalid', outcome: outcome.kind });
        this.logger.info({ ...at, commandId: input.id, source: input.source, outcome: outcome.kind, reason: input.reason }, 'command rejected');
        return;
      case 'unreadable':
        this.metrics.commands.inc({ type: 'unreadable', outcome: outcome.kind });
        this.logger.warn({ ...at, reason: input.reason }, 'unreadable message dead-lettered');
        return;
      case 'timeout':
        return;
    }
  }
}

/** PostgreSQL text and jsonb refuse U+0000; keys and headers are arbitrary bytes from publishers. */
const storable = (text: string): string => text.split('\u0000').join('\uFFFD');

export function toCommandInput(raw: InboundMessage): CommandInput {
  const m: InboundMessage = {
    ...raw,
    key: raw.key === null ? null : storable(raw.key),
    headers: Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [storable(k), storable(v)])),
  };
  const parsed = parseCommand(m.value);
  switch (parsed.kind) {
    case 'ok':
      return { kind: 'command', command: parsed.command, key: m.key };
    case 'rejected':
      return {
        kind: 'invalid',
        id: parsed.id,
        source: parsed.source,
        type: parsed.type,
        correlationId: parsed.correlationId,
        reason: parsed.reason,
        message: parsed.message,
        key: m.key,
      };
    case 'unreadable': {
      const truncated = m.value !== null && m.value.length > DLQ_MAX_VALUE_BYTES;
      return {
        kind: 'unreadable',
        reason: parsed.reason,
        dlq: {
          key: m.key,
          value: truncated ? (m.value as Buffer).subarray(0, DLQ_MAX_VALUE_BYTES) : m.value,
          headers: {
            ...m.headers,
            ...(truncated ? { [DLQ_HEADERS.valueTruncated]: String(m.value?.length) } : {}),
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
