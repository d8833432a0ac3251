import { DLQ_HEADERS, validateEvent } from '../../libs/contracts/src';
import { isRetiredAddress, isStatus, shouldSendStatusEmail } from '../../libs/domain/src';
import type { DbSnapshot, LedgerRow, ReadMessage } from './observer';
import { describe, hashValue, pairKey, type EventDescriptor, type ReferenceModel } from '../support/reference.model';

/**
 * Compares what the services did with what the reference model says they must have done.
 *
 * - lost: a command without its outcome event; an unreadable message not on the commands DLQ; an
 *   attempt whose stored state lacks an effect the reference has (missing, or a lower version).
 * - applied twice: a command with more outcome events than it has (source, id) pairs; an attempt with
 *   a version, transition rows or archived copies beyond the reference; an effect event seen more
 *   often than expected (distinct event ids — a re-published event keeps its id and is not counted).
 * - events missing: expected events (type, causationid, exam/user and essential payload) not on the topics.
 * - diverged: anything else that differs (another outcome than expected, a status or flag that differs
 *   at the same version, an event nobody expected, an out-of-order sequence). Also a failure.
 */
export interface Verdict {
  lost: number;
  appliedTwice: number;
  eventsMissing: number;
  diverged: number;
  duplicateEmails: number | null;
  parkedUnknown: number | null;
  /** Parked `unknown` rows whose event never reached the SendGrid stub (claimed, never sent). */
  parkedNeverSent: number | null;
  emailed: number | null;
  /** Events re-published with the same id, DLQ entries with the same source coordinates (allowed, informational). */
  republished: number;
  details: string[];
}

export interface EmailObservation {
  /** event id → requests the SendGrid stub received for it. */
  requestsByEvent: Map<string, number>;
  ledger: LedgerRow[];
}

const OUTCOME_TYPES = new Set(['CommandProcessed', 'CommandRejected']);

type Json = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v));

/**
 * What the event and DLQ topics hold, taken message by message (offset order per partition) so that
 * nothing read is kept but what the comparison needs: the soak reads millions of events.
 */
export class EventTally {
  readonly seenIds = new Set<string>();
  republished = 0;
  diverged = 0;
  readonly notes: string[] = [];
  readonly observed = new Map<EventDescriptor, number>();
  readonly outcomesByCommand = new Map<string, number>();
  /** `retired`: the event carries a retired learner's placeholder address (SPEC §8.3: never emailed). */
  readonly qualifying: { id: string; d: EventDescriptor; retired: boolean }[] = [];
  readonly dlqByCoord = new Map<string, ReadMessage[]>();
  /** per topic/partition/key: the last sequence seen in offset order */
  private readonly lastSeq = new Map<string, bigint>();

  constructor(
    private readonly ref: ReferenceModel,
    private readonly topics: { attemptEvents: string; credentialEvents: string; commandsDlq: string },
  ) {}

