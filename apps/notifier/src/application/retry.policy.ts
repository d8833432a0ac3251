import type { SendOutcome } from '../email/email-sender.port';
import type { ClaimedDelivery, ClaimFence, DeliveryCompletion } from '../persistence/delivery-ledger.repository';

export interface RetryPolicyOptions {
  /** Sends that failed for a reason other than rate limiting before the email is given up. */
  maxAttempts: number;
  /** Rate-limited (429) sends before the email is given up; they do not use up `maxAttempts`. */
  maxThrottled: number;
  /** First backoff delay for 5xx, timeouts and connection errors; doubles per failure. */
  baseDelayMs: number;
  /** Ceiling of the backoff delay. */
  maxDelayMs: number;
  random?: () => number;
}

/** What a decision means, for metrics and logs. */
export type DecisionKind = 'sent' | 'retry_rate_limited' | 'retry_transient' | 'failed_permanent' | 'failed_exhausted' | 'deferred_unavailable';

/** A send's outcome to record, or (the driver unavailable) a claim to hand back unsent and a pause of all sending. */
export type RetryDecision = CompletionDecision | { kind: 'deferred_unavailable'; release: ClaimFence; pauseMs: number };

/** The decision for an outcome the driver reached: what to record on the ledger. */
export interface CompletionDecision {
  kind: Exclude<DecisionKind, 'deferred_unavailable'>;
  completion: DeliveryCompletion;
}

/** The longest pause of all sending while the driver is unavailable: a freed disk is used within this. */
const MAX_UNAVAILABLE_PAUSE_MS = 30_000;

/** Added to a provider-given wait so many rows throttled together do not all come back at once. */
const RATE_LIMIT_SPREAD_MS = 250;

/** A provider-given wait longer than this is taken as a broken header, not honoured as is. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The one retry-or-give-up decision of the notifier (STYLE habit 6), applied to every send:
 * - accepted → `sent`;
 * - 429 → wait what SendGrid asked (`Retry-After` / `X-RateLimit-Reset`, plus a small spread; backoff
 *   when it named no time); does not count against `maxAttempts`, but at most `maxThrottled` times;
 * - 5xx, timeouts, connection errors → jittered exponential backoff, capped; `failed` after
 *   `maxAttempts` such failures;
 * - any other refusal → `failed` at once;
 * - the driver unavailable (its folder full or read-only) → the row goes back unsent, its attempt
 *   uncounted, however long that lasts, and the worker pauses sending (backoff, at most 30 s).
 * Every `failed` row is then published to the notifier DLQ by the worker.
 */
export class RetryPolicy {
  private readonly random: () => number;

  constructor(private readonly options: RetryPolicyOptions) {
    this.random = options.random ?? Math.random;
  }

  decide(claim: ClaimedDelivery, outcome: Exclude<SendOutcome, { kind: 'unavailable' }>): CompletionDecision;
  /** `outages`: consecutive pauses of this outage so far, counting this one (from 1). */
  decide(claim: ClaimedDelivery, outcome: SendOutcome, outages?: number): RetryDecision;
  decide(claim: ClaimedDelivery, outcome: SendOutcome, outages = 1): RetryDecision {
    const base = { eventId: claim.eventId, attempts: claim.attempts, requeues: claim.requeues };
    switch (outcome.kind) {
      case 'sent':
        return {
          kind: 'sent',
          completion: { ...base, status: 'sent', providerMessageId: outcome.providerMessageId, statusCode: null },
        };
      case 'permanent':
        return {
          kind: 'failed_permanent',
          completion: { ...base, status: 'failed', lastError: outcome.reason, statusCode: outcome.statusCode, throttled: false },
        };
      case 'unavailable':
        return {
          kind: 'deferred_unavailable',
          release: base,
          pauseMs: Math.min(MAX_UNAVAILABLE_PAUSE_MS, this.backoff(outages)),
        };
      case 'retry': {
        const statusCode = outcome.statusCode ?? null;
        const rateLimited = statusCode === 429;
        const throttled = claim.throttled + (rateLimited ? 1 : 0);
        const failures = claim.attempts - throttled;
        if (rateLimited ? throttled >= this.options.maxThrottled : failures >= this.options.maxAttempts) {
          const lastError = `gave up after ${claim.attempts} attempts: ${outcome.reason}`;
          return {
            kind: 'failed_exhausted',
            completion: { ...base, status: 'failed', lastError, statusCode, throttled: rateLimited },
          };
        }
        const delayMs =
          rateLimited && outcome.retryAfterMs !== null
            ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS) + Math.round(this.random() * RATE_LIMIT_SPREAD_MS)
            : this.backoff(rateLimited ? throttled : failures);
        return {
          kind: rateLimited ? 'retry_rate_limited' : 'retry_transient',
          completion: { ...base, status: 'pending', delayMs, lastError: outcome.reason, statusCode, throttled: rateLimited },
        };
      }
    }
  }

  /** Exponential backoff with jitter in [ceiling/2, ceiling], capped at `maxDelayMs`. `n` starts at 1. */
  backoff(n: number): number {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.max(0, n - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }
}
