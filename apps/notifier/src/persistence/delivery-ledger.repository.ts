import type { Pool } from 'pg';
import { RETIRED_EMAIL } from '../../../../libs/domain/src';
import { inTransaction, type SqlRunner } from '../../../../libs/platform/src/database/sql-runner';
import type { DeliveryStatus } from './email-delivery.row';

/** A rendered email to record for one event. */
export interface NewDelivery {
  eventId: string;
  attemptId: string;
  userId: string;
  /** The event's `correlationid`, copied to its DLQ message if the email fails. */
  correlationId: string | null;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** The trace context to send under (the consume span that recorded the row), if any. */
  traceparent?: string | null;
  tracestate?: string | null;
}

/**
 * A row claimed for sending. `attempts` (already counting this try) and `requeues` fence the
 * completion: an outcome is recorded only while the row is still on that claim.
 */
export interface ClaimedDelivery extends Omit<NewDelivery, 'correlationId'> {
  attempts: number;
  throttled: number;
  requeues: number;
}

/** Which claim an outcome or a release belongs to. */
export interface ClaimFence {
  eventId: string;
  attempts: number;
  requeues: number;
}

/** What happened to one claimed send, as decided by the retry policy. */
export type DeliveryCompletion =
  | (ClaimFence & { status: 'sent'; providerMessageId: string | null; statusCode: number | null })
  | (ClaimFence & {
      status: 'pending';
      delayMs: number;
      lastError: string;
      statusCode: number | null;
      throttled: boolean;
    })
  | (ClaimFence & { status: 'failed'; lastError: string; statusCode: number | null; throttled: boolean });

/** A failed row as it is published to the notifier DLQ: no address, no content. */
export interface FailedDelivery {
  eventId: string;
  attemptId: string;
  userId: string;
  /** The event's `correlationid`; null on rows recorded before the ledger kept it. */
  correlationId: string | null;
  /** Operator requeues before this failure: with the event id, it names the failure (DLQ message id). */
  requeues: number;
  reason: string;
  statusCode: number | null;
  attempts: number;
  /** When the row was given up on. */
  failedAt: Date;
}

/**
 * The delivery ledger (`notifier.email_delivery`), with set-based SQL only: every method is one
 * statement (or one per chunk) whatever the number of rows, so the ledger keeps up with thousands of
 * emails per second. Status writes happen here and nowhere else. Statements go straight to the
 * notifier's pg pool (TypeORM only migrates).
 */
export class DeliveryLedgerRepository {
  /** `notifier.email_delivery` (another schema only in tests). */
  private readonly table: string;
  /** `notifier.retired_learner`: the learners retired so far (SPEC §8.3). */
  private readonly retired: string;
  private readonly pool: Pool;

  /** `schema`: the ledger's (validated by notifierDataSourceOptions, which migrated it). */
  constructor(pool: Pool, schema: string) {
    this.table = `"${schema}".email_delivery`;
    this.retired = `"${schema}".retired_learner`;
    this.pool = pool;
  }

  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  /** recordMany in a transaction of its own. */
  async record(rows: readonly NewDelivery[]): Promise<string[]> {
    return inTransaction(this.pool, (tx) => this.recordMany(tx, rows));
  }

