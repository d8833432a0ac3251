/**
 * A row of `attempts.outbox_message` as the relay publishes it (its `id` gives the publishing order).
 * The row also holds the event id, its timestamps and whether it was published; the relay needs none
 * of them to publish.
 */
export interface OutboxRecord {
  id: string;
  topic: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** An outbox row before it is written: the database gives it its id; its event id is known already. */
export interface NewOutboxRecord extends Omit<OutboxRecord, 'id'> {
  eventId: string;
}
