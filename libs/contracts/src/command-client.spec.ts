import type { Producer } from 'kafkajs';
import {
  buildCommand,
  commandKey,
  commandMessage,
  grantAllowance,
  grantAllowanceToMany,
  InvalidCommandError,
  removeAllowance,
  sendAllowanceToMany,
  sendCommands,
  sendReview,
  type CommandProducer,
} from './command-client';
import { parseCommand } from './command-parser';
import { COMMAND_TYPES, correlationIdOf, type Command } from './command.schemas';
import { COMMAND_EXAMPLES } from './message.examples';
import { CLOUDEVENTS_CONTENT_TYPE, MAX_MESSAGE_BYTES, TOPICS } from './topics';

// Compile-time: a kafkajs Producer is a CommandProducer.
const producerFits = (p: Producer): CommandProducer => p;

const ATTEMPT_ID = '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10';

describe('buildCommand', () => {
  it.each(COMMAND_TYPES)('rebuilds the %s example, which round-trips through parseCommand', (type) => {
    const ex = COMMAND_EXAMPLES[type];
    const built = buildCommand(type, ex.data, {
      source: ex.source,
      id: ex.id,
      time: new Date(ex.time as string),
      correlationId: ex.correlationid,
      traceparent: ex.traceparent,
    });
    expect(built).toEqual(ex);
    const parsed = parseCommand(commandMessage(built).value);
    expect(parsed).toEqual({ kind: 'ok', command: built });
  });

  it('fills in id (a UUID), time (now), datacontenttype and defaults', () => {
    const before = Date.now();
    const cmd = buildCommand(
      'RegisterExam',
      { examId: 'e', courseId: 'c', contentId: 'b', examName: 'n', timeLimitMins: 30, isProctored: true, isPracticeExam: false },
      { source: 'studio' },
    );
    expect(cmd.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Date.parse(cmd.time as string)).toBeGreaterThanOrEqual(before);
    expect(cmd.datacontenttype).toBe('application/json');
    expect(cmd.data.isActive).toBe(true);
    expect(cmd).not.toHaveProperty('correlationid');
    expect(correlationIdOf(cmd)).toBe(cmd.id);
  });

  it('gives every command its own id', () => {
    const a = buildCommand('RemoveAttempt', { attemptId: ATTEMPT_ID }, { source: 's' });
    const b = buildCommand('RemoveAttempt', { attemptId: ATTEMPT_ID }, { source: 's' });
    expect(a.id).not.toBe(b.id);
  });

  it('throws InvalidCommandError naming the path, never the value', () => {
    const build = () =>
      buildCommand('CreateAttempt', { examId: 'e', userId: 'u', user: { username: 'ada', email: 'not-an-address' }, takingAsProctored: true }, { source: 'lms' });
    expect(build).toThrow(InvalidCommandError);
    expect(build).toThrow('/data/user/email must be an e-mail address');
    try {
      build();
    } catch (e) {
      expect((e as Error).message).not.toContain('not-an-address');
    }
    expect(() => buildCommand('UpdateAttemptStatus', { toStatus: 'verified' }, { source: 'x' })).toThrow(
      '/data must include attemptId, or attemptCode, or examId and userId',
    );
    expect(() => buildCommand('RemoveAttempt', { attemptId: ATTEMPT_ID }, { source: '' })).toThrow('/source must not be empty');
    expect(() => buildCommand('Nope' as 'RemoveAttempt', { attemptId: ATTEMPT_ID }, { source: 's' })).toThrow(InvalidCommandError);
  });

  it('drops fields the contract does not know', () => {
    const data = { attemptId: ATTEMPT_ID, extra: 'x' } as unknown as { attemptId: string };
    expect(buildCommand('RemoveAttempt', data, { source: 's' }).data).toEqual({ attemptId: ATTEMPT_ID });
  });
});