  /**
   * Inserts rows not seen before (by event id), inside the caller's transaction. Returns the event
   * ids actually inserted.
   */
  async recordMany(tx: SqlRunner, rows: readonly NewDelivery[]): Promise<string[]> {
    const unique = [...new Map(rows.map((r) => [r.eventId, r])).values()];
    if (unique.length === 0) return [];
    // Shared with every other recording, exclusive with a retirement (retireLearner): a row is either
    // recorded before a retirement (which then cancels and scrubs it) or refused after it.
    await tx.query(`SELECT pg_advisory_xact_lock_shared($1)`, [RETIREMENT_LOCK_KEY]);
    const result = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.table} (event_id, attempt_id, user_id, from_address, to_address, subject, html_body, text_body, correlation_id, traceparent, tracestate)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $11::text[], $12::text[])
                  AS x(event_id, attempt_id, user_id, from_address, to_address, subject, html_body, text_body, correlation_id, traceparent, tracestate)
        WHERE x.to_address <> $10 AND NOT EXISTS (SELECT 1 FROM ${this.retired} r WHERE r.user_id = x.user_id)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        unique.map((r) => r.eventId),
        unique.map((r) => r.attemptId),
        unique.map((r) => r.userId),
        unique.map((r) => r.from),
        unique.map((r) => r.to),
        unique.map((r) => r.subject),
        unique.map((r) => r.html),
        unique.map((r) => r.text),
        unique.map((r) => r.correlationId),
        RETIRED_EMAIL,
        unique.map((r) => r.traceparent ?? null),
        unique.map((r) => r.tracestate ?? null),
      ],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * A learner's retirement (SPEC §8.3), in one transaction: the learner is kept in `retired_learner`
   * for good (recordMany never records an email to them again); every ledger row of theirs loses the
   * address (the placeholder) and the rendered content; the ones not sent yet (`pending`, `sending`,
   * `unknown`, `failed`) become `cancelled` (never claimed, completed, released, parked or requeued:
   * every one of those statements names the statuses it moves). Idempotent. Returns the event ids of
   * all the learner's rows, so the sender can forget what it kept for them (the `.eml` files).
   */
  async retireLearner(userId: string): Promise<string[]> {
    return inTransaction(this.pool, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1)`, [RETIREMENT_LOCK_KEY]);
      await tx.query(`INSERT INTO ${this.retired} (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [userId]);
      const rows = await tx.query<{ event_id: string }>(
        `UPDATE ${this.table}
            SET status = CASE WHEN status IN ('pending', 'sending', 'unknown', 'failed') THEN 'cancelled' ELSE status END,
                to_address = $2, subject = '', html_body = '', text_body = '',
                lease_owner = CASE WHEN status = 'sending' THEN NULL ELSE lease_owner END,
                lease_until = CASE WHEN status = 'sending' THEN NULL ELSE lease_until END,
                updated_at = now()
          WHERE user_id = $1
         RETURNING event_id`,
        [userId, RETIRED_EMAIL],
      );
      return rows.map((r) => r.event_id);
    });
  }

  /** Of these event ids, the ones whose row is `cancelled`. */
  async cancelledAmong(eventIds: readonly string[]): Promise<string[]> {
    const rows = await this.rows<{ event_id: string }>(
      `SELECT event_id FROM ${this.table} WHERE event_id = ANY($1::text[]) AND status = 'cancelled'`,
      [eventIds],
    );
    return rows.map((r) => r.event_id);
  }

  /** Whether the learner is retired (tests, operator tools). */
  async isRetired(userId: string): Promise<boolean> {
    const rows = await this.rows(`SELECT 1 FROM ${this.retired} WHERE user_id = $1`, [userId]);
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` due rows for `owner` until now + `leaseMs`: they become `sending` and their
   * attempt count goes up by one. Rows locked by another claimer are skipped, never waited for.
   */
  async claimDue(limit: number, owner: string, leaseMs: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const rows = await this.rows<Record<string, unknown>>(
      `WITH due AS (
         SELECT event_id FROM ${this.table}
          WHERE status = 'pending' AND next_attempt_at <= now()
          ORDER BY next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       )
       UPDATE ${this.table} d
          SET status = 'sending', lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond',
              attempts = d.attempts + 1, updated_at = now()
         FROM due
        WHERE d.event_id = due.event_id
       RETURNING d.event_id, d.attempt_id, d.user_id, d.from_address, d.to_address, d.subject, d.html_body,
                 d.text_body, d.attempts, d.throttled, d.requeues, d.traceparent, d.tracestate`,
      [limit, owner, leaseMs],
    );
    return rows.map((r) => ({
      eventId: r.event_id as string,
      attemptId: r.attempt_id as string,
      userId: r.user_id as string,
      from: r.from_address as string,
      to: r.to_address as string,
      subject: r.subject as string,
      html: r.html_body as string,
      text: r.text_body as string,
      attempts: Number(r.attempts),
      throttled: Number(r.throttled),
      requeues: Number(r.requeues),
      traceparent: (r.traceparent as string | null) ?? null,
      tracestate: (r.tracestate as string | null) ?? null,
    }));
  }

  /**
   * Records the outcome of claimed sends in one statement. A completion applies only to the claim it
   * belongs to (same `attempts` and `requeues`) and only while no newer claim exists: a row parked
   * `unknown`, or put back to `pending` after its lease expired, still takes the real outcome when it
   * arrives late; a row an operator requeued since does not. Returns the event ids updated.
   */
  async completeMany(completions: readonly DeliveryCompletion[]): Promise<string[]> {
    if (completions.length === 0) return [];
    const result = await this.rows<{ event_id: string }>(
      `UPDATE ${this.table} d
          SET status = v.status,
              provider_message_id = COALESCE(v.provider_message_id, d.provider_message_id),
              last_error = v.last_error,
              last_status_code = v.status_code,
              next_attempt_at = CASE WHEN v.status = 'pending'
                                     THEN now() + v.delay_ms * interval '1 millisecond'
                                     ELSE d.next_attempt_at END,
              throttled = d.throttled + v.throttled,
              sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE d.sent_at END,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::int[], $9::int[])
              AS v(event_id, attempts, status, provider_message_id, last_error, status_code, delay_ms, throttled, requeues)
        WHERE d.event_id = v.event_id
          AND d.attempts = v.attempts
          AND d.requeues = v.requeues
          AND d.status IN ('sending', 'unknown', 'pending')
       RETURNING d.event_id`,
      [
        completions.map((c) => c.eventId),
        completions.map((c) => c.attempts),
        completions.map((c) => c.status),
        completions.map((c) => (c.status === 'sent' ? c.providerMessageId : null)),
        completions.map((c) => (c.status === 'sent' ? null : c.lastError)),
        completions.map((c) => c.statusCode),
        completions.map((c) => (c.status === 'pending' ? Math.max(0, Math.round(c.delayMs)) : 0)),
        completions.map((c) => (c.status !== 'sent' && c.throttled ? 1 : 0)),
        completions.map((c) => c.requeues),
      ],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * Gives claims that were never sent back: `pending` again, due now, the claim's attempt uncounted.
   * Only while the claim is still the row's latest one (same `attempts` and `requeues`) and still `sending`.
   */
  async releaseMany(claims: readonly ClaimFence[]): Promise<string[]> {
    if (claims.length === 0) return [];
    const result = await this.rows<{ event_id: string }>(
      `UPDATE ${this.table} d
          SET status = 'pending', attempts = d.attempts - 1, lease_owner = NULL, lease_until = NULL,
              next_attempt_at = now(), updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::int[]) AS v(event_id, attempts, requeues)
        WHERE d.event_id = v.event_id AND d.attempts = v.attempts AND d.requeues = v.requeues AND d.status = 'sending'
       RETURNING d.event_id`,
      [claims.map((c) => c.eventId), claims.map((c) => c.attempts), claims.map((c) => c.requeues)],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * Rows still `sending` after their lease ran out belong to a worker that died mid-send: the provider
   * may have accepted them. They are parked `unknown` (at most once), or put back to `pending` when
   * `resend` is on (at least once). Returns the event ids affected.
   */
  async parkExpiredLeases(resend: boolean): Promise<string[]> {
    const result = await this.rows<{ event_id: string }>(
      `UPDATE ${this.table}
          SET status = CASE WHEN $1::boolean THEN 'pending' ELSE 'unknown' END,
              last_error = 'lease expired while sending: the provider may have accepted it',
              lease_owner = NULL, lease_until = NULL, next_attempt_at = now(), updated_at = now()
        WHERE event_id IN (
          SELECT event_id FROM ${this.table}
           WHERE status = 'sending' AND lease_until < now()
           FOR UPDATE SKIP LOCKED)
       RETURNING event_id`,
      [resend],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * Operator action (`npm run notifier -- requeue`): rows parked `unknown` (after checking the
   * provider's activity feed) or `failed` (after fixing the cause) go back to `pending`, due now, with
   * their attempt and 429 counts reset so they get the full retry budget again. `requeues` goes up by
   * one, so an outcome from a claim made before the requeue is never recorded, and a new failure gets
   * a new DLQ message id. Only `unknown` and `failed` rows move. `dryRun` changes nothing and returns
   * the rows it would move. Returns the rows as they were before, oldest first.
   */
  async requeue(target: RequeueTarget, options: { dryRun?: boolean } = {}): Promise<LedgerRowSummary[]> {
    const [eventId, status] = target.kind === 'event' ? [target.eventId, null] : [null, target.status];
    const where = `status IN ('unknown', 'failed') AND ($1::text IS NULL OR event_id = $1) AND ($2::text IS NULL OR status = $2)`;
    const rows = options.dryRun
      ? await this.rows<Record<string, unknown>>(`SELECT ${SUMMARY_COLUMNS} FROM ${this.table} WHERE ${where}`, [eventId, status])
      : await this.rows<Record<string, unknown>>(
          `WITH target AS (
             SELECT ${SUMMARY_COLUMNS} FROM ${this.table} WHERE ${where} FOR UPDATE
           )
           UPDATE ${this.table} d
              SET status = 'pending', attempts = 0, throttled = 0, requeues = d.requeues + 1,
                  next_attempt_at = now(), lease_owner = NULL, lease_until = NULL, dlq_published_at = NULL,
                  updated_at = now()
             FROM target
            WHERE d.event_id = target.event_id
           RETURNING ${SUMMARY_COLUMNS.split(', ').map((c) => `target.${c}`).join(', ')}`,
          [eventId, status],
        );
    return rows.map(toSummary).sort(oldestFirst);
  }

  /** Rows in one status, oldest first (by last change), at most `limit`, and how many there are. */
  async list(status: DeliveryStatus, limit: number): Promise<{ total: number; rows: LedgerRowSummary[] }> {
    const [rows, count] = await Promise.all([
      this.rows<Record<string, unknown>>(
        `SELECT ${SUMMARY_COLUMNS} FROM ${this.table} WHERE status = $1 ORDER BY updated_at, event_id LIMIT $2`,
        [status, limit],
      ),
      this.rows<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE status = $1`, [status]),
    ]);
    return { total: Number(count[0].n), rows: rows.map(toSummary) };
  }

  /**
   * Hands up to `limit` failed rows not yet on the DLQ to `publish`, and marks them published when it
   * resolves, in one transaction whose row locks keep other instances from publishing the same rows.
   * If `publish` throws nothing is marked, and the rows are offered again on the next call.
   */
  async publishFailures(limit: number, publish: (rows: FailedDelivery[]) => Promise<void>): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const rows = await tx.query<Record<string, unknown>>(
        `SELECT event_id, attempt_id, user_id, correlation_id, requeues, last_error, last_status_code, attempts, updated_at
           FROM ${this.table}
          WHERE status = 'failed' AND dlq_published_at IS NULL
          ORDER BY updated_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      await publish(
        rows.map((r) => ({
          eventId: r.event_id as string,
          attemptId: r.attempt_id as string,
          userId: r.user_id as string,
          correlationId: r.correlation_id as string | null,
          requeues: Number(r.requeues),
          reason: (r.last_error as string | null) ?? 'failed',
          statusCode: r.last_status_code === null ? null : Number(r.last_status_code),
          attempts: Number(r.attempts),
          failedAt: r.updated_at as Date,
        })),
      );
      await tx.query(`UPDATE ${this.table} SET dlq_published_at = now() WHERE event_id = ANY($1::text[])`, [
        rows.map((r) => r.event_id as string),
      ]);
      return rows.length;
    });
  }

  /**
   * Deletes finished rows (`sent`, and `failed` already on the DLQ) last touched before
   * now − `retentionMs`, in chunks so no statement holds many locks. `unknown` rows stay for an operator.
   */
  async purgeOlderThan(retentionMs: number, chunk = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.rows<{ event_id: string }>(
        `DELETE FROM ${this.table}
          WHERE event_id IN (
            SELECT event_id FROM ${this.table}
             WHERE (status IN ('sent', 'cancelled') OR (status = 'failed' AND dlq_published_at IS NOT NULL))
               AND updated_at < now() - $1 * interval '1 millisecond'
             LIMIT $2
             FOR UPDATE SKIP LOCKED)
         RETURNING event_id`,
        [retentionMs, chunk],
      );
      total += result.length;
      if (result.length < chunk) return total;
    }
  }

  /** Rows waiting or in flight, by status (for the backlog gauge). */
  async backlog(): Promise<Record<'pending' | 'sending' | 'unknown' | 'failed_unpublished', number>> {
    const rows = await this.rows<{ k: string; n: string }>(
      `SELECT status AS k, count(*) AS n FROM ${this.table} WHERE status IN ('pending', 'sending', 'unknown') GROUP BY status
       UNION ALL
       SELECT 'failed_unpublished', count(*) FROM ${this.table} WHERE status = 'failed' AND dlq_published_at IS NULL`,
    );
    const out = { pending: 0, sending: 0, unknown: 0, failed_unpublished: 0 };
    for (const r of rows) if (r.k in out) out[r.k as keyof typeof out] = Number(r.n);
    return out;
  }

  /** The row for one event without the email (no address, no content), or null (tests, operator tools). */
  async find(eventId: string): Promise<LedgerRowView | null> {
    const rows = await this.rows<Record<string, unknown>>(
      `SELECT event_id, attempt_id, user_id, correlation_id, status, attempts, throttled, requeues, next_attempt_at,
              lease_owner, lease_until, provider_message_id, last_error, last_status_code, dlq_published_at, sent_at,
              created_at, updated_at
         FROM ${this.table} WHERE event_id = $1`,
      [eventId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      eventId: r.event_id as string,
      attemptId: r.attempt_id as string,
      userId: r.user_id as string,
      correlationId: r.correlation_id as string | null,
      status: r.status as DeliveryStatus,
      attempts: Number(r.attempts),
      throttled: Number(r.throttled),
      requeues: Number(r.requeues),
      nextAttemptAt: r.next_attempt_at as Date,
      leaseOwner: r.lease_owner as string | null,
      leaseUntil: r.lease_until as Date | null,
      providerMessageId: r.provider_message_id as string | null,
      lastError: r.last_error as string | null,
      lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
      dlqPublishedAt: r.dlq_published_at as Date | null,
      sentAt: r.sent_at as Date | null,
      createdAt: r.created_at as Date,
      updatedAt: r.updated_at as Date,
    };
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}

/** One ledger row without the email (no address, no subject, no body). */
export interface LedgerRowView {
  eventId: string;
  attemptId: string;
  userId: string;
  correlationId: string | null;
  status: DeliveryStatus;
  attempts: number;
  throttled: number;
  requeues: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  providerMessageId: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  dlqPublishedAt: Date | null;
  sentAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One line of `list` and `requeue`. */
export interface LedgerRowSummary {
  eventId: string;
  attemptId: string;
  userId: string;
  status: DeliveryStatus;
  attempts: number;
  requeues: number;
  lastError: string | null;
  lastStatusCode: number | null;
  updatedAt: Date;
}

/** Which rows an operator requeues: one event, or every row in a status. */
export type RequeueTarget = { kind: 'event'; eventId: string } | { kind: 'status'; status: 'unknown' | 'failed' };

/** The advisory lock a retirement takes exclusively and every recording takes shared (see recordMany). */
const RETIREMENT_LOCK_KEY = 7_301_003;

const SUMMARY_COLUMNS = 'event_id, attempt_id, user_id, status, attempts, requeues, last_error, last_status_code, updated_at';

function toSummary(r: Record<string, unknown>): LedgerRowSummary {
  return {
    eventId: r.event_id as string,
    attemptId: r.attempt_id as string,
    userId: r.user_id as string,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    requeues: Number(r.requeues),
    lastError: r.last_error as string | null,
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    updatedAt: r.updated_at as Date,
  };
}

function oldestFirst(a: LedgerRowSummary, b: LedgerRowSummary): number {
  return a.updatedAt.getTime() - b.updatedAt.getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}
