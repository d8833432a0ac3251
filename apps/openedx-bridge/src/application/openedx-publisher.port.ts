import type { OpenEdxRecord } from './translate-event';

/** Produces Open edX events in event-bus-kafka's wire format; resolves once the broker has them all (acks=all). */
export interface OpenEdxPublisher {
  publish(records: readonly OpenEdxRecord[]): Promise<void>;
}
export const OPENEDX_PUBLISHER = Symbol('OPENEDX_PUBLISHER');