  add(m: ReadMessage): void {
    if (m.topic === this.topics.commandsDlq) {
      if (!m.headers[DLQ_HEADERS.reason]) {
        this.diverged++;
        this.notes.push(`DLQ message ${m.partition}@${m.offset} has no ${DLQ_HEADERS.reason} header`);
      }
      const coord = `${m.headers[DLQ_HEADERS.sourceTopic] ?? '?'}/${m.headers[DLQ_HEADERS.sourcePartition] ?? '?'}/${m.headers[DLQ_HEADERS.sourceOffset] ?? '?'}`;
      const list = this.dlqByCoord.get(coord) ?? [];
      list.push(m);
      this.dlqByCoord.set(coord, list);
      return;
    }
    let e: Json;
    try {
      e = JSON.parse(m.value?.toString('utf8') ?? 'null') as Json;
    } catch {
      this.diverged++;
      this.notes.push(`event ${m.topic}/${m.partition}@${m.offset} is not JSON`);
      return;
    }
    const id = str(e.id);
    if (this.seenIds.has(id)) {
      // a re-publication keeps its id (and its sequence): neither counted again nor checked for order
      this.republished++;
      return;
    }
    this.seenIds.add(id);
    // Per key and partition, `sequence` strictly increases in offset order.
    const seqKey = `${m.topic}/${m.partition}/${m.key ?? ''}`;
    const seq = BigInt(str(e.sequence) || '0');
    const last = this.lastSeq.get(seqKey) ?? -1n;
    if (seq <= last) {
      this.diverged++;
      this.notes.push(`order: ${seqKey} sequence ${seq} after ${last}`);
    }
    this.lastSeq.set(seqKey, seq);
    // The producer side of the contract: every event valid v1 (strictly: nothing undeclared), on its
    // topic, and a rejection's message naming no personal data.
    const valid = validateEvent(e, { strict: true });
    if (!valid.ok) {
      this.diverged++;
      this.notes.push(`invalid event ${str(e.type)} ${id}: ${valid.errors.join('; ').slice(0, 200)}`);
    }
    const creditEvent = e.type === 'CredentialRequirementUpdated' || e.type === 'CredentialRequirementRemoved';
    if (m.topic !== (creditEvent ? this.topics.credentialEvents : this.topics.attemptEvents)) {
      this.diverged++;
      this.notes.push(`${str(e.type)} ${id} on the wrong topic ${m.topic}`);
    }
    if (e.type === 'CommandRejected') {
      const rd = (e.data ?? {}) as Json;
      if (!str(rd.reason) || !str(rd.message)) {
        this.diverged++;
        this.notes.push(`CommandRejected ${id} without a reason or message`);
      } else if (/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)+/u.test(str(rd.message))) {
        this.diverged++;
        this.notes.push(`CommandRejected ${id}: its message contains something shaped like an email address`);
      }
    }
    const d = describeObserved(this.ref, e);
    this.observed.set(d, (this.observed.get(d) ?? 0) + 1);
    const data = (e.data ?? {}) as Json;
    if (OUTCOME_TYPES.has(str(e.type))) {
      const cmd = str(data.commandId);
      this.outcomesByCommand.set(cmd, (this.outcomesByCommand.get(cmd) ?? 0) + 1);
    }
    if (
      e.type === 'AttemptStatusChanged' &&
      isStatus(data.toStatus) &&
      shouldSendStatusEmail({ takingAsProctored: data.takingAsProctored === true, isSampleAttempt: data.isSampleAttempt === true, toStatus: data.toStatus })
    ) {
      this.qualifying.push({ id, d, retired: isRetiredAddress(str((data.user as Json | undefined)?.email)) });
    }
  }
}

