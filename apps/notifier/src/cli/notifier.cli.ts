import type { Pool } from 'pg';
import { ID_PATTERN } from '../../../../libs/contracts/src';
import { EXIT_FAILED, EXIT_OK, options, runAsProcess, runCli, UsageError, type Io, type OptionValues, type Subcommand } from '../../../../libs/platform/src/cli/cli-program';
import { openPgPool } from '../../../../libs/platform/src/database/pg-pool';
import { scrubEmails } from '../../../../libs/platform/src/logging/logger';
import { loadNotifierConfig, type NotifierConfig } from '../config/notifier.config';
import { NOTIFIER_APPLICATION_NAME } from '../persistence/data-source';
import {
  DeliveryLedgerRepository,
  type LedgerRowSummary,
  type LedgerRowView,
  type RequeueTarget,
} from '../persistence/delivery-ledger.repository';

/** Rows `list` prints when no --limit is given. */
const DEFAULT_LIST_LIMIT = 100;

/** The statuses an operator acts on: parked (`unknown`) and given up (`failed`). */
const OPERATOR_STATUSES = ['unknown', 'failed'] as const;
type OperatorStatus = (typeof OPERATOR_STATUSES)[number];

const USAGE = `Usage: npm run notifier -- <command> [options]

Commands:
  show --event EVENT_ID
      Print the delivery ledger row of one AttemptStatusChanged event as JSON: status, attempts,
      last error, timestamps. Never the address or the email itself.
  list --status unknown|failed [--limit N]
      List the rows in that status, oldest first (at most N, default ${DEFAULT_LIST_LIMIT}).
  requeue (--event EVENT_ID | --status unknown|failed) [--dry-run]
      Put unknown or failed rows back to pending with their attempts reset: the notifier sends them
      again within its poll interval. For an unknown row, first check SendGrid's activity feed for
      its event_id custom arg: if SendGrid accepted it, requeueing sends the email a second time.
      --dry-run only lists the rows.

Configuration comes from the same environment variables as the notifier (see .env.example).`;

const EVENT_ID = new RegExp(ID_PATTERN, 'u');

/** The ledger, connected on first use (no migrations: this is an operator tool, the service migrates). */
class CliContext {
  private pool: Promise<Pool> | null = null;

  constructor(readonly config: NotifierConfig) {}

  async ledger(): Promise<DeliveryLedgerRepository> {
    const { url, ssl } = this.config.database;
    this.pool ??= openPgPool({ url, ssl, poolSize: 2, applicationName: NOTIFIER_APPLICATION_NAME }, () => undefined);
    return new DeliveryLedgerRepository(await this.pool, this.config.schema);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.then((p) => p.end()).catch(() => undefined);
  }
}

// ---- show -----------------------------------------------------------------------------------

async function show(args: string[], io: Io, ctx: CliContext): Promise<number> {
  const v = options(args, { event: { type: 'string', short: 'e' } });
  const eventId = eventIdOf(v);
  const row = await (await ctx.ledger()).find(eventId);
  if (!row) {
    io.err(`No delivery ledger row for event ${eventId}`);
    return EXIT_FAILED;
  }
  io.out(JSON.stringify(showView(row), null, 2));
  return EXIT_OK;
}

