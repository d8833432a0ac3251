import { Controller, Get, HttpCode, Inject, ServiceUnavailableException } from '@nestjs/common';
import { DeliveryLedgerRepository } from '../persistence/delivery-ledger.repository';
import { DeliveryWorker } from '../application/delivery.worker';

@Controller('health')
export class HealthController {
  constructor(
    @Inject(DeliveryLedgerRepository) private readonly ledger: DeliveryLedgerRepository,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The ledger database answers (503 otherwise). */
  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<{ status: 'ok'; database: 'up'; worker: 'running' | 'stopped' }> {
    try {
      await withTimeout(this.ledger.ping(), 2000);
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable', database: 'down' });
    }
    return { status: 'ok', database: 'up', worker: this.worker.isRunning ? 'running' : 'stopped' };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
