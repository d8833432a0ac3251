import { createHash } from 'node:crypto';

/** A row of `attempts.event_key`: one per Kafka key of outgoing events, its lock and last `sequence`. */
export interface EventKeyRow {
  key: string;
  /** bigint, as text */
  last_sequence: string;
}

/**
 * The event_key of a Kafka key: one `sequence` counter per key, whatever the key names (a learner, a
 * course, or the key a rejected command arrived with), so that every event under one key continues
 * that key's sequence. Keys of arbitrary messages can be long; the scope is bounded so it always fits
 * the index.
 */
export const keyScope = (key: string) => (key.length <= 200 ? `k:${key}` : `h:${createHash('sha256').update(key).digest('hex')}`);
