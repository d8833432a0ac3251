import { randomUUID } from 'node:crypto';
import { createAttempt, registerExam } from '../support/commands.factory';
import { Harness, ids, type RunResult } from './attempt-service.harness';

/** SPEC §8: commands in CloudEvents binary mode (Kafka protocol binding) beside structured mode. */
describe('attempt-service: commands in CloudEvents binary mode', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('binary');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const types = (r: RunResult) => r.events.map((e) => e.type);

  /** A command as Open edX's event bus writes CloudEvents: attributes in ce_* headers, data as the value. */
  function binary(type: string, data: Record<string, unknown>, o: { id?: string; contentType?: string; correlationid?: string } = {}) {
    const id = o.id ?? randomUUID();
    return {
      id,
      message: {
        key: String(data.userId ?? data.courseId),
        value: JSON.stringify(data),
        headers: {
          ce_specversion: '1.0',
          ce_id: id,
          ce_source: 'urn:test:openedx-bus',
          ce_type: type,
          ce_time: new Date().toISOString(),
          ...(o.correlationid ? { ce_correlationid: o.correlationid } : {}),
          'content-type': o.contentType ?? 'application/json; charset=utf-8',
        },
      },
    };
  }

  it('applies a binary-mode command exactly as its structured twin, with its correlation id carried over', async () => {
    const { courseId, exam, user } = ids('bin');
    const examId = exam();
    await h.run(registerExam({ examId, courseId }));
    const userId = user();
    const structured = createAttempt({ examId, userId });
    const cmd = binary('CreateAttempt', structured.data, { correlationid: 'corr-bin-1' });
    await h.sendRaw([cmd.message]);
    const r = await h.settle(cmd.id);
    expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
    expect(r.outcome.correlationid).toBe('corr-bin-1');
    expect(r.events[0].data).toMatchObject({ examId, userId, status: 'created' });

    const start = binary('UpdateAttemptStatus', { examId, userId, toStatus: 'started' });
    await h.sendRaw([start.message]);
    const started = await h.settle(start.id);
    expect(types(started)).toEqual(['AttemptStatusChanged', 'CommandProcessed']);
  });

  it('rejects a binary-mode command whose value is not JSON with INVALID_MESSAGE (its id is in the headers)', async () => {
    const cmd = binary('CreateAttempt', { userId: 'someone' });
    await h.sendRaw([{ ...cmd.message, value: 'not json' }]);
    const r = await h.settle(cmd.id);
    expect(r.outcome).toMatchObject({ type: 'CommandRejected', data: { reason: 'INVALID_MESSAGE', commandType: 'CreateAttempt' } });
  });

  it('accepts structured mode with content-type parameters', async () => {
    const { courseId, exam } = ids('bin-structured');
    const c = registerExam({ examId: exam(), courseId });
    await h.sendRaw([{ key: courseId, value: JSON.stringify(c), headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' } }]);
    const r = await h.settle(c.id);
    expect(r.outcome.data).toMatchObject({ outcome: 'applied' });
  });
});