export function judge(
  ref: ReferenceModel,
  tally: EventTally,
  db: DbSnapshot,
  /** every unreadable message on the commands topic ("topic/partition/offset", value sha1): each must be dead-lettered. */
  expectedDlq: { coord: string; hash: string }[],
  email?: EmailObservation,
  /** commandId → "partition/offset" on the commands topic */
  commandsOnTopic?: Map<string, string>,
): Verdict {
  const details: string[] = [];
  let bulk = 0;
  // "lost: command …" and "missing event: …" lines can run to thousands after a stall: keep the first
  // 3,000 of them, and every other line.
  const note = (s: string) => {
    const isBulk = s.startsWith('lost: command') || s.startsWith('missing event');
    if (isBulk && ++bulk > 3000) return;
    details.push(s);
  };
  let lost = 0;
  let appliedTwice = 0;
  let eventsMissing = 0;
  let diverged = tally.diverged;
  let republished = tally.republished;
  for (const n of tally.notes) note(n);
  const { observed, outcomesByCommand, qualifying, dlqByCoord } = tally;

  // ---- outcomes per command id -----------------------------------------------------------------
  for (const [cmd, expected] of ref.expectedOutcomes) {
    const got = outcomesByCommand.get(cmd) ?? 0;
    if (got < expected) {
      lost += expected - got;
      const at = commandsOnTopic && (commandsOnTopic.has(cmd) ? ` (on the commands topic at ${commandsOnTopic.get(cmd)})` : ' (not on the commands topic)');
      note(`lost: command ${cmd} has ${got} outcome event(s), expected ${expected}${at ?? ''}`);
    } else if (got > expected) {
      appliedTwice += got - expected;
      note(`applied twice: command ${cmd} has ${got} outcome events, expected ${expected}`);
    }
  }
  for (const [cmd, got] of outcomesByCommand) {
    if (!ref.expectedOutcomes.has(cmd)) {
      diverged += got;
      note(`unexpected outcome event for command ${cmd}`);
    }
  }

  // ---- event multiset ------------------------------------------------------------------------
  for (const [d, expected] of ref.expectedEvents) {
    const got = observed.get(d) ?? 0;
    if (got < expected) {
      eventsMissing += expected - got;
      note(`missing event: ${d}${expected > 1 ? ` (${got}/${expected})` : ''}`);
    }
  }
  for (const [d, got] of observed) {
    const expected = ref.expectedEvents.get(d) ?? 0;
    if (got <= expected) continue;
    const type = d.split('|')[0];
    if (OUTCOME_TYPES.has(type)) {
      // counted per command above when it is a repeat; a different outcome is a divergence
      if (expected === 0) {
        diverged += got;
        note(`unexpected outcome: ${d}`);
      }
    } else if (expected > 0) {
      appliedTwice += got - expected;
      note(`applied twice: ${d} seen ${got}×, expected ${expected}`);
    } else {
      diverged += got;
      note(`unexpected event: ${d}`);
    }
  }

  // ---- commands DLQ ----------------------------------------------------------------------------
  // A DLQ entry is identified by the coordinates of the message it stands for (dlq-source-topic,
  // -partition, -offset headers): a copy made when a batch is redelivered after a crash or a
  // rebalance carries the same coordinates and counts as a re-publication, like an event re-sent
  // with its id. What must be there is every unreadable message on the commands topic.
  const emptyHash = hashValue(null);
  let payloadless = 0;
  const expectedCoords = new Set<string>();
  for (const x of expectedDlq) {
    expectedCoords.add(x.coord);
    const copies = dlqByCoord.get(x.coord) ?? [];
    if (copies.length === 0) {
      lost++;
      note(`lost: unreadable message ${x.coord} (value sha1 ${x.hash.slice(0, 12)}) not on the DLQ`);
      continue;
    }
    if (copies.length > 1) {
      republished += copies.length - 1;
      note(`DLQ: ${x.coord} dead-lettered ${copies.length}× (same source coordinates: a redelivery or a re-publication)`);
    }
    for (const c of copies) {
      const h = hashValue(c.value);
      if (h === x.hash) continue;
      if (h === emptyHash) payloadless++;
      else {
        diverged++;
        note(`DLQ: ${x.coord} carries another value than the message it stands for`);
      }
    }
  }
  if (payloadless > 0) note(`${payloadless} DLQ entr(y/ies) without their payload (the database refused the message)`);
  for (const [coord, copies] of dlqByCoord) {
    if (!expectedCoords.has(coord)) {
      diverged += copies.length;
      note(`DLQ: ${coord} dead-lettered, but the message there is readable`);
    }
  }
  const refDlq = new Map<string, number>();
  for (const x of ref.deadLetters) refDlq.set(x.valueHash, (refDlq.get(x.valueHash) ?? 0) + 1);
  const topicDlq = new Map<string, number>();
  for (const x of expectedDlq) topicDlq.set(x.hash, (topicDlq.get(x.hash) ?? 0) + 1);
  for (const [h, n] of refDlq) {
    if ((topicDlq.get(h) ?? 0) < n) {
      diverged++;
      note(`an unreadable message the reference saw (value sha1 ${h.slice(0, 12)}) is not on the commands topic`);
    }
  }

  // ---- stored state ------------------------------------------------------------------------------
  // Per (examId, userId): first the archived copies (removals, replacements), then the live attempt.
  const refState = ref.state();
  const stored = new Map(db.attempts.map((a) => [pairKey(a.examId, a.userId), a]));
  const pairs = new Set<string>([...refState.keys(), ...stored.keys(), ...ref.history.keys(), ...db.history.keys()]);
  for (const k of pairs) {
    const rh = ref.history.get(k) ?? 0;
    const dh = db.history.get(k) ?? 0;
    if (dh < rh) {
      lost++;
      note(`lost: ${show(k)} archived ${dh}×, expected ${rh} (a removal or replacement is missing)`);
      continue;
    }
    if (dh > rh) {
      appliedTwice++;
      note(`applied twice: ${show(k)} archived ${dh}×, expected ${rh}`);
      continue;
    }
    const r = refState.get(k);
    const s = stored.get(k);
    if (r && !s) {
      lost++;
      note(`lost: attempt ${show(k)} missing (reference: ${r.status} v${r.version})`);
    } else if (s && !r) {
      appliedTwice++;
      note(`applied twice: attempt ${show(k)} (${s.status} v${s.version}) exists, the reference never made it`);
    } else if (r && s) {
      if (s.version < r.version) {
        lost++;
        note(`lost: attempt ${show(k)} at v${s.version} ${s.status}, reference v${r.version} ${r.status}`);
      } else if (s.version > r.version || s.transitions > r.version) {
        appliedTwice++;
        note(`applied twice: attempt ${show(k)} v${s.version} with ${s.transitions} transitions, reference v${r.version}`);
      } else if (s.status !== r.status || s.takingAsProctored !== r.takingAsProctored) {
        diverged++;
        note(`diverged: attempt ${show(k)} ${s.status}/tap ${s.takingAsProctored}, reference ${r.status}/tap ${r.takingAsProctored}`);
      } else if (s.transitions < r.version) {
        lost++;
        note(`lost: attempt ${show(k)} has ${s.transitions} transition rows for v${s.version}`);
      }
    }
  }
  if (db.totalTransitions !== ref.totalTransitions) {
    note(`transition rows: ${db.totalTransitions}, reference ${ref.totalTransitions}`);
    // More: a change stored twice somewhere (also in attempts removed since). Fewer: the commands
    // behind them are already counted as lost.
    if (db.totalTransitions > ref.totalTransitions) appliedTwice += db.totalTransitions - ref.totalTransitions;
  }
  if (db.processedCommands !== ref.claimedIds) {
    // Fewer: commands never processed (already counted as lost through their outcomes).
    note(`inbox rows: ${db.processedCommands}, reference ${ref.claimedIds}`);
    if (db.processedCommands > ref.claimedIds) diverged += db.processedCommands - ref.claimedIds;
  }
  if (db.outboxBacklog > 0) {
    note(`outbox still holds ${db.outboxBacklog} unpublished row(s)`);
  }

  // ---- emails ------------------------------------------------------------------------------------
  let duplicateEmails: number | null = null;
  let parkedUnknown: number | null = null;
  let parkedNeverSent: number | null = null;
  let emailed: number | null = null;
  if (email) {
    duplicateEmails = 0;
    parkedUnknown = 0;
    emailed = 0;
    let parkedNotSent = 0;
    let retiredNotSent = 0;
    const expectedEmails = [...ref.emailEvents.values()].reduce((a, b) => a + b, 0);
    if (qualifying.length !== expectedEmails) {
      note(`email-qualifying events on the topic: ${qualifying.length}, reference ${expectedEmails}`);
    }
    const ledger = new Map(email.ledger.map((r) => [r.eventId, r]));
    const qualifyingIds = new Set(qualifying.map((q) => q.id));
    for (const q of qualifying) {
      const requests = email.requestsByEvent.get(q.id) ?? 0;
      const row = ledger.get(q.id);
      if (requests > 1) {
        duplicateEmails += requests - 1;
        note(`duplicate email: event ${q.id} sent ${requests}× (ledger: ${row?.status ?? 'none'})`);
      }
      if (row?.status === 'unknown') {
        parkedUnknown++;
        if (requests === 0) parkedNotSent++;
      } else if (row?.status === 'sent' && requests >= 1) {
        emailed++;
      } else if (row?.status === 'cancelled' || (q.retired && !row)) {
        // the learner was retired before it was sent, or after (a placeholder address): never sent (SPEC §8.3)
        retiredNotSent++;
      } else {
        lost++;
        note(`lost email: event ${q.id} ledger ${row?.status ?? 'none'}, ${requests} request(s) at the stub`);
      }
    }
    for (const [eventId, n] of email.requestsByEvent) {
      if (!qualifyingIds.has(eventId)) {
        diverged += n;
        note(`email for event ${eventId}, which does not qualify`);
      }
    }
    if (retiredNotSent > 0) note(`not emailed, the learner retired: ${retiredNotSent}`);
    if (parkedUnknown > 0) note(`parked unknown: ${parkedUnknown} (${parkedUnknown - parkedNotSent} had reached the stub, ${parkedNotSent} never did)`);
    parkedNeverSent = parkedNotSent;
  }

  return { lost, appliedTwice, eventsMissing, diverged, duplicateEmails, parkedUnknown, parkedNeverSent, emailed, republished, details };
}

