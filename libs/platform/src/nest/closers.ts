import type { Logger } from '../logging/logger';

/** Something an app releases last, after its consumer and workers have stopped (Kafka clients, the pool, tracing). */
export type Closer = { name: string; close: () => Promise<void> };

/** Closes each in order; a failure is logged and does not keep the others open. */
export async function closeAll(closers: readonly Closer[], logger: Logger): Promise<void> {
  for (const closer of closers) {
    try {
      await closer.close();
    } catch (e) {
      logger.warn({ err: e, resource: closer.name }, 'error while closing');
    }
  }
}
