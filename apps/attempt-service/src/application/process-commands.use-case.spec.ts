import { EventEmitter } from 'node:events';
import type { Pool } from 'pg';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing, type Tracing } from '../../../../libs/platform/src/tracing/tracing';
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
  // an EventEmitter like a pg client: inTransaction listens for its 'error' event while it holds it
  const client = Object.assign(new EventEmitter(), {
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
  });
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

describe('ProcessCommandsUseCase: trace context (CloudEvents distributed tracing)', () => {
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
  type Row = { key: string | null; value: Buffer; headers: Record<string, string> };
  type Seen = { type: string; traceparent?: string; tracestate?: string };

  async function run(tracing: Tracing | undefined, commands: ReturnType<typeof command>[]): Promise<Row[]> {
    const { pool } = fakePool({ attempts: [attemptRecord(attempt('e1', 'u1')), attemptRecord(attempt('e1', 'u2'))], exams: [examRow('e1')] });
    const offered: Row[][] = [];
    const handoff = { offer: (rows: Row[]) => offered.push(rows) };
    const useCase = new ProcessCommandsUseCase({
      pool,
      events: new EventFactory(TOPICS, 'urn:test'),
      providers: PROVIDERS,
      dlqTopic: 'dlq',
      handoff: handoff as unknown as OutboxHandoff,
      tracing,
    });
    await useCase.execute(commands.map((c, i) => ({ kind: 'command', command: c, key: `u${i + 1}` })));
    return offered.flat();
  }
  const seen = (r: Row) => JSON.parse(r.value.toString('utf8')) as Seen;
  const traced = { ...command('UpdateAttemptStatus', { examId: 'e1', userId: 'u1', toStatus: 'started' }, 'c1'), traceparent, tracestate: 'congo=1' };
  const untraced = command('UpdateAttemptStatus', { examId: 'e1', userId: 'u2', toStatus: 'started' }, 'c2');

  it('tracing off: passes a command\'s traceparent unchanged to every event it causes (value and stored header); none without', async () => {
    const rows = await run(undefined, [traced, untraced]);
    const byCommand = (userKey: string) => rows.filter((r) => r.key === userKey);
    expect(byCommand('u1').map((r) => [seen(r).type, seen(r).traceparent, seen(r).tracestate, r.headers.traceparent])).toEqual([
      ['AttemptStatusChanged', traceparent, 'congo=1', traceparent],
      ['CommandProcessed', traceparent, 'congo=1', traceparent],
    ]);
    for (const r of byCommand('u2')) {
      expect(seen(r)).not.toHaveProperty('traceparent');
      expect(r.headers).not.toHaveProperty('traceparent');
    }
  });

  it("tracing on: one span per command, child of the command's traceparent and linked to the batch's; its events are its children", async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = await startTracing({ otlpTracesUrl: null }, { serviceName: 'test', exporter });
    const rows = await run(tracing, [traced, untraced]);
    await tracing.forceFlush();
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown(); // (which also empties the in-memory exporter)
    const batch = spans.find((s) => s.name === 'process command batch');
    const [first, second] = spans.filter((s) => s.name === 'process UpdateAttemptStatus');
    expect(batch?.attributes['messaging.batch.message_count']).toBe(2);
    expect(first.spanContext().traceId).toBe(TRACE_ID);
    expect(first.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(first.attributes).toMatchObject({ 'cloudevents.event_id': 'c1', 'proctoring.outcome': 'applied' });
    // the command without a traceparent starts a trace of its own
    expect(second.parentSpanContext).toBeUndefined();
    expect(second.spanContext().traceId).not.toBe(TRACE_ID);
    for (const s of [first, second]) expect(s.links.map((l) => l.context.spanId)).toEqual([batch?.spanContext().spanId]);
    const expected = (s: typeof first) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;
    for (const r of rows) {
      const span = r.key === 'u1' ? first : second;
      expect([seen(r).traceparent, r.headers.traceparent]).toEqual([expected(span), expected(span)]);
    }
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
