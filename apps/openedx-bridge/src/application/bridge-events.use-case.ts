import { isEventType, type DomainEvent } from '../../../../libs/contracts/src/event.schemas';
import { parseEvent } from '../../../../libs/contracts/src/event-parser';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import { RETIRED_EMAIL, RETIRED_USERNAME } from '../../../../libs/domain/src';
import { AttemptSnapshotRepository } from '../persistence/attempt-snapshot.repository';
import type { BridgeMetrics } from './bridge.metrics';
import type { OpenEdxPublisher } from './openedx-publisher.port';
import {
  snapshotOf,
  translateEvent,
  type AttemptSnapshot,
  type OpenEdxRecord,
  type SkipReason,
  type TranslateSettings,
} from './translate-event';

export interface BridgeMessage {
  value: Buffer | null;
  /** For log lines: where the message was read. */
  partition: number;
  offset: string;
}

export interface BridgeSummary {
  consumed: number;
  published: number;
  skipped: number;
}

export interface BridgeEventsOptions {
  settings: TranslateSettings;
  trustedSources: readonly string[];
  /** Rows of removed attempts are purged after this many days (0: never), at most once an hour. */
  retentionDays: number;
}

const PURGE_EVERY_MS = 60 * 60 * 1000;

/**
 * One slice of one partition of our events topic, in order: keep the attempt snapshots, translate,
 * produce, and only then return (the transport commits the offsets after that). A crash anywhere
 * before the commit replays the slice: the snapshot writes are idempotent and the Open edX events go
 * out again with the same `ce_id`, key and value. A fault (database, registry, broker) throws and the
 * transport retries the same slice; an event that cannot be bridged is counted and skipped, never retried.
 */
export class BridgeEventsUseCase {
  private lastPurge = 0;

  constructor(
    private readonly snapshots: AttemptSnapshotRepository,
    private readonly publisher: OpenEdxPublisher,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
    private readonly options: BridgeEventsOptions,
  ) {}

  async execute(messages: readonly BridgeMessage[]): Promise<BridgeSummary> {
    const events = messages.map((m) => readEvent(m.value));
    const removedIds = events.flatMap((e) =>
      e !== null && e !== 'newer' && e.type === 'AttemptRemoved' ? [e.data.attemptId] : [],
    );
    const known = await this.snapshots.find(removedIds);
    const dirty = new Map<string, AttemptSnapshot>();
    const removed: string[] = [];
    const retired: string[] = [];
    const records: OpenEdxRecord[] = [];
    let skipped = 0;
    const skip = (reason: SkipReason, i: number, eventId: string | null): void => {
      skipped++;
      this.metrics.skipped.inc({ reason });
      // Never the event's data (learner PII): which event, where, why.
      this.logger.warn(
        { eventId, reason, partition: messages[i].partition, offset: messages[i].offset },
        'event not bridged to Open edX',
      );
    };

    events.forEach((event, i) => {
      if (event === 'newer') return;
      if (event === null) return skip('unreadable_event', i, null);
      if (!this.options.trustedSources.includes(event.source)) return skip('foreign_source', i, event.id);
      this.remember(event, known, dirty, retired);
      const snapshot = event.type === 'AttemptRemoved' ? (known.get(event.data.attemptId) ?? null) : null;
      if (event.type === 'AttemptRemoved') removed.push(event.data.attemptId);
      const t = translateEvent(event, snapshot, this.options.settings);
      if (t.kind === 'publish') records.push(t.record);
      else if (t.kind === 'skip') skip(t.reason, i, t.eventId);
    });

    await this.snapshots.write({ upserts: [...dirty.values()], removed, retired });
    await this.publisher.publish(records);
    this.metrics.consumed.inc(messages.length);
    for (const r of records) this.metrics.published.inc({ event: r.event });
    await this.purgeNow();
    return { consumed: messages.length, published: records.length, skipped };
  }

  /** Applies an event to the snapshots in memory, in order (a retirement scrubs what came before it). */
  private remember(
    event: DomainEvent,
    known: Map<string, AttemptSnapshot>,
    dirty: Map<string, AttemptSnapshot>,
    retired: string[],
  ): void {
    if (event.type === 'LearnerRetired') {
      retired.push(event.data.userId);
      for (const [id, s] of known) {
        if (s.userId !== event.data.userId) continue;
        const scrubbed = { ...s, username: RETIRED_USERNAME, email: RETIRED_EMAIL };
        known.set(id, scrubbed);
        if (dirty.has(id)) dirty.set(id, scrubbed);
      }
      return;
    }
    const snap = snapshotOf(event);
    if (snap === null) return;
    const current = known.get(snap.attemptId);
    if (current !== undefined && current.version > snap.version) return;
    known.set(snap.attemptId, snap);
    dirty.set(snap.attemptId, snap);
  }

  private async purgeNow(): Promise<void> {
    if (this.options.retentionDays === 0 || Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    const purged = await this.snapshots.purgeRemoved(this.options.retentionDays);
    if (purged > 0) this.logger.info({ purged }, 'snapshots of removed attempts purged');
  }
}

/**
 * A v1 event; `newer` for an event type this build does not know (types may be added within v1 and
 * consumers ignore them, SPEC §8); null for anything else (not JSON, not an event, a known type that
 * does not validate).
 */
function readEvent(value: Buffer | null): DomainEvent | 'newer' | null {
  const event = parseEvent(value);
  if (event !== null || value === null) return event;
  try {
    const type = (JSON.parse(value.toString('utf8')) as { type?: unknown }).type;
    return typeof type === 'string' && type.length > 0 && !isEventType(type) ? 'newer' : null;
  } catch {
    return null;
  }
}
