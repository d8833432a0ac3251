import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ProcessCommandsUseCase } from './application/process-commands.use-case';
import { AttemptServiceMetrics } from './attempt-service.metrics';
import { closeAttemptServiceRuntime, type AttemptServiceRuntime } from './attempt-service.runtime';
import { AttemptCommandsConsumer } from './messaging/attempt-commands.consumer';
import { CONFIG, LOGGER, PG_POOL } from './runtime.tokens';

export const RUNTIME = Symbol('RUNTIME');

/** Starts the outbox relay with the app and shuts the runtime down after the consumer drained. */
class RuntimeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(RUNTIME) private readonly rt: AttemptServiceRuntime) {}

  onApplicationBootstrap(): void {
    this.rt.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await closeAttemptServiceRuntime(this.rt);
  }
}

@Module({})
export class AttemptServiceModule {
  static register(rt: AttemptServiceRuntime): DynamicModule {
    return {
      module: AttemptServiceModule,
      controllers: [AttemptCommandsConsumer],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: CONFIG, useValue: rt.config },
        { provide: LOGGER, useValue: rt.logger },
        { provide: PG_POOL, useValue: rt.pool },
        { provide: AttemptServiceMetrics, useValue: rt.metrics },
        { provide: ProcessCommandsUseCase, useValue: rt.processCommands },
        RuntimeLifecycle,
      ],
    };
  }
}
