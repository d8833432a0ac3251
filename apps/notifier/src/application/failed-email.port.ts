import type { FailedDelivery } from '../persistence/delivery-ledger.repository';

/**
 * Where failed emails go so an operator sees them (the notifier DLQ topic in production). `publish`
 * resolves only once every row is durably accepted; it throws otherwise, and the rows are offered again.
 */
export interface FailedEmailPublisher {
  publish(rows: readonly FailedDelivery[]): Promise<void>;
}

export const FAILED_EMAIL_PUBLISHER = Symbol('FAILED_EMAIL_PUBLISHER');
