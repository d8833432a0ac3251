import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HealthController, healthModule } from '../../../libs/platform/src/health/health.controller';
import { Readiness } from '../../../libs/platform/src/health/readiness';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import { BridgeEventsUseCase } from './application/bridge-events.use-case';
import { BridgeMetrics } from './application/bridge.metrics';
import { MetricsController } from './http/metrics.controller';
import { AttemptEventsConsumer } from './messaging/attempt-events.consumer';
import { closeAll, type Closer } from '../../../libs/platform/src/nest/closers';
import { BRIDGE_CLOSERS, BRIDGE_LOGGER } from './openedx-bridge.tokens';

export interface OpenEdxBridgeModuleDeps {
  logger: Logger;
  metrics: BridgeMetrics;
  useCase: BridgeEventsUseCase;
  /** /health/ready and `proctoring_ready` (database, consumer); refreshed in the background while the app runs. */
  readiness: Readiness;
  /** Released in order on shutdown, after the consumer has drained. */
  closers: Closer[];
}

/**
 * Refreshes readiness while the app runs; releases Kafka and the database once Nest has closed the
 * consumer (which drains its slice first).
 */
@Injectable()
class BridgeLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(BRIDGE_CLOSERS) private readonly closers: Closer[],
    @Inject(BRIDGE_LOGGER) private readonly logger: Logger,
    @Inject(Readiness) private readonly readiness: Readiness,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.start();
  }

  beforeApplicationShutdown(): void {
    this.readiness.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await closeAll(this.closers, this.logger);
  }
}

@Module({})
export class OpenEdxBridgeModule {
  static register(deps: OpenEdxBridgeModuleDeps): DynamicModule {
    return {
      module: OpenEdxBridgeModule,
      imports: [healthModule()],
      controllers: [AttemptEventsConsumer, HealthController, MetricsController],
      providers: [
        { provide: BRIDGE_LOGGER, useValue: deps.logger },
        { provide: BRIDGE_CLOSERS, useValue: deps.closers },
        { provide: Readiness, useValue: deps.readiness },
        { provide: BridgeMetrics, useValue: deps.metrics },
        { provide: BridgeEventsUseCase, useValue: deps.useCase },
        BridgeLifecycle,
      ],
    };
  }
}
