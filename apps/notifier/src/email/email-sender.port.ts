/**
 * The email driver interface (STYLE: email behind a driver interface). The delivery worker knows
 * nothing about SendGrid or files; it sends an `OutgoingEmail` and gets a `SendOutcome` back.
 *
 * Expected outcomes are values: a driver never throws for a refused or failed send, it returns
 * `retry`, `permanent` or `unavailable`. `reason` texts never contain an email address or a credential.
 */
export interface OutgoingEmail {
  /** The `AttemptStatusChanged` event id: the idempotency key, sent as SendGrid `custom_args.event_id`. */
  eventId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

export type SendOutcome =
  | { kind: 'sent'; providerMessageId: string | null }
  | { kind: 'retry'; reason: string; retryAfterMs: number | null; statusCode?: number | null }
  | { kind: 'permanent'; reason: string; statusCode: number | null }
  /**
   * The driver cannot send any email now (its own resource failed: the file driver's folder is full,
   * read-only or gone); nothing was sent and the email is not at fault. The worker gives the row back
   * without counting an attempt and pauses sending, so an outage of any length loses no email.
   */
  | { kind: 'unavailable'; reason: string };

export interface EmailSender {
  /** Short name for logs and metrics (`sendgrid`, `file`). */
  readonly name: string;
  send(email: OutgoingEmail): Promise<SendOutcome>;
  /**
   * Deletes whatever the driver kept of these emails (a retired learner's, SPEC §8.3): the file
   * driver's `.eml` files. Absent when the driver keeps nothing (SendGrid: the provider's own
   * activity feed is out of our reach; docs/operations.md).
   */
  forget?(eventIds: readonly string[]): Promise<void>;
}

/** Nest injection token for the configured `EmailSender`. */
export const EMAIL_SENDER = Symbol('EMAIL_SENDER');