describe('commandMessage', () => {
  const update = (data: Record<string, string>) =>
    buildCommand('UpdateAttemptStatus', { toStatus: 'verified', ...data }, { source: 'review', id: 'r-1' });

  it.each<[string, Command, string | undefined, string]>([
    ['RegisterExam → courseId', COMMAND_EXAMPLES.RegisterExam, undefined, 'course-v1:edX+DemoX+2025'],
    ['CreateAttempt → userId', COMMAND_EXAMPLES.CreateAttempt, undefined, '4711'],
    ['CreateAttempt ignores a given key', COMMAND_EXAMPLES.CreateAttempt, 'other', '4711'],
    ['RemoveAttempt by exam and user → userId', COMMAND_EXAMPLES.RemoveAttempt, undefined, '4711'],
    ['UpdateAttemptStatus by exam and user → userId', update({ examId: 'e', userId: 'u-9' }), undefined, 'u-9'],
    ['UpdateAttemptStatus by code, key given → the key', COMMAND_EXAMPLES.UpdateAttemptStatus, '4711', '4711'],
    ['UpdateAttemptStatus by code → the code', COMMAND_EXAMPLES.UpdateAttemptStatus, undefined, 'C6F1E8A2-7D3B-4B8E-A0F4-2E9C5D1B7A36'],
    ['UpdateAttemptStatus by id → the id', update({ attemptId: ATTEMPT_ID }), undefined, ATTEMPT_ID],
    ['RemoveAttempt by id → the id', buildCommand('RemoveAttempt', { attemptId: ATTEMPT_ID }, { source: 's' }), undefined, ATTEMPT_ID],
  ])('key: %s', (_name, cmd, key, expected) => {
    expect(commandMessage(cmd, key).key).toBe(expected);
  });

  it('exposes the natural key', () => {
    expect(commandKey(COMMAND_EXAMPLES.UpdateAttemptStatus)).toBeUndefined();
    expect(commandKey(COMMAND_EXAMPLES.CreateAttempt)).toBe('4711');
  });

  it('is CloudEvents structured JSON with the content-type header', () => {
    const msg = commandMessage(COMMAND_EXAMPLES.CreateAttempt);
    expect(msg.headers).toEqual({ 'content-type': CLOUDEVENTS_CONTENT_TYPE });
    expect(JSON.parse(msg.value)).toEqual(COMMAND_EXAMPLES.CreateAttempt);
  });

  it('refuses invalid commands and commands over 64 KiB', () => {
    const invalid = { ...COMMAND_EXAMPLES.CreateAttempt, data: { ...COMMAND_EXAMPLES.CreateAttempt.data, examId: '' } };
    expect(() => commandMessage(invalid)).toThrow('/data/examId must not be empty');
    const huge = { ...COMMAND_EXAMPLES.RegisterExam, pad: 'x'.repeat(MAX_MESSAGE_BYTES) } as Command;
    expect(() => commandMessage(huge)).toThrow(`command larger than ${MAX_MESSAGE_BYTES} bytes`);
    expect(() => commandMessage({ ...COMMAND_EXAMPLES.RemoveAttempt, type: 'Other' } as unknown as Command)).toThrow(InvalidCommandError);
  });
});

describe('sendCommands', () => {
  it('sends the commands, in order, to the commands topic', async () => {
    const sent: unknown[] = [];
    const producer: CommandProducer = { send: async (record) => void sent.push(record) };
    await sendCommands(producer, [COMMAND_EXAMPLES.RegisterExam, COMMAND_EXAMPLES.CreateAttempt]);
    await sendCommands(producer, []);
    expect(sent).toEqual([
      { topic: TOPICS.commands, messages: [commandMessage(COMMAND_EXAMPLES.RegisterExam), commandMessage(COMMAND_EXAMPLES.CreateAttempt)] },
    ]);
    expect(typeof producerFits).toBe('function');
  });

  it('uses the given topic and fallback key', async () => {
    const sent: { topic: string; messages: { key: string }[] }[] = [];
    const producer: CommandProducer = { send: async (record) => void sent.push(record) };
    await sendCommands(producer, [COMMAND_EXAMPLES.UpdateAttemptStatus], { topic: 'staging.commands', key: '4711' });
    expect(sent[0]?.topic).toBe('staging.commands');
    expect(sent[0]?.messages[0]?.key).toBe('4711');
  });
});