function show(k: string): string {
  return k.replace('\u0000', '/');
}

/** The same descriptor the reference writes, from an event as published. */
function describeObserved(ref: ReferenceModel, e: Json): EventDescriptor {
  const type = str(e.type);
  const cause = str(e.causationid);
  const d = (e.data ?? {}) as Json;
  const tap = (v: unknown) => (v === true ? 1 : 0);
  switch (type) {
    case 'CommandProcessed':
      return describe(type, cause, '', '', `${str(d.commandType)}:${str(d.outcome)}`);
    case 'CommandRejected':
      return describe(type, cause, '', '', `${str(d.commandType)}:${str(d.reason)}`);
    case 'AttemptCreated':
      return describe(type, cause, str(d.examId), str(d.userId), `${str(d.status)}|v${str(d.version)}|tap${tap(d.takingAsProctored)}`);
    case 'AttemptStatusChanged':
      return describe(
        type,
        cause,
        str(d.examId),
        str(d.userId),
        `${str(d.fromStatus)}>${str(d.toStatus)}|v${str(d.version)}|tap${tap(d.takingAsProctored)}${d.cascadeFromAttemptId ? '|cascade' : ''}`,
      );
    case 'AttemptRemoved':
      return describe(type, cause, str(d.examId), str(d.userId), `${str(d.reason)}|${str(d.lastStatus)}`);
    case 'AttemptReviewed':
      return describe(type, cause, str(d.examId), str(d.userId), `${str(d.reviewStatus)}|${d.resultingStatus === null ? 'none' : str(d.resultingStatus)}|update${d.isUpdate === true ? 1 : 0}`);
    case 'CredentialRequirementUpdated': {
      const examId = ref.examIdByContent(str(d.courseId), str(d.name)) ?? `?${str(d.name)}`;
      return describe(type, cause, examId, str(d.userId), `${str(d.status)}|v${str(d.attemptVersion)}`);
    }
    case 'CredentialRequirementRemoved': {
      const examId = ref.examIdByContent(str(d.courseId), str(d.name)) ?? `?${str(d.name)}`;
      return describe(type, cause, examId, str(d.userId), '');
    }
    default:
      return describe(type || '(no type)', cause, '', '', JSON.stringify(d).slice(0, 80));
  }
}
