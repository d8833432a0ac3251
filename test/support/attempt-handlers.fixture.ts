import type { Command, CommandDataMap, CommandOfType, CommandType } from '../../libs/contracts/src';
import type { Exam, ProvidersConfig } from '../../libs/domain/src';
import { anAttempt, anExam } from './domain.fixtures';
import type { StoredAttempt } from '../../apps/attempt-service/src/persistence/attempt.row';
import type { StoredAllowance } from '../../apps/attempt-service/src/persistence/allowance.row';
import { keyScope } from '../../apps/attempt-service/src/persistence/event-key.row';
import { BatchUnit } from '../../apps/attempt-service/src/application/batch-unit';
import { EventFactory, type Cause } from '../../apps/attempt-service/src/application/event-factory';
import type { HandlerContext } from '../../apps/attempt-service/src/application/commands/command-handler';

/** Test fixtures for the handlers: a batch in memory (no database), its exams, attempts and events. */

export const NOW = new Date('2025-11-25T10:00:00.000Z');
export const TOPICS = { commands: 'commands', attemptEvents: 'attempt-events', credentialEvents: 'credential-events', commandsDlq: 'dlq' };
export const PROVIDERS: ProvidersConfig = {
  defaults: { CASCADE_STATUSES: ['rejected', 'declined'] },
  providers: { software_secure: { ALLOW_TIMED_OUT_STATE: false } },
};

export const exam = anExam;

let attempts = 0;

export function attempt(examId: string, userId: string, overrides: Partial<StoredAttempt> = {}): StoredAttempt {
  attempts++;
  const id = `aaaaaaaa-0000-4000-8000-${String(attempts).padStart(12, '0')}`;
  return {
    ...anAttempt({ id, examId, userId, attemptCode: `CODE-${attempts}` }),
    username: `name-${userId}`,
    email: `${userId}@example.test`,
    createdAt: new Date('2025-11-25T09:00:00.000Z'),
    ...overrides,
  };
}

export function command<T extends CommandType>(type: T, data: CommandDataMap[T], id = 'cmd-1'): CommandOfType<T> {
  return { specversion: '1.0', id, source: 'urn:test', type, data } as Command as CommandOfType<T>;
}

/** A parsed outbox row. */
export interface EmittedEvent {
  type: string;
  subject?: string;
  sequence: string;
  causationid: string;
  data: Record<string, unknown>;
  topic: string;
  key: string | null;
}

/** A batch holding the given rows, every learner's (and course's) event key locked at sequence 0. */
export function world(rows: { exams?: Exam[]; attempts?: StoredAttempt[]; keys?: string[]; allowances?: StoredAllowance[]; now?: Date; retired?: string[] } = {}) {
  const events = new EventFactory(TOPICS, 'urn:proctoring:test');
  const batch = new BatchUnit(events, rows.now ?? NOW);
  const keys = new Set([...(rows.keys ?? []), ...(rows.retired ?? []), ...(rows.attempts ?? []).map((a) => a.userId), ...(rows.exams ?? []).map((e) => e.courseId)]);
  // every learner's allowances at every exam are loaded (as the use case loads them for the commands that ask)
  const users = new Set([
    ...(rows.keys ?? []),
    ...(rows.retired ?? []),
    ...(rows.attempts ?? []).map((a) => a.userId),
    ...(rows.allowances ?? []).map((a) => a.userId),
  ]);
  const examIds = new Set([...(rows.exams ?? []).map((e) => e.examId), ...(rows.allowances ?? []).map((a) => a.examId)]);
  const allowancePairs = [...examIds].flatMap((e) => [...users].map((u): [string, string] => [e, u]));
  batch.loaded({ exams: rows.exams ?? [], attempts: rows.attempts ?? [], allowances: rows.allowances ?? [], allowancePairs, retired: rows.retired ?? [] });
  batch.lockedScopes(new Map([...keys].map((k) => [keyScope(k), 0n])));
  let n = 0;
  const newId = () => `bbbbbbbb-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const ctx = (cause: Cause = { type: 'command', id: 'cmd-1', correlationId: 'cmd-1' }, providers = PROVIDERS): HandlerContext => ({
    batch,
    events,
    providers,
    cause,
    now: batch.now,
    newId,
  });
  const emitted = (): EmittedEvent[] =>
    batch.emitted.map((r) => ({ ...(JSON.parse(r.value.toString('utf8')) as Omit<EmittedEvent, 'topic' | 'key'>), topic: r.topic, key: r.key }));
  return { batch, events, ctx, emitted, types: () => emitted().map((e) => e.type) };
}
