import { isEventOfType, readTraceContext, type DomainEvent, type TraceContext } from '../../../../libs/contracts/src';
import {
  buildStatusEmail,
  isRetiredAddress,
  isStatus,
  policyFor,
  shouldSendStatusEmail,
  type ProvidersConfig,
} from '../../../../libs/domain/src';
import { isInputDbError } from '../../../../libs/platform/src/database/sql-runner';
import { NO_TRACING, SpanKind, type TraceSpan, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
import type { EmailSender } from '../email/email-sender.port';
import type { DeliveryLedgerRepository, NewDelivery } from '../persistence/delivery-ledger.repository';
import type { NotifierMetrics } from './notifier.metrics';

export interface RecordStatusEmailsOptions {
  /**
   * Events older than this (by their `time`) are not emailed: the ledger keeps rows only this long,
   * so for an older event it can no longer tell whether the email went out (0: no limit).
   */
  maxEventAgeMs: number;
  /**
   * The `source` values the attempt-service publishes under (NOTIFIER_TRUSTED_SOURCES; default its
   * EVENT_SOURCE default): an event from any other source is ignored (SPEC §8.4).
   */
  trustedSources?: readonly string[];
  /** The email driver, to forget (delete the `.eml` files of) a retired learner's emails. */
  sender?: Pick<EmailSender, 'forget'>;
  now?: () => number;
  /** A consume span per traced event (default: off, the events' trace context passed on to the ledger). */
  tracing?: Tracing;
}

const DEFAULT_TRUSTED_SOURCES = ['urn:proctoring:attempt-service'];

/** A consumed event's span, with what became of the event (set on the span when it ends). */
interface ConsumeSpan {
  span: TraceSpan;
  eventId: string;
  result: 'not_emailed' | 'foreign_source' | 'retired' | 'expired' | 'emailed';
}
/** How many distinct foreign sources one summary names (each cut to 100 characters), for the log. */
const MAX_FOREIGN_SOURCES_NAMED = 5;

export interface RecordSummary {
  recorded: number;
  duplicates: number;
  notEmailed: number;
  expired: number;
  unreadable: number;
  /** Rows the database refused as data (validation should have caught them): skipped, not retried. */
  refused: number;
  /** Events whose `source` is not a trusted one: ignored (no email), counted, logged at warn. */
  foreignSource: number;
  /** Up to five of their distinct sources, cut to 100 characters (for the log line). */
  foreignSources: string[];
  /** Event ids inserted into the ledger by this call. */
  recordedIds: string[];
  /** `LearnerRetired` events applied (the learner's ledger rows scrubbed, unsent emails cancelled). */
  retired: number;
}

/**
 * Turns a batch of consumed events into ledger rows: keeps the `AttemptStatusChanged` events that need
 * the status email (SPEC §5), renders each email with the event's provider settings, and records them
 * all in one transaction, once per event id. Sending happens later, from the ledger.
 */
export class RecordStatusEmailsUseCase {
  private readonly now: () => number;
  private readonly trustedSources: ReadonlySet<string>;

  constructor(
    private readonly ledger: DeliveryLedgerRepository,
    private readonly providers: ProvidersConfig,
    private readonly metrics: NotifierMetrics,
    private readonly options: RecordStatusEmailsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.trustedSources = new Set(options.trustedSources ?? DEFAULT_TRUSTED_SOURCES);
  }

  /**
   * `transports`: per event, the trace context of its Kafka message's `traceparent` header (the
   * attempt-service's publish span), already validated; absent when there was none.
   */
  async execute(events: ReadonlyArray<DomainEvent | null>, transports: ReadonlyArray<TraceContext | undefined> = []): Promise<RecordSummary> {
    const spans: ConsumeSpan[] = [];
    try {
      const summary = await this.recordAll(events, transports, spans);
      const recorded = new Set(summary.recordedIds);
      for (const s of spans) {
        s.span.setAttributes({ 'proctoring.notifier.result': s.result === 'emailed' ? (recorded.has(s.eventId) ? 'recorded' : 'not_recorded') : s.result });
        s.span.end();
      }
      return summary;
    } catch (e) {
      for (const s of spans) {
        s.span.fail(e);
        s.span.end();
      }
      throw e;
    }
  }

  /**
   * The consume span of one event (`process <type>`, kind consumer), for every event that carries
   * a trace context and every AttemptStatusChanged: its parent is the message's transport context
   * (the publish span) when there is one, else the event's `traceparent` attribute (its creation),
   * else none (a new trace); with both, it links to the creation context. Its context is stored in
   * the ledger row, so the send span is its child.
   */
  private startSpan(event: DomainEvent, transport: TraceContext | undefined, spans: ConsumeSpan[]): ConsumeSpan | undefined {
    const creation = readTraceContext(event);
    if (!transport && !creation && event.type !== 'AttemptStatusChanged') return undefined;
    const tracing = this.options.tracing ?? NO_TRACING;
    if (!tracing.enabled) {
      // off: no span; the context the event came with is kept with the email (the send continues it)
      const consume: ConsumeSpan = { span: tracing.startSpan('', { remote: transport ?? creation }), eventId: event.id, result: 'not_emailed' };
      return consume;
    }
    const span = tracing.startSpan(`process ${event.type}`, {
      kind: SpanKind.CONSUMER,
      remote: transport ?? creation,
      remoteLinks: transport && creation ? [creation] : [],
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.message.id': event.id,
        'cloudevents.event_id': event.id,
        'cloudevents.event_source': String(event.source).slice(0, 255),
        'cloudevents.event_type': event.type,
      },
    });
    const consume: ConsumeSpan = { span, eventId: event.id, result: 'not_emailed' };
    spans.push(consume);
    return consume;
  }

  private async recordAll(
    events: ReadonlyArray<DomainEvent | null>,
    transports: ReadonlyArray<TraceContext | undefined>,
    spans: ConsumeSpan[],
  ): Promise<RecordSummary> {
    const rows: NewDelivery[] = [];
    let notEmailed = 0;
    let expired = 0;
    let unreadable = 0;
    let foreignSource = 0;
    const foreignSources = new Set<string>();
    const retirements: string[] = [];
    for (const [i, event] of events.entries()) {
      if (event === null) {
        unreadable++;
        continue;
      }
      const consume = this.startSpan(event, transports[i], spans);
      // Only the attempt-service writes the events topic (its ACLs); anything else is a misconfiguration or a forgery.
      if (!this.trustedSources.has(event.source)) {
        if (consume) consume.result = 'foreign_source';
        foreignSource++;
        if (foreignSources.size < MAX_FOREIGN_SOURCES_NAMED) foreignSources.add(String(event.source).slice(0, 100));
        continue;
      }
      if (isEventOfType(event, 'LearnerRetired')) {
        if (consume) consume.result = 'retired';
        retirements.push(event.data.userId);
        continue;
      }
      if (!isEventOfType(event, 'AttemptStatusChanged')) {
        notEmailed++;
        continue;
      }
      const d = event.data;
      if (
        // a retired learner's placeholder address (SPEC §8.3) is never emailed
        isRetiredAddress(d.user.email) ||
        !isStatus(d.toStatus) ||
        !shouldSendStatusEmail({ takingAsProctored: d.takingAsProctored, isSampleAttempt: d.isSampleAttempt, toStatus: d.toStatus })
      ) {
        notEmailed++;
        continue;
      }
      if (this.isTooOld(event.time)) {
        if (consume) consume.result = 'expired';
        expired++;
        continue;
      }
      if (consume) consume.result = 'emailed';
      const trace = consume?.span.carrier;
      const email = buildStatusEmail({
        toEmail: d.user.email,
        examName: d.examName,
        courseName: d.courseName ?? null,
        courseId: d.courseId,
        status: d.toStatus,
        settings: policyFor(this.providers, d.provider ?? null).email,
      });
      rows.push({
        eventId: event.id,
        attemptId: d.attemptId,
        userId: d.userId,
        correlationId: event.correlationid,
        from: email.from,
        to: email.to,
        subject: email.subject,
        html: email.html,
        text: email.text,
        traceparent: trace?.traceparent ?? null,
        tracestate: trace?.tracestate ?? null,
      });
    }

    const { recordedIds, refused } = await this.record(rows);
    // After the batch's rows are recorded: a retirement cancels and scrubs those too (same key, earlier offsets).
    for (const userId of retirements) await this.retire(userId);
    const summary: RecordSummary = {
      recorded: recordedIds.length,
      duplicates: rows.length - refused - recordedIds.length,
      notEmailed,
      expired,
      unreadable,
      refused,
      foreignSource,
      foreignSources: [...foreignSources],
      recordedIds,
      retired: retirements.length,
    };
    if (summary.recorded) this.metrics.events.inc({ result: 'recorded' }, summary.recorded);
    if (summary.duplicates) this.metrics.events.inc({ result: 'duplicate' }, summary.duplicates);
    if (notEmailed) this.metrics.events.inc({ result: 'not_emailed' }, notEmailed);
    if (expired) this.metrics.events.inc({ result: 'expired' }, expired);
    if (unreadable) this.metrics.events.inc({ result: 'unreadable' }, unreadable);
    if (refused) this.metrics.events.inc({ result: 'refused' }, refused);
    if (foreignSource) this.metrics.events.inc({ result: 'foreign_source' }, foreignSource);
    return summary;
  }

  /**
   * All rows in one transaction. If the database refuses the data itself (not an outage), the rows are
   * recorded one by one so that only the offending ones are skipped: bad input never becomes a retry
   * loop that blocks the partition. Outages throw, and the consumer retries the batch.
   */
  private async record(rows: NewDelivery[]): Promise<{ recordedIds: string[]; refused: number }> {
    if (rows.length === 0) return { recordedIds: [], refused: 0 };
    const insert = (batch: NewDelivery[]) => this.ledger.record(batch);
    try {
      return { recordedIds: await insert(rows), refused: 0 };
    } catch (e) {
      if (!isInputDbError(e) || rows.length === 1) {
        if (isInputDbError(e)) return { recordedIds: [], refused: 1 };
        throw e;
      }
    }
    const recordedIds: string[] = [];
    let refused = 0;
    for (const row of rows) {
      try {
        recordedIds.push(...(await insert([row])));
      } catch (e) {
        if (!isInputDbError(e)) throw e;
        refused++;
      }
    }
    return { recordedIds, refused };
  }

  /**
   * SPEC §8.3: the ledger is scrubbed and the learner's unsent emails cancelled (one transaction), then
   * the driver forgets their emails (the `.eml` files). Idempotent: if the process dies before the
   * files are gone, the redelivered event does it again.
   */
  private async retire(userId: string): Promise<void> {
    const eventIds = await this.ledger.retireLearner(userId);
    if (this.options.sender?.forget && eventIds.length > 0) await this.options.sender.forget(eventIds);
  }

  private isTooOld(time: string | undefined): boolean {
    if (!this.options.maxEventAgeMs || !time) return false;
    const at = Date.parse(time);
    return !Number.isNaN(at) && this.now() - at > this.options.maxEventAgeMs;
  }
}