describe('grantAllowance and the bulk helper', () => {
  it('builds a checked GrantAllowance keyed by the learner; a non-string value is refused', () => {
    const cmd = grantAllowance({ examId: 'e1', userId: 'u1', key: 'additional_time_granted', value: '30' }, { source: 'dashboard', id: 'g-1' });
    expect(cmd).toMatchObject({ type: 'GrantAllowance', id: 'g-1', data: { examId: 'e1', userId: 'u1', key: 'additional_time_granted', value: '30' } });
    expect(commandMessage(cmd).key).toBe('u1');
    expect(() => grantAllowance({ examId: 'e1', userId: 'u1', key: 'x', value: 30 as unknown as string }, { source: 's' })).toThrow(InvalidCommandError);
    expect(removeAllowance({ examId: 'e1', userId: 'u1', key: 'time_multiplier' }, { source: 's' }).type).toBe('RemoveAllowance');
  });

  it('grants one allowance to many learners as one batch: one command per distinct learner, ids stable with idPrefix', () => {
    const grant = { examId: 'e1', key: 'time_multiplier', value: '1.5', userIds: ['u1', 'u2', 'u1', 'u3'] };
    const cmds = grantAllowanceToMany(grant, { source: 'dashboard', idPrefix: 'bulk-7' });
    expect(cmds.map((c) => [c.id, c.data.userId])).toEqual([
      ['bulk-7:u1', 'u1'],
      ['bulk-7:u2', 'u2'],
      ['bulk-7:u3', 'u3'],
    ]);
    expect(grantAllowanceToMany(grant, { source: 'dashboard', idPrefix: 'bulk-7' })).toEqual(
      cmds.map((c) => ({ ...c, time: expect.any(String) as unknown })),
    );
    expect(new Set(grantAllowanceToMany(grant, { source: 'dashboard' }).map((c) => c.id)).size).toBe(3);
  });

  it('sends the batch in one producer call, keyed per learner; an invalid grant sends nothing', async () => {
    const sent: { topic: string; messages: { key: string }[] }[] = [];
    const producer: CommandProducer = { send: (r) => Promise.resolve(sent.push(r)) };
    await sendAllowanceToMany(producer, { examId: 'e1', key: 'additional_time_granted', value: '15', userIds: ['a', 'b'] }, { source: 's' });
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe(TOPICS.commands);
    expect(sent[0].messages.map((m) => m.key)).toEqual(['a', 'b']);
    await expect(sendAllowanceToMany(producer, { examId: 'e1', key: 'k', value: '1', userIds: ['ok', ''] }, { source: 's' })).rejects.toThrow(InvalidCommandError);
    expect(sent).toHaveLength(1);
  });
});
describe('sendReview (a provider, SPEC §8.1)', () => {
  it("sends a RecordReview from provider:<name> to the provider's review topic, keyed by the attemptCode", async () => {
    const sent: { topic: string; messages: { key: string; value: string }[] }[] = [];
    const producer: CommandProducer = { send: (r) => Promise.resolve(sent.push(r)) };
    const cmd = await sendReview(producer, 'proctortrack', { attemptCode: 'CODE-1', reviewId: 'r-9', reviewStatus: 'Clean' });
    expect(cmd).toMatchObject({ type: 'RecordReview', source: 'provider:proctortrack', data: { attemptCode: 'CODE-1', reviewStatus: 'Clean' } });
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('proctoring.attempt.reviews.proctortrack.v1');
    expect(sent[0].messages[0].key).toBe('CODE-1');
    expect(parseCommand(sent[0].messages[0].value)).toEqual({ kind: 'ok', command: cmd });
  });

  it('refuses a reviewedBy (a staff second review goes to the commands topic) and an invalid review', async () => {
    const producer: CommandProducer = { send: () => Promise.resolve() };
    await expect(sendReview(producer, 'p', { attemptCode: 'C', reviewId: 'r', reviewStatus: 'passed', reviewedBy: 'staff' } as never)).rejects.toThrow(InvalidCommandError);
    await expect(sendReview(producer, 'p', { attemptCode: 'C', reviewId: '', reviewStatus: 'passed' })).rejects.toThrow(InvalidCommandError);
  });
});