/** The row as `show` prints it: every field of the view, in a fixed order. */
function showView(r: LedgerRowView): Record<string, unknown> {
  return {
    eventId: r.eventId,
    attemptId: r.attemptId,
    userId: r.userId,
    correlationId: r.correlationId,
    status: r.status,
    attempts: r.attempts,
    throttled: r.throttled,
    requeues: r.requeues,
    lastError: r.lastError,
    lastStatusCode: r.lastStatusCode,
    providerMessageId: r.providerMessageId,
    nextAttemptAt: r.nextAttemptAt,
    leaseOwner: r.leaseOwner,
    leaseUntil: r.leaseUntil,
    sentAt: r.sentAt,
    dlqPublishedAt: r.dlqPublishedAt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

// ---- list -----------------------------------------------------------------------------------

async function list(args: string[], io: Io, ctx: CliContext): Promise<number> {
  const v = options(args, { status: { type: 'string', short: 's' }, limit: { type: 'string' } });
  const status = statusOf(v);
  const limit = v.limit === undefined ? DEFAULT_LIST_LIMIT : positiveInt(v.limit, '--limit');
  const { total, rows } = await (await ctx.ledger()).list(status, limit);
  io.out(
    total > rows.length
      ? `${total} row(s) with status ${status}, showing the oldest ${rows.length}`
      : `${total} row(s) with status ${status}`,
  );
  for (const r of rows) io.out(summaryLine(r));
  return EXIT_OK;
}

// ---- requeue --------------------------------------------------------------------------------

async function requeue(args: string[], io: Io, ctx: CliContext): Promise<number> {
  const v = options(args, {
    event: { type: 'string', short: 'e' },
    status: { type: 'string', short: 's' },
    'dry-run': { type: 'boolean' },
  });
  if ((v.event === undefined) === (v.status === undefined)) throw new UsageError('give either --event or --status');
  const dryRun = v['dry-run'] === true;
  const target: RequeueTarget = v.event !== undefined ? { kind: 'event', eventId: eventIdOf(v) } : { kind: 'status', status: statusOf(v) };
  const ledger = await ctx.ledger();

  if (target.kind === 'event') {
    const row = await ledger.find(target.eventId);
    if (!row) {
      io.err(`No delivery ledger row for event ${target.eventId}`);
      return EXIT_FAILED;
    }
    if (!isOperatorStatus(row.status)) {
      io.err(`Event ${target.eventId} is ${row.status}: only unknown or failed rows are requeued`);
      return EXIT_FAILED;
    }
  }

  const rows = await ledger.requeue(target, { dryRun });
  if (rows.length === 0) {
    if (target.kind === 'event') {
      io.err(`Event ${target.eventId} was not requeued: it is no longer unknown or failed`);
      return EXIT_FAILED;
    }
    io.out(`No rows with status ${target.status}`);
    return EXIT_OK;
  }
  for (const r of rows) io.out(`${dryRun ? 'would requeue' : 'requeued'} ${summaryLine(r)}`);
  io.out(
    dryRun
      ? `Dry run: ${rows.length} row(s) would be requeued; nothing was changed`
      : `Requeued ${rows.length} row(s) to pending with attempts reset; the notifier sends them within its poll interval`,
  );
  return EXIT_OK;
}

// ---- shared ---------------------------------------------------------------------------------

/** One row on one line: ids, counts, last change and last error (never an address). */
function summaryLine(r: LedgerRowSummary): string {
  return [
    r.eventId,
    `status=${r.status}`,
    `attempt=${r.attemptId}`,
    `user=${r.userId}`,
    `attempts=${r.attempts}`,
    `requeues=${r.requeues}`,
    `updated=${r.updatedAt.toISOString()}`,
    `status_code=${r.lastStatusCode ?? '-'}`,
    `last_error=${r.lastError === null ? '-' : JSON.stringify(scrubEmails(r.lastError))}`,
  ].join(' ');
}

function isOperatorStatus(value: string): value is OperatorStatus {
  return (OPERATOR_STATUSES as readonly string[]).includes(value);
}

function statusOf(v: OptionValues): OperatorStatus {
  const status = v.status;
  if (typeof status !== 'string' || status === '') throw new UsageError('--status is required');
  if (!isOperatorStatus(status)) throw new UsageError('--status must be unknown or failed');
  return status;
}

function eventIdOf(v: OptionValues): string {
  const eventId = v.event;
  if (typeof eventId !== 'string' || eventId === '') throw new UsageError('--event is required');
  if (!EVENT_ID.test(eventId)) throw new UsageError('--event must be an event id (1-255 characters, no control characters)');
  return eventId;
}

function positiveInt(value: string | boolean | undefined, name: string): number {
  if (typeof value !== 'string' || !/^[1-9]\d{0,5}$/.test(value)) throw new UsageError(`${name} must be an integer from 1 to 999999`);
  return Number(value);
}

// ---- entry point ----------------------------------------------------------------------------

const COMMANDS: Record<string, Subcommand<CliContext>> = {
  show: (args, io, open) => show(args, io, open()),
  list: (args, io, open) => list(args, io, open()),
  requeue: (args, io, open) => requeue(args, io, open()),
};

export function main(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Configuration is checked (the notifier's own loader and rules) before anything is touched.
  return runCli({ name: 'notifier', usage: USAGE, commands: COMMANDS, open: (e) => new CliContext(loadNotifierConfig(e)) }, argv, io, env);
}

if (require.main === module) runAsProcess('notifier', (argv, io) => main(argv, io));
