import { KafkaJSProtocolError } from 'kafkajs';
import { DLQ_HEADERS, MESSAGE_BOUNDS } from '../../libs/contracts/src';
import { createAttempt, registerExam } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import type { CollectedMessage } from '../support/kafka-fixture';
import { Harness, ids, type RunResult, type TestCommand } from './attempt-service.harness';

/**
 * SPEC §8.5 against the real broker: each attack of issue #17, one message at a time, must leave
 * the service answering the next good command, with the attack dead-lettered (and, where its id can
 * be read, rejected) with a reason, and every dead letter small enough for the broker.
 */
describe('attempt-service under hostile input (SPEC §8.5)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await Harness.start('hostile');
  });

  afterAll(async () => {
    await h?.stop();
  });

  const types = (r: RunResult) => r.events.map((e) => e.type);

  /** Registers an exam and returns a good command to send after each attack (and its learner). */
  async function goodCommandAfter(tag: string): Promise<{ after: TestCommand; userId: string; examId: string }> {
    const { courseId, exam, user } = ids(tag);
    const examId = exam();
    const r = await h.run(registerExam({ examId, courseId }));
    expect(r.outcome.data).toMatchObject({ outcome: 'applied' });
    const userId = user();
    return { after: createAttempt({ examId, userId }), userId, examId };
  }

  async function expectAnswered(after: TestCommand): Promise<void> {
    const r = await h.settle(after.id);
    expect(types(r)).toEqual(['AttemptCreated', 'CommandProcessed']);
  }

  function deadLetterWith(offsetOf: (m: CollectedMessage) => boolean): Promise<CollectedMessage> {
    return expectEventually(() => {
      const m = h.collector.messages.find((x) => x.topic === h.topics.commandsDlq && offsetOf(x));
      if (!m) throw new Error('not dead-lettered yet');
      return m;
    }, 30_000);
  }

  /** Size of a record as the broker counts it, roughly: key, value, headers. */
  const sizeOf = (m: CollectedMessage) =>
    (m.key === null ? 0 : Buffer.byteLength(m.key)) +
    (m.raw?.length ?? 0) +
    Object.entries(m.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

  it('dead-letters a message that is not JSON with a ~1 MB header without that header, and keeps publishing', async () => {
    const { after, userId } = await goodCommandAfter('big-header');
    const marker = `not json ${userId}`;
    await h.sendRaw([{ key: userId, value: marker, headers: { big: Buffer.alloc(1_000_000, 0x61), trace: 't' } }]);
    await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
    await expectAnswered(after);
    const dead = await deadLetterWith((m) => m.raw?.toString() === marker);
    expect(dead.headers.big).toBeUndefined();
    expect(dead.headers.trace).toBeUndefined();
    expect(dead.headers[DLQ_HEADERS.headersCut]).toMatch(/^2 headers, 10000\d\d bytes$/);
    expect(dead.headers[DLQ_HEADERS.reason]).toMatch(/^headers over bound .*; not JSON$/);
    expect(dead.key).toBe(userId);
    expect(sizeOf(dead)).toBeLessThan(MESSAGE_BOUNDS.headerBytes);
  });

  it('has the broker refuse a small compressed batch that expands beyond 1 MiB (the commands topic is stored uncompressed)', async () => {
    const { after, userId } = await goodCommandAfter('gzip-header');
    const refused = h.sendRaw([{ key: userId, value: 'not json', headers: { big: Buffer.alloc(1_500_000, 0x61) } }], { gzip: true });
    await expect(refused).rejects.toBeInstanceOf(KafkaJSProtocolError);
    await expect(refused).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
    await expectAnswered(after);
  });

  it.each([200_000, 100_000])(
    'rejects a valid command with a %i-byte key INVALID_MESSAGE keyed by its learner, and dead-letters it without the key',
    async (keyBytes) => {
      const { after, userId, examId } = await goodCommandAfter(`long-key-${keyBytes}`);
      const attack = createAttempt({ examId, userId });
      // partition named: kafkajs's own partitioner would hash the long key for seconds in this process
      await h.sendRaw([{ key: Buffer.alloc(keyBytes, 0x6b), value: JSON.stringify(attack), partition: 0 }]);
      const rejected = await h.settle(attack.id);
      expect(types(rejected)).toEqual(['CommandRejected']);
      expect(rejected.outcome.data).toEqual({
        commandId: attack.id,
        commandType: 'CreateAttempt',
        reason: 'INVALID_MESSAGE',
        message: `key larger than ${MESSAGE_BOUNDS.keyBytes} bytes`,
      });
      expect(h.messageOf(rejected.outcome.id).key).toBe(userId);
      const dead = await deadLetterWith((m) => m.raw?.toString() === JSON.stringify(attack));
      expect(dead.key).toBeNull();
      expect(dead.headers[DLQ_HEADERS.keyCut]).toBe(String(keyBytes));
      // the attack had no effect: the same command with a sane key creates the attempt
      await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
      await expectAnswered(after);
    },
  );

  it("drops a sender's own dlq-* headers from the dead letter", async () => {
    const { after, userId } = await goodCommandAfter('forged-dlq');
    const marker = `forged ${userId}`;
    await h.sendRaw([{ key: userId, value: marker, headers: { [DLQ_HEADERS.valueTruncated]: '999999', 'dlq-reason': 'forged', keep: 'k' } }]);
    await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
    await expectAnswered(after);
    const dead = await deadLetterWith((m) => m.raw?.toString() === marker);
    expect(dead.headers[DLQ_HEADERS.valueTruncated]).toBeUndefined();
    expect(dead.headers[DLQ_HEADERS.reason]).toBe('not JSON');
    expect(dead.headers.keep).toBe('k');
  });

  it('rejects a readable command with more than 32 headers and dead-letters it without them', async () => {
    const { after, userId, examId } = await goodCommandAfter('many-headers');
    const attack = createAttempt({ examId, userId });
    const headers = Object.fromEntries(Array.from({ length: MESSAGE_BOUNDS.headerCount + 8 }, (_, i) => [`h${i}`, 'v']));
    await h.sendRaw([{ key: userId, value: JSON.stringify(attack), headers }]);
    const rejected = await h.settle(attack.id);
    expect(rejected.outcome.data).toMatchObject({ reason: 'INVALID_MESSAGE', message: expect.stringMatching(/^headers over bound \(40 headers/) });
    const dead = await deadLetterWith((m) => m.raw?.toString() === JSON.stringify(attack));
    expect(Object.keys(dead.headers).filter((k) => /^h\d+$/.test(k))).toEqual([]);
    expect(dead.headers[DLQ_HEADERS.headersCut]).toMatch(/^40 headers, \d+ bytes$/);
    await h.sendRaw([{ key: userId, value: JSON.stringify(after) }]);
    await expectAnswered(after);
  });

  it('every collected event satisfies the v1 contract, with per-key sequences strictly increasing', () => {
    expect(h.assertContract()).toBeGreaterThan(10);
  });
});
