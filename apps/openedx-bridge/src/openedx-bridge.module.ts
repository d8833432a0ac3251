import { Inject, Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import { BridgeEventsUseCase } from './application/bridge-events.use-case';
import { BridgeMetrics } from './application/bridge.metrics';
import { BridgeHttpController } from './http/bridge-http.controller';
import { AttemptEventsConsumer } from './messaging/attempt-events.consumer';
import {
  BRIDGE_CLOSERS,
  BRIDGE_LOGGER,
  BRIDGE_READINESS,
  type Closer,
  type ReadinessCheck,
} from './openedx-bridge.tokens';

export interface OpenEdxBridgeModuleDeps {
  logger: Logger;
  metrics: BridgeMetrics;
  useCase: BridgeEventsUseCase;
  readiness: ReadinessCheck;
  /** Released in order on shutdown, after the consumer has drained. */
  closers: Closer[];
}

/** Releases Kafka and the database once Nest has closed the consumer (which drains its slice first). */
@Injectable()
class BridgeLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(BRIDGE_CLOSERS) private readonly closers: Closer[],
    @Inject(BRIDGE_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const closer of this.closers) {
      try {
        await closer.close();
      } catch (e) {
        this.logger.warn({ err: e, resource: closer.name }, 'error while closing');
      }
    }
  }
}

@Module({})
export class OpenEdxBridgeModule {
  static register(deps: OpenEdxBridgeModuleDeps): DynamicModule {
    return {
      module: OpenEdxBridgeModule,
      controllers: [AttemptEventsConsumer, BridgeHttpController],
      providers: [
        { provide: BRIDGE_LOGGER, useValue: deps.logger },
        { provide: BRIDGE_CLOSERS, useValue: deps.closers },
        { provide: BRIDGE_READINESS, useValue: deps.readiness },
        { provide: BridgeMetrics, useValue: deps.metrics },
        { provide: BridgeEventsUseCase, useValue: deps.useCase },
        BridgeLifecycle,
      ],
    };
  }
}
