import {
  Inject,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ProcessCommandsUseCase } from './application/process-commands.use-case';
import { AttemptServiceMetrics } from './attempt-service.metrics';
import {
  closeAttemptServiceRuntime,
  startAttemptServiceRuntime,
  stopAttemptServiceBackground,
  type AttemptServiceRuntime,
} from './attempt-service.runtime';
import { AttemptsController } from './http/attempts.controller';
import { ConsumerLagMonitor } from './http/consumer-lag.monitor';
import { HealthController, healthModule } from '../../../libs/platform/src/health/health.controller';
import { Readiness } from '../../../libs/platform/src/health/readiness';
import { MetricsController } from './http/metrics.controller';
import { READ_API_VERIFIER, type ReadApiVerifierProvider } from './http/read-api-auth.guard';
import { createReadApiTokenVerifier } from './http/read-api-token.verifier';
import { AttemptCommandsConsumer } from './messaging/attempt-commands.consumer';
import { AttemptReadRepository } from './persistence/attempt-read.repository';
import { CONFIG, LOGGER, PG_POOL } from './runtime.tokens';

export const RUNTIME = Symbol('RUNTIME');

/**
 * Starts the outbox relay, the timeout sweeper and the lag monitor with the app. On shutdown Nest
 * calls beforeApplicationShutdown (the sweeper stops, its sweep in flight commits), then closes the
 * HTTP server and the consumer (which drains), then onApplicationShutdown closes the runtime.
 */
class RuntimeLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(RUNTIME) private readonly rt: AttemptServiceRuntime) {}

  onApplicationBootstrap(): void {
    startAttemptServiceRuntime(this.rt);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await stopAttemptServiceBackground(this.rt);
  }

  async onApplicationShutdown(): Promise<void> {
    await closeAttemptServiceRuntime(this.rt);
  }
}

@Module({})
export class AttemptServiceModule {
  static register(rt: AttemptServiceRuntime): DynamicModule {
    const readApi = rt.config.readApi;
    // A config loaded for the command line (no READ_API_* read) never serves the read API.
    if (readApi === null) throw new Error('the attempt-service needs its read API settings: load its config with http enabled');
    const verifier: ReadApiVerifierProvider =
      readApi.mode === 'off' ? 'off' : createReadApiTokenVerifier(readApi, rt.logger.child({ component: 'read-api-auth' }));
    return {
      module: AttemptServiceModule,
      imports: [healthModule()],
      controllers: [AttemptCommandsConsumer, AttemptsController, HealthController, MetricsController],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: CONFIG, useValue: rt.config },
        { provide: LOGGER, useValue: rt.logger },
        { provide: PG_POOL, useValue: rt.pool },
        { provide: AttemptServiceMetrics, useValue: rt.metrics },
        { provide: ProcessCommandsUseCase, useValue: rt.processCommands },
        { provide: AttemptReadRepository, useValue: rt.reads },
        { provide: Readiness, useValue: rt.readiness },
        { provide: ConsumerLagMonitor, useValue: rt.lagMonitor },
        { provide: READ_API_VERIFIER, useValue: verifier },
        RuntimeLifecycle,
      ],
    };
  }
}
