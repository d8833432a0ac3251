import type { Pool } from 'pg';
import { attemptRecord } from '../persistence/attempt.row';
import type { OutboxHandoff } from '../outbox/outbox-handoff';
import { attempt, command, exam, PROVIDERS, TOPICS } from '../../../../test/support/attempt-handlers.fixture';
import { EventFactory } from './event-factory';
import { ProcessCommandsUseCase, type CommandInput } from './process-commands.use-case';

/**
 * The batch skeleton against a scripted connection: which statements a group costs (the round trips)
 * and what it hands back. The statements' effects are the integration suites' business.
 */
function fakePool(rows: { attempts: ReturnType<typeof attemptRecord>[]; exams: unknown[] }) {
  const statements: string[] = [];
  const client = {
    query: (q: string | { text: string; values: unknown[] }) => {
      const text = typeof q === 'string' ? q : q.text;
      const values = typeof q === 'string' ? [] : q.values;
      statements.push(text.trim().split(/\s+/).slice(0, 4).join(' '));
      if (text.includes('attempts.processed_command')) {
        const [channels, sources, ids, keys] = values as string[][];
        return {
          rows: [
            ...ids.map((id, i) => ({ channel: channels[i], source: sources[i], command_id: id, key: null, last_sequence: null })),
            ...keys.map((key) => ({ channel: null, source: null, command_id: null, key, last_sequence: '5' })),
          ],
        };
      }
      if (text.includes('json_agg(a)')) return { rows: [rows] };
      if (text.includes('w_outbox')) {
        const at = values.findIndex((v) => Buffer.isBuffer(v));
        const topics = values[at + 2] as string[];
        return { rows: (values[at + 1] as string[]).map((eventId, i) => ({ id: String(i + 1), event_id: eventId, topic: topics[i] })) };
      }
      return { rows: [] };
    },
    release: () => undefined,
  };
  return { pool: { connect: () => Promise.resolve(client) } as unknown as Pool, statements };
}

describe('ProcessCommandsUseCase (the batch skeleton)', () => {
  it('applies a group of status changes in five round trips: BEGIN, claim and lock, load, write, COMMIT', async () => {
    const a1 = attempt('e1', 'u1');
    const a2 = attempt('e1', 'u2');
    const { pool, statements } = fakePool({ attempts: [attemptRecord(a1), attemptRecord(a2)], exams: [{ ...examRow('e1') }] });
    const useCase = new ProcessCommandsUseCase({ pool, events: new EventFactory(TOPICS, 'urn:test'), providers: PROVIDERS, dlqTopic: 'dlq' });
    const inputs: CommandInput[] = [
      { kind: 'command', command: command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }, 'c1'), key: 'u1' },
      { kind: 'command', command: command('UpdateAttemptStatus', { examId: 'e1', userId: 'u2', toStatus: 'started' }, 'c2'), key: 'u2' },
      { kind: 'command', command: command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }, 'c1'), key: 'u1' },
    ];
    const out = await useCase.execute(inputs);
    expect(out.map((r) => r.outcome.kind)).toEqual(['applied', 'applied', 'duplicate']);
    expect(statements).toHaveLength(5);
    expect(statements[0]).toBe('BEGIN');
    expect(statements[4]).toBe('COMMIT');
  });

  it('keys idempotency by channel too: the same source and id on two channels are two commands (SPEC §8.4)', async () => {
    const a1 = attempt('e1', 'u1');
    const { pool } = fakePool({ attempts: [attemptRecord(a1)], exams: [examRow('e1')] });
    const useCase = new ProcessCommandsUseCase({ pool, events: new EventFactory(TOPICS, 'urn:test'), providers: PROVIDERS, dlqTopic: 'dlq' });
    const same = command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }, 'c1');
    const out = await useCase.execute([
      { kind: 'command', command: same, key: 'u1' },
      { kind: 'command', command: same, key: 'u1', channel: 'cli' },
      { kind: 'command', command: same, key: 'u1', channel: 'commands' },
    ]);
    expect(out.map((r) => r.outcome.kind)).toEqual(['applied', 'noop', 'duplicate']);
  });

  it('numbers events after the locked last sequence of each key', async () => {
    const a1 = attempt('e1', 'u1');
    const { pool } = fakePool({ attempts: [attemptRecord(a1)], exams: [examRow('e1')] });
    const offered: { key: string | null; value: Buffer }[][] = [];
    const handoff = { offer: (rows: { key: string | null; value: Buffer }[]) => offered.push(rows) };
    const useCase = new ProcessCommandsUseCase({
      pool,
      events: new EventFactory(TOPICS, 'urn:test'),
      providers: PROVIDERS,
      dlqTopic: 'dlq',
      handoff: handoff as unknown as OutboxHandoff,
    });
    await useCase.execute([{ kind: 'command', command: command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }, 'c1'), key: 'u1' }]);
    const events = offered[0].map((r) => JSON.parse(r.value.toString('utf8')) as { type: string; sequence: string });
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['AttemptStatusChanged', '6'],
      ['CommandProcessed', '7'],
    ]);
  });
});

function examRow(examId: string) {
  const e = exam(examId);
  return {
    exam_id: e.examId,
    course_id: e.courseId,
    content_id: e.contentId,
    exam_name: e.examName,
    course_name: e.courseName,
    time_limit_mins: e.timeLimitMins,
    is_proctored: e.isProctored,
    is_practice_exam: e.isPracticeExam,
    is_active: e.isActive,
    provider: e.provider,
    external_id: e.externalId,
  };
}
