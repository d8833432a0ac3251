import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction, poolOf } from '../../../../libs/platform/src/database/sql-runner';
import { ledgerSchemaOf, type DeliveryStatus } from './email-delivery.row';

/** A rendered email to record for one event. */
export interface NewDelivery {
  eventId: string;
  attemptId: string;
  userId: string;
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** A row claimed for sending. `attempts` (already counting this try) fences the completion. */
export interface ClaimedDelivery extends NewDelivery {
  attempts: number;
  throttled: number;
}

/** What happened to one claimed send, as decided by the retry policy. */
export type DeliveryCompletion =
  | { eventId: string; attempts: number; status: 'sent'; providerMessageId: string | null; statusCode: number | null }
  | {
      eventId: string;
      attempts: number;
      status: 'pending';
      delayMs: number;
      lastError: string;
      statusCode: number | null;
      throttled: boolean;
    }
  | { eventId: string; attempts: number; status: 'failed'; lastError: string; statusCode: number | null; throttled: boolean };

/** A failed row as it is published to the notifier DLQ: no address, no content. */
export interface FailedDelivery {
  eventId: string;
  attemptId: string;
  userId: string;
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
 * DataSource's pg pool (TypeORM's `query()` reshapes UPDATE … RETURNING results).
 */
export class DeliveryLedgerRepository {
  /** `notifier.email_delivery` (another schema only in tests). */
  private readonly table: string;
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.table = `"${ledgerSchemaOf(dataSource)}".email_delivery`;
    this.pool = poolOf(dataSource);
  }

  private async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  /**
   * Inserts rows not seen before (by event id), inside the caller's transaction. Returns the event
   * ids actually inserted.
   */
  async recordMany(manager: EntityManager, rows: readonly NewDelivery[]): Promise<string[]> {
    const unique = [...new Map(rows.map((r) => [r.eventId, r])).values()];
    if (unique.length === 0) return [];
    const result: Array<{ event_id: string }> = await manager.query(
      `INSERT INTO ${this.table} (event_id, attempt_id, user_id, from_address, to_address, subject, html_body, text_body)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
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
      ],
    );
    return result.map((r) => r.event_id);
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
                 d.text_body, d.attempts, d.throttled`,
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
    }));
  }

  /**
   * Records the outcome of claimed sends in one statement. A completion applies only to the claim it
   * belongs to (same `attempts`) and only while no newer claim exists: a row parked `unknown`, or put
   * back to `pending` after its lease expired, still takes the real outcome when it arrives late.
   * Returns the event ids updated.
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
         FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::int[])
              AS v(event_id, attempts, status, provider_message_id, last_error, status_code, delay_ms, throttled)
        WHERE d.event_id = v.event_id
          AND d.attempts = v.attempts
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
      ],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * Gives claims that were never sent back: `pending` again, due now, the claim's attempt uncounted.
   * Only while the claim is still the row's latest one (same `attempts`) and still `sending`.
   */
  async releaseMany(claims: ReadonlyArray<{ eventId: string; attempts: number }>): Promise<string[]> {
    if (claims.length === 0) return [];
    const result = await this.rows<{ event_id: string }>(
      `UPDATE ${this.table} d
          SET status = 'pending', attempts = d.attempts - 1, lease_owner = NULL, lease_until = NULL,
              next_attempt_at = now(), updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS v(event_id, attempts)
        WHERE d.event_id = v.event_id AND d.attempts = v.attempts AND d.status = 'sending'
       RETURNING d.event_id`,
      [claims.map((c) => c.eventId), claims.map((c) => c.attempts)],
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

  /** Operator action: resend rows parked `unknown` (all of them, or the given event ids). */
  async requeueUnknown(eventIds?: readonly string[]): Promise<string[]> {
    const result = await this.rows<{ event_id: string }>(
      `UPDATE ${this.table}
          SET status = 'pending', next_attempt_at = now(), updated_at = now()
        WHERE status = 'unknown' AND ($1::text[] IS NULL OR event_id = ANY($1::text[]))
       RETURNING event_id`,
      [eventIds ? [...eventIds] : null],
    );
    return result.map((r) => r.event_id);
  }

  /**
   * Hands up to `limit` failed rows not yet on the DLQ to `publish`, and marks them published when it
   * resolves, in one transaction whose row locks keep other instances from publishing the same rows.
   * If `publish` throws nothing is marked, and the rows are offered again on the next call.
   */
  async publishFailures(limit: number, publish: (rows: FailedDelivery[]) => Promise<void>): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const rows = await tx.query<Record<string, unknown>>(
        `SELECT event_id, attempt_id, user_id, last_error, last_status_code, attempts, updated_at FROM ${this.table}
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
             WHERE (status = 'sent' OR (status = 'failed' AND dlq_published_at IS NOT NULL))
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

  /** The row for one event, or null (tests, operator tools). */
  async find(eventId: string): Promise<LedgerRowView | null> {
    const rows = await this.rows<Record<string, unknown>>(
      `SELECT event_id, status, attempts, throttled, next_attempt_at, lease_owner, lease_until, provider_message_id,
              last_error, last_status_code, dlq_published_at, sent_at
         FROM ${this.table} WHERE event_id = $1`,
      [eventId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      eventId: r.event_id as string,
      status: r.status as DeliveryStatus,
      attempts: Number(r.attempts),
      throttled: Number(r.throttled),
      nextAttemptAt: r.next_attempt_at as Date,
      leaseOwner: r.lease_owner as string | null,
      leaseUntil: r.lease_until as Date | null,
      providerMessageId: r.provider_message_id as string | null,
      lastError: r.last_error as string | null,
      lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
      dlqPublishedAt: r.dlq_published_at as Date | null,
      sentAt: r.sent_at as Date | null,
    };
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}

export interface LedgerRowView {
  eventId: string;
  status: DeliveryStatus;
  attempts: number;
  throttled: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  providerMessageId: string | null;
  lastError: string | null;
  lastStatusCode: number | null;
  dlqPublishedAt: Date | null;
  sentAt: Date | null;
}
