import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DeliveryWorker } from '../application/delivery.worker';
import { NotifierMetrics } from '../application/notifier.metrics';
import { DeliveryLedgerRepository } from '../persistence/delivery-ledger.repository';

export interface NotifierReadiness {
  database: 'up' | 'down';
  worker: 'running' | 'stopped';
}

/** How often the checks run besides /health/ready, so `proctoring_ready` is fresh for Prometheus. */
const REFRESH_MS = 5000;
const DB_TIMEOUT_MS = 2000;

/**
 * Readiness of the notifier: the ledger database answers within 2 s, and the delivery worker runs.
 * Each evaluation (a GET /health/ready, and every 5 s) sets `proctoring_ready{check="database"|"worker"}`.
 */
@Injectable()
export class NotifierReadinessProbe implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private refreshing = false;

  constructor(
    @Inject(DeliveryLedgerRepository) private readonly ledger: DeliveryLedgerRepository,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(NotifierMetrics) private readonly metrics: NotifierMetrics,
  ) {}

  async check(): Promise<NotifierReadiness> {
    let database: NotifierReadiness['database'] = 'up';
    try {
      await withTimeout(this.ledger.ping(), DB_TIMEOUT_MS);
    } catch {
      database = 'down';
    }
    const worker = this.worker.isRunning ? 'running' : 'stopped';
    this.metrics.ready.set({ check: 'database' }, database === 'up' ? 1 : 0);
    this.metrics.ready.set({ check: 'worker' }, worker === 'running' ? 1 : 0);
    return { database, worker };
  }

  onApplicationBootstrap(): void {
    this.timer ??= setInterval(() => {
      if (this.refreshing) return;
      this.refreshing = true;
      void this.check().finally(() => {
        this.refreshing = false;
      });
    }, REFRESH_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
