import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn, type DataSource } from 'typeorm';
import { quoteIdent } from '../../../../libs/platform/src/database/ensure-database';

/** The schema the notifier owns (tests use throwaway schemas of their own; see data-source.ts). */
export const NOTIFIER_SCHEMA = 'notifier';

/** What a ledger schema name may be: a lower-case SQL identifier, so it never needs quoting rules. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema a notifier DataSource works in (validated by notifierDataSourceOptions). */
export function ledgerSchemaOf(dataSource: DataSource): string {
  return (dataSource.options as { schema?: string }).schema ?? NOTIFIER_SCHEMA;
}

/** The same, quoted for SQL: what the migrations write their statements with. */
export function quotedLedgerSchema(dataSource: DataSource): string {
  return quoteIdent(ledgerSchemaOf(dataSource));
}

/**
 * Where a qualifying event's email is in its life:
 * - `pending`: waiting to be sent (again) at `next_attempt_at`;
 * - `sending`: claimed by a worker until `lease_until`;
 * - `sent`: the provider accepted it;
 * - `unknown`: a worker died mid-send, so the provider may or may not have accepted it (parked);
 * - `failed`: permanently refused or out of retries (published to the notifier DLQ);
 * - `cancelled`: the learner was retired before it was sent (SPEC §8.3): never sent, never requeued.
 */
export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'unknown', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One row per `AttemptStatusChanged` event that needs the status email: the delivery ledger. */
@Entity({ name: 'email_delivery' }) // in the DataSource's schema (`notifier`)
@Index('email_delivery_due_idx', ['status', 'nextAttemptAt'])
export class EmailDeliveryRow {
  @PrimaryColumn({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'attempt_id', type: 'text' })
  attemptId!: string;

  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  /** The event's `correlationid` (null on rows recorded before it was kept). */
  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId!: string | null;

  /** W3C trace context of the span that recorded the row: the send span's parent (null: none). */
  @Column({ name: 'traceparent', type: 'text', nullable: true })
  traceparent!: string | null;

  @Column({ name: 'tracestate', type: 'text', nullable: true })
  tracestate!: string | null;

  @Column({ name: 'status', type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Column({ name: 'from_address', type: 'text' })
  fromAddress!: string;

  @Column({ name: 'to_address', type: 'text' })
  toAddress!: string;

  @Column({ name: 'subject', type: 'text' })
  subject!: string;

  @Column({ name: 'html_body', type: 'text' })
  htmlBody!: string;

  @Column({ name: 'text_body', type: 'text' })
  textBody!: string;

  /** Send attempts started (a claim counts one). */
  @Column({ name: 'attempts', type: 'int', default: 0 })
  attempts!: number;

  /** Of those, how many were answered 429: they do not use up the retry budget. */
  @Column({ name: 'throttled', type: 'int', default: 0 })
  throttled!: number;

  /** Operator requeues so far: fences claims made before the last one, and names each DLQ failure. */
  @Column({ name: 'requeues', type: 'int', default: 0 })
  requeues!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @Column({ name: 'provider_message_id', type: 'text', nullable: true })
  providerMessageId!: string | null;

  /** Why the last try did not succeed; never contains an email address. */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'last_status_code', type: 'int', nullable: true })
  lastStatusCode!: number | null;

  /** When a `failed` row reached the notifier DLQ (null: not yet). */
  @Column({ name: 'dlq_published_at', type: 'timestamptz', nullable: true })
  dlqPublishedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}
