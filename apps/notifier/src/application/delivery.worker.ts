import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { checkRecipient } from '../../../../libs/domain/src';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { NO_TRACING, SpanKind, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
import type { EmailSender, SendOutcome } from '../email/email-sender.port';
import type { ClaimedDelivery, ClaimFence, DeliveryCompletion, DeliveryLedgerRepository } from '../persistence/delivery-ledger.repository';
import type { FailedEmailPublisher } from './failed-email.port';
import type { NotifierMetrics } from './notifier.metrics';
import type { RetryPolicy } from './retry.policy';

export interface DeliveryWorkerOptions {
  /** Sends in flight at once. */
  concurrency: number;
  /** How long a claim is owned; must exceed the send timeout by a wide margin. */
  leaseMs: number;
  /** Put rows whose lease expired mid-send back to `pending` (at least once) instead of `unknown`. */
  resendUnknown: boolean;
  /** How often to look for due rows when nothing woke the worker. */
  pollIntervalMs: number;
  /** Delete finished ledger rows older than this (ms); 0 disables purging. */
  retentionMs: number;
  /** How often to purge. */
  purgeIntervalMs?: number;
  /** Failed rows published to the DLQ per statement. */
  dlqBatchSize?: number;
  /** Identifies this worker in `lease_owner`. */
  owner?: string;
  /** A span per send, a child of the span that recorded the row (default: off). */
  tracing?: Tracing;
}

/** The status of a send span whose email did not go out. */
const FAILED_SPAN: Record<Exclude<SendOutcome['kind'], 'sent'>, string> = {
  retry: 'not sent yet (retry)',
  permanent: 'failed permanently',
  unavailable: 'sender unavailable (held back)',
};

/**
 * Sends what the ledger says is due, decoupled from consuming (SPEC §4 "Email"). One loop per process:
 *
 * 1. park rows whose lease expired (their worker died mid-send);
 * 2. claim due rows, enough to fill the free send slots plus one slot's worth of prefetch, so a
 *    finished send is followed by the next one at once, without waiting for the database;
 * 3. send each row, unless its recipient is not exactly one mailbox (libs/domain `checkRecipient`):
 *    then it fails permanently, unsent; as sends finish, apply the retry policy and record all
 *    finished outcomes in one statement (concurrently with the next claim);
 *    a driver that is unavailable (its folder full) hands the row back unsent and pauses sending;
 * 4. publish newly failed rows to the notifier DLQ; purge old finished rows now and then.
 *
 * Sends run concurrently (`concurrency`), claims and completions are set-based. `stop()` stops
 * claiming, hands back claimed rows it has not started, waits for the sends in flight and records
 * their outcomes before it resolves.
 */
export class DeliveryWorker {
  readonly owner: string;
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Claimed, not started yet, with the local time of the claim. */
  private queue: Array<{ claim: ClaimedDelivery; claimedAt: number }> = [];
  /** Claims given back unsent (stale, stopping, or the driver unavailable), to be released in the next statement. */
  private unsent: ClaimFence[] = [];
  private finished: DeliveryCompletion[] = [];
  private signalled = false;
  private wakeUp: (() => void) | null = null;
  private dlqDirty = true;
  private lastPark = 0;
  private lastPurge = 0;
  private lastDlqCheck = 0;
  private dlqRetryAt = 0;
  private dlqFaults = 0;
  private readonly parkIntervalMs: number;
  /** While the driver is unavailable (its folder full): no claims, no sends until then. */
  private pausedUntil = 0;
  /** Pauses of the current driver outage (0: none). */
  private outages = 0;

  constructor(
    private readonly ledger: DeliveryLedgerRepository,
    private readonly sender: EmailSender,
    private readonly policy: RetryPolicy,
    private readonly dlq: FailedEmailPublisher,
    private readonly metrics: NotifierMetrics,
    private readonly logger: Logger,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.parkIntervalMs = Math.max(100, Math.min(5000, Math.floor(options.leaseMs / 4)));
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** New rows were recorded: look for due rows now instead of at the next poll. */
  wake(): void {
    this.signal();
  }

  /** Stops claiming, lets the sends in flight finish and records their outcomes. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.signal();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    let faults = 0;
    while (this.running) {
      try {
        await this.housekeeping();
        await Promise.all([this.flush(), this.claim(), this.release()]);
        faults = 0;
      } catch (e) {
        faults++;
        const delay = Math.min(10_000, 100 * 2 ** Math.min(faults, 7));
        this.logger.error({ err: e, retryInMs: delay }, 'delivery loop failed (database fault); retrying');
        await this.sleep(delay);
        continue;
      }
      await this.maybePublishFailures();
      // Returns at once when a send finished or new rows were recorded meanwhile.
      await this.waitForSignal(this.options.pollIntervalMs);
    }
    await this.drain();
  }

  /** Waits `ms` unless stopped meanwhile (send completions do not cut a fault backoff short). */
  private async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.running && Date.now() < until) await this.waitForSignal(until - Date.now());
  }

  private async drain(): Promise<void> {
    this.unsent.push(...this.queue.map((q) => q.claim));
    this.queue = [];
    await Promise.allSettled([...this.inFlight]);
    for (let attempt = 1; (this.finished.length > 0 || this.unsent.length > 0) && attempt <= 5; attempt++) {
      try {
        await Promise.all([this.flush(), this.release()]);
      } catch (e) {
        this.logger.error({ err: e, attempt }, 'could not record send outcomes while stopping');
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    if (this.finished.length > 0 || this.unsent.length > 0) {
      this.logger.error(
        { unrecorded: this.finished.length, unreleased: this.unsent.length },
        'stopped with rows not recorded: they stay sending until their lease expires',
      );
    }
    try {
      await this.publishFailures();
    } catch (e) {
      this.logger.warn({ err: e }, 'could not publish failed emails while stopping; they are published later');
    }
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPark >= this.parkIntervalMs) {
      this.lastPark = now;
      const parked = await this.ledger.parkExpiredLeases(this.options.resendUnknown);
      if (parked.length > 0) {
        const outcome = this.options.resendUnknown ? 'requeued_unknown' : 'unknown';
        this.metrics.emails.inc({ outcome }, parked.length);
        this.logger.warn(
          { eventIds: parked.slice(0, 50), count: parked.length, resend: this.options.resendUnknown },
          this.options.resendUnknown
            ? 'sends interrupted mid-flight: provider outcome unknown, resending (at least once)'
            : 'sends interrupted mid-flight: provider outcome unknown, parked for an operator (at most once)',
        );
      }
    }
    if (now - this.lastDlqCheck >= 30_000) {
      this.lastDlqCheck = now;
      this.dlqDirty = true;
    }
    const purgeEvery = this.options.purgeIntervalMs ?? 60 * 60 * 1000;
    if (this.options.retentionMs > 0 && now - this.lastPurge >= purgeEvery) {
      this.lastPurge = now;
      const purged = await this.ledger.purgeOlderThan(this.options.retentionMs);
      if (purged > 0) {
        this.metrics.purged.inc(purged);
        this.logger.info({ purged }, 'purged finished ledger rows past retention');
      }
    }
  }

  private async claim(): Promise<number> {
    if (!this.running || this.paused()) return 0;
    const { concurrency } = this.options;
    const held = this.inFlight.size + this.queue.length;
    const want = 2 * concurrency - held;
    // Claim in batches, not one row per finished send, unless the worker is idle.
    if (want <= 0 || (held > 0 && want < Math.max(1, Math.floor(concurrency / 2)))) return 0;
    const claims = await this.ledger.claimDue(want, this.owner, this.options.leaseMs);
    const claimedAt = Date.now();
    for (const claim of claims) this.queue.push({ claim, claimedAt });
    this.pump();
    return claims.length;
  }

  /** Starts queued sends while there are free slots. Claims too old to finish inside their lease go back. */
  private pump(): void {
    while (this.running && this.inFlight.size < this.options.concurrency && this.queue.length > 0) {
      const { claim, claimedAt } = this.queue.shift()!;
      if (Date.now() - claimedAt > this.options.leaseMs / 2 || this.paused()) {
        this.unsent.push(claim);
        continue;
      }
      this.startSend(claim);
    }
  }

  private startSend(claim: ClaimedDelivery): void {
    const task = this.send(claim).finally(() => {
      this.inFlight.delete(task);
      this.pump();
      this.signal();
    });
    this.inFlight.add(task);
  }

  /** Hands claims that were never sent back to `pending`, in one statement. */
  private async release(): Promise<void> {
    if (this.unsent.length === 0) return;
    const batch = this.unsent;
    this.unsent = [];
    try {
      await this.ledger.releaseMany(batch);
    } catch (e) {
      this.unsent = batch.concat(this.unsent);
      throw e;
    }
  }

  private async send(claim: ClaimedDelivery): Promise<void> {
    // SPEC §8.5: only ever one mailbox in `To:`. Anything else fails for good, unsent, whatever
    // recorded it (a ledger row from before the contract refused such addresses included).
    const recipient = checkRecipient(claim.to);
    const outcome: SendOutcome = recipient.ok
      ? await this.deliver(claim)
      : { kind: 'permanent', reason: recipient.error.reason, statusCode: null };
    // Sends that were already in flight when an outage began count as its first pause, not as more.
    const outages = this.paused() ? this.outages : this.outages + 1;
    const decision = this.policy.decide(claim, outcome, outages);
    this.metrics.countDecision(decision.kind);
    const fields = { eventId: claim.eventId, attemptId: claim.attemptId, attempt: claim.attempts };
    if (decision.kind === 'deferred_unavailable') {
      this.unsent.push(decision.release);
      if (!this.paused()) {
        this.outages = outages;
        this.pausedUntil = Date.now() + decision.pauseMs;
        this.logger.warn(
          { ...fields, reason: outcome.kind === 'unavailable' ? outcome.reason : undefined, pauseMs: decision.pauseMs, pauses: outages },
          `${this.sender.name} sender unavailable: emails held back unsent (no attempt counted), sending paused`,
        );
      }
      return;
    }
    switch (decision.kind) {
      case 'sent':
        if (this.outages > 0) this.logger.warn({ pauses: this.outages }, `${this.sender.name} sender available again: sending resumed`);
        this.outages = 0;
        this.logger.debug(fields, 'status email sent');
        break;
      case 'retry_rate_limited':
      case 'retry_transient':
        this.logger.info(
          { ...fields, reason: outcome.kind === 'retry' ? outcome.reason : undefined, retryInMs: retryIn(decision.completion) },
          'status email not sent yet; retrying',
        );
        break;
      case 'failed_permanent':
      case 'failed_exhausted':
        this.logger.warn(
          { ...fields, reason: decision.completion.status === 'failed' ? decision.completion.lastError : undefined },
          'status email failed; publishing to the notifier DLQ',
        );
        break;
    }
    this.finished.push(decision.completion);
  }

  /**
   * One send through the driver, timed, in a span `<driver> send` (kind client) whose parent is the
   * trace context stored with the row (the notifier's consume span of the event); a row without one
   * starts no span. Attributes: the event id, the outcome and the provider's status code; never an
   * address or content.
   */
  private async deliver(claim: ClaimedDelivery): Promise<SendOutcome> {
    const tracing = this.options.tracing ?? NO_TRACING;
    const span =
      tracing.enabled && claim.traceparent
        ? tracing.startSpan(`${this.sender.name} send`, {
            kind: SpanKind.CLIENT,
            remote: { traceparent: claim.traceparent, tracestate: claim.tracestate ?? undefined },
            attributes: { 'email.sender': this.sender.name, 'cloudevents.event_id': claim.eventId, 'proctoring.send_attempt': claim.attempts },
          })
        : undefined;
    try {
      const outcome = await this.timedSend(claim);
      span?.setAttributes({
        'proctoring.send_outcome': outcome.kind,
        ...((outcome.kind === 'retry' || outcome.kind === 'permanent') && typeof outcome.statusCode === 'number' ? { 'http.response.status_code': outcome.statusCode } : {}),
      });
      if (outcome.kind !== 'sent') span?.fail(FAILED_SPAN[outcome.kind]);
      return outcome;
    } finally {
      span?.end();
    }
  }

  private async timedSend(claim: ClaimedDelivery): Promise<SendOutcome> {
    const started = process.hrtime.bigint();
    let outcome: SendOutcome;
    try {
      outcome = await this.sender.send({
        eventId: claim.eventId,
        from: claim.from,
        to: claim.to,
        subject: claim.subject,
        html: claim.html,
        text: claim.text,
      });
    } catch (e) {
      // Drivers return outcomes; a throw is a bug or an unexpected fault. Retry it like a 5xx.
      const name = e instanceof Error ? e.name : 'error';
      outcome = { kind: 'retry', reason: `${this.sender.name} sender threw ${name}`, retryAfterMs: null, statusCode: null };
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.metrics.sendDuration.observe({ sender: this.sender.name, result: outcome.kind }, seconds);
    return outcome;
  }

  private async flush(): Promise<void> {
    if (this.finished.length === 0) return;
    const batch = this.finished;
    this.finished = [];
    let applied: string[];
    try {
      applied = await this.ledger.completeMany(batch);
    } catch (e) {
      this.finished = batch.concat(this.finished);
      throw e;
    }
    await this.forgetCancelledSends(batch, applied);
    // Failed rows are on the ledger now: the DLQ publisher can see them.
    if (batch.some((c) => c.status === 'failed')) this.dlqDirty = true;
  }

  /**
   * A send that was in flight when its learner was retired (SPEC §8.3) finds its row `cancelled`: the
   * outcome is not recorded, and what the driver kept of it (the `.eml` file written meanwhile) is
   * deleted, as the retirement did for the learner's other emails.
   */
  private async forgetCancelledSends(batch: readonly DeliveryCompletion[], applied: readonly string[]): Promise<void> {
    if (!this.sender.forget || applied.length === batch.length) return;
    const done = new Set(applied);
    const unrecorded = batch.filter((c) => c.status === 'sent' && !done.has(c.eventId)).map((c) => c.eventId);
    if (unrecorded.length === 0) return;
    const cancelled = await this.ledger.cancelledAmong(unrecorded);
    if (cancelled.length > 0) await this.sender.forget(cancelled);
  }

  /** Publishes failed rows when there may be some, backing off while the broker is unreachable. */
  private async maybePublishFailures(): Promise<void> {
    if (!this.dlqDirty || Date.now() < this.dlqRetryAt) return;
    try {
      await this.publishFailures();
      this.dlqFaults = 0;
    } catch (e) {
      this.dlqFaults++;
      const delay = Math.min(60_000, 500 * 2 ** Math.min(this.dlqFaults, 7));
      this.dlqRetryAt = Date.now() + delay;
      this.logger.error({ err: e, retryInMs: delay }, 'publishing failed emails to the notifier DLQ failed; retrying');
    }
  }

  private async publishFailures(): Promise<void> {
    this.dlqDirty = false;
    const batchSize = this.options.dlqBatchSize ?? 500;
    try {
      for (;;) {
        const published = await this.ledger.publishFailures(batchSize, (rows) => this.dlq.publish(rows));
        if (published > 0) {
          this.metrics.dlqPublished.inc(published);
          this.logger.info({ count: published }, 'published failed emails to the notifier DLQ');
        }
        if (published < batchSize) break;
      }
    } catch (e) {
      this.dlqDirty = true;
      this.metrics.dlqPublishErrors.inc();
      throw e;
    }
  }

  private paused(): boolean {
    return Date.now() < this.pausedUntil;
  }

  private signal(): void {
    this.signalled = true;
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  private async waitForSignal(timeoutMs: number): Promise<void> {
    if (this.signalled || !this.running) {
      this.signalled = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, timeoutMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.signalled = false;
  }
}

function retryIn(c: DeliveryCompletion): number | undefined {
  return c.status === 'pending' ? c.delayMs : undefined;
}
