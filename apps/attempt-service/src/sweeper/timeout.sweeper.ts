import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { INCOMPLETE_STATUSES } from '../../../../libs/domain/src';
import { sleep } from '../../../../libs/platform/src/kafka/backoff';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import type { ProcessCommandsUseCase } from '../application/process-commands.use-case';
import type { AttemptServiceMetrics } from '../attempt-service.metrics';

export interface TimeoutSweeperOptions {
  pool: Pool;
  processCommands: ProcessCommandsUseCase;
  metrics?: AttemptServiceMetrics;
  logger: Logger;
  intervalMs: number;
  batchSize: number;
  clock?: () => Date;
  newId?: () => string;
}

export interface SweepResult {
  sweepId: string;
  /** expired attempts found by the query. */
  found: number;
  /** attempts this sweep timed out (others were changed by a command or another instance first). */
  timedOut: number;
}

/**
 * The selection goes through the partial index `attempt_sweep_idx`: `sweep_at` is the expiry of an
 * attempt that is started and incomplete, NULL otherwise (written with every attempt change). The
 * status test is a safety net; the use case re-checks expiry, with the same clock, under the lock.
 */
export const EXPIRED_ATTEMPTS_SQL = `SELECT id FROM attempts.attempt
  WHERE sweep_at IS NOT NULL AND sweep_at < $1
    AND status IN (${INCOMPLETE_STATUSES.map((s) => `'${s}'`).join(',')})
  ORDER BY sweep_at LIMIT $2`;

/**
 * Times out expired attempts without anyone reading them (SPEC §2 "Timeouts"). Every timeout goes
 * through ProcessCommandsUseCase, which locks the learner and re-checks expiry, so several instances
 * sweeping at once each change an attempt at most once between them: the second finds it completed.
 * A resulting `submitted` is completed at the expiry time, not the sweep time.
 */
export class TimeoutSweeper {
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private readonly clock: () => Date;
  private readonly newId: () => string;

  constructor(private readonly o: TimeoutSweeperOptions) {
    this.clock = o.clock ?? (() => new Date());
    this.newId = o.newId ?? randomUUID;
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loopDone = this.loop();
  }

  /** Lets the sweep in flight finish (its transaction commits or rolls back), then stops. */
  async stop(): Promise<void> {
    if (!this.running) return this.loopDone;
    this.running = false;
    this.abort.abort();
    await this.loopDone;
  }

  /**
   * One sweep: up to `batchSize` expired attempts per transaction, repeated while a full batch was
   * found and timed out (a backlog), never on a batch that changed nothing. Counted in the metrics;
   * a database fault propagates (nothing of the failed transaction was applied).
   */
  async sweepOnce(): Promise<SweepResult> {
    const sweepId = this.newId();
    let found = 0;
    let timedOut = 0;
    try {
      for (;;) {
        const { rows } = await this.o.pool.query<{ id: string }>(EXPIRED_ATTEMPTS_SQL, [this.clock(), this.o.batchSize]);
        if (rows.length === 0) break;
        found += rows.length;
        const results = await this.o.processCommands.execute(rows.map((r) => ({ kind: 'timeout', attemptId: r.id, sweepId })));
        let changed = 0;
        for (const r of results) {
          if (r.outcome.kind !== 'timed-out' || r.input.kind !== 'timeout') continue;
          changed++;
          this.o.logger.info({ attemptId: r.input.attemptId, sweepId }, 'expired attempt timed out');
        }
        timedOut += changed;
        this.o.metrics?.sweeperTimeouts.inc(changed);
        if (rows.length < this.o.batchSize || changed === 0 || this.abort.signal.aborted) break;
      }
    } catch (e) {
      this.o.metrics?.sweeperRuns.inc({ result: 'failed' });
      throw e;
    }
    this.o.metrics?.sweeperRuns.inc({ result: 'ok' });
    return { sweepId, found, timedOut };
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const r = await this.sweepOnce();
        if (r.found > 0) this.o.logger.info(r, 'timeout sweep done');
      } catch (e) {
        // A database fault: the failed transaction changed nothing; the next sweep retries.
        this.o.logger.warn({ err: e }, 'timeout sweep failed; retrying at the next interval');
      }
      await sleep(this.o.intervalMs, this.abort.signal);
    }
  }
}
