import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Readiness } from '../../../libs/platform/src/health/readiness';
import { ConsumerLagMonitor } from '../../../libs/platform/src/kafka/consumer-lag.monitor';
import type { Logger } from '../../../libs/platform/src/logging/logger';
import { closeAll, type Closer } from '../../../libs/platform/src/nest/closers';
import { DeliveryWorker } from './application/delivery.worker';
import { NOTIFIER_CLOSERS, NOTIFIER_LOGGER } from './notifier.tokens';

/**
 * Starts the delivery worker and the consumer lag monitor once the app is up; on shutdown stops the
 * monitor and drains the worker before the consumer and HTTP server are closed (Nest closes those
 * between the two hooks), then releases Kafka and the database.
 */
@Injectable()
export class NotifierLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(ConsumerLagMonitor) private readonly lag: ConsumerLagMonitor,
    @Inject(Readiness) private readonly readiness: Readiness,
    @Inject(NOTIFIER_CLOSERS) private readonly closers: Closer[],
    @Inject(NOTIFIER_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.worker.start();
    this.lag.start();
    // proctoring_ready stays fresh between GET /health/ready calls
    this.readiness.start();
    this.logger.info({ owner: this.worker.owner }, 'delivery worker started');
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'stopping: draining sends in flight');
    this.readiness.stop();
    await Promise.all([this.worker.stop(), this.lag.stop()]);
    this.logger.info('delivery worker drained');
  }

  async onApplicationShutdown(): Promise<void> {
    await closeAll(this.closers, this.logger);
  }
}
