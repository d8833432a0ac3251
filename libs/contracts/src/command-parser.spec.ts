import { parseCommand, type ParsedCommand } from './command-parser';
import { COMMAND_SCHEMAS, COMMAND_TYPES, type Command, type CommandType } from './command.schemas';
import { COMMAND_EXAMPLES } from './message.examples';
import { MAX_MESSAGE_BYTES } from './topics';

type Json = Record<string, unknown>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const example = (type: CommandType): Json => clone(COMMAND_EXAMPLES[type]) as unknown as Json;
const dataOf = (msg: Json) => msg.data as Json;
const parse = (msg: unknown) => parseCommand(JSON.stringify(msg));

function withData(type: CommandType, patch: Json): Json {
  const msg = example(type);
  msg.data = { ...dataOf(msg), ...patch };
  return msg;
}

function withoutData(type: CommandType, field: string): Json {
  const msg = example(type);
  delete dataOf(msg)[field];
  return msg;
}

function expectOk(result: ParsedCommand): Command {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.command;
}

function expectRejected(result: ParsedCommand, reason: 'INVALID_MESSAGE' | 'UNKNOWN_COMMAND_TYPE', message?: string | RegExp) {
  if (result.kind !== 'rejected') throw new Error(`expected rejected, got ${JSON.stringify(result)}`);
  expect(result.reason).toBe(reason);
  if (typeof message === 'string') expect(result.message).toBe(message);
  else if (message) expect(result.message).toMatch(message);
  return result;
}

function expectUnreadable(result: ParsedCommand, reason?: string | RegExp) {
  if (result.kind !== 'unreadable') throw new Error(`expected unreadable, got ${JSON.stringify(result)}`);
  if (typeof reason === 'string') expect(result.reason).toBe(reason);
  else if (reason) expect(result.reason).toMatch(reason);
  return result;
}

describe('parseCommand: valid commands', () => {
  it.each(COMMAND_TYPES)('accepts the %s example as is', (type) => {
    const command = expectOk(parse(COMMAND_EXAMPLES[type]));
    expect(command).toEqual(COMMAND_EXAMPLES[type]);
  });

  it('accepts a Buffer as well as a string', () => {
    expect(expectOk(parseCommand(Buffer.from(JSON.stringify(COMMAND_EXAMPLES.CreateAttempt))))).toEqual(
      COMMAND_EXAMPLES.CreateAttempt,
    );
  });

  it('accepts the minimal envelope (no time, datacontenttype, subject or correlationid)', () => {
    const { specversion, id, source, type, data } = COMMAND_EXAMPLES.CreateAttempt;
    expectOk(parse({ specversion, id, source, type, data }));
  });

  it('accepts commands with only their required data fields', () => {
    const minimal: { [T in CommandType]: Json } = {
      RegisterExam: {
        examId: 'e',
        courseId: 'c',
        contentId: 'b',
        examName: 'n',
        timeLimitMins: 0,
        isProctored: false,
        isPracticeExam: false,
      },
      CreateAttempt: { examId: 'e', userId: 'u', user: { username: 'u', email: 'u@x' }, takingAsProctored: false },
      UpdateAttemptStatus: { toStatus: 'started', attemptId: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10' },
      RemoveAttempt: { attemptId: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10' },
      RetireLearner: { userId: 'u' },
      GrantAllowance: { examId: 'e', userId: 'u', key: 'additional_time_granted', value: '30' },
      RemoveAllowance: { examId: 'e', userId: 'u', key: 'time_multiplier' },
      RecordReview: { attemptCode: 'A1', reviewId: 'r1', reviewStatus: 'passed' },
    };
    for (const type of COMMAND_TYPES) expectOk(parse({ ...example(type), data: minimal[type] }));
  });

  it('defaults RegisterExam.isActive to true, and keeps false', () => {
    const absent = expectOk(parse(withoutData('RegisterExam', 'isActive')));
    expect(absent.type === 'RegisterExam' && absent.data.isActive).toBe(true);
    const off = expectOk(parse(withData('RegisterExam', { isActive: false })));
    expect(off.type === 'RegisterExam' && off.data.isActive).toBe(false);
  });

  it('treats null optional fields as absent (and they are not in the parsed command)', () => {
    const msg = withData('RegisterExam', { isActive: null, courseName: null, provider: null, externalId: null });
    msg.time = null;
    msg.correlationid = null;
    msg.subject = null;
    msg.datacontenttype = null;
    const command = expectOk(parse(msg));
    expect(command).not.toHaveProperty('time');
    expect(command).not.toHaveProperty('correlationid');
    expect(command).not.toHaveProperty('subject');
    expect(command).not.toHaveProperty('datacontenttype');
    expect(command.data).toEqual({
      examId: 'exam-1842',
      courseId: 'course-v1:edX+DemoX+2025',
      contentId: 'block-v1:edX+DemoX+2025+type@sequential+block@final_exam',
      examName: 'Final Exam',
      timeLimitMins: 90,
      isProctored: true,
      isPracticeExam: false,
      isActive: true,
    });
  });

  it('accepts unknown fields at every level and drops them from the parsed command', () => {
    const msg = example('CreateAttempt');
    msg.dataschema = 'https://example.com/schema';
    msg.traceparent = '00-abc-def-01';
    dataOf(msg).futureField = { nested: [1, 2, 3] };
    (dataOf(msg).user as Json).displayName = 'Ada L.';
    const command = expectOk(parse(msg));
    expect(command).toEqual(COMMAND_EXAMPLES.CreateAttempt);
  });

  it('does not let a __proto__ key reach the prototype', () => {
    const text = JSON.stringify(example('CreateAttempt')).replace('"data":{', '"data":{"__proto__":{"polluted":true},');
    const command = expectOk(parseCommand(text));
    expect(({} as Json).polluted).toBeUndefined();
    expect((command.data as Json).polluted).toBeUndefined();
  });

  it('ignores a byte-order mark', () => {
    const text = `\uFEFF${JSON.stringify(COMMAND_EXAMPLES.RemoveAttempt)}`;
    expectOk(parseCommand(text));
    expectOk(parseCommand(Buffer.from(text, 'utf8')));
  });

  it('accepts any toStatus string, the empty one included (whether it is a status is the domain rule 1)', () => {
    expectOk(parse(withData('UpdateAttemptStatus', { toStatus: 'banana' })));
    expectOk(parse(withData('UpdateAttemptStatus', { toStatus: 'VERIFIED' })));
    expectOk(parse(withData('UpdateAttemptStatus', { toStatus: '' })));
    expectOk(parse(withData('UpdateAttemptStatus', { toStatus: 's'.repeat(64) })));
  });

  it.each([
    ['attemptId', { attemptCode: null, attemptId: '0B6A6F3E-3C2D-4F7E-9A51-6F1C2D9E8B10' }],
    ['attemptCode', {}],
    ['examId and userId', { attemptCode: undefined, examId: 'e', userId: 'u' }],
    ['all three', { attemptId: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10', examId: 'e', userId: 'u' }],
  ])('accepts UpdateAttemptStatus addressed by %s', (_name, patch) => {
    expectOk(parse(withData('UpdateAttemptStatus', patch)));
  });

  it.each([
    ['attemptId', { attemptId: '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10' }],
    ['examId and userId', { examId: 'e', userId: 'u' }],
  ])('accepts RemoveAttempt addressed by %s', (_name, data) => {
    expectOk(parse({ ...example('RemoveAttempt'), data }));
  });

  it('counts id length in code points: 255 astral characters are fine', () => {
    const msg = example('CreateAttempt');
    msg.id = '😀'.repeat(255);
    dataOf(msg).userId = '学'.repeat(255);
    expectOk(parse(msg));
  });

  it.each([
    ['timeLimitMins', 0],
    ['timeLimitMins', 100_000],
  ])('accepts %s = %p', (field, value) => {
    expectOk(parse(withData('RegisterExam', { [field]: value })));
  });

  it.each([
    'a@b',
    'ada@exämple.de',
    "o'brien+exam@example.co.uk",
    'first.last@sub.example.org',
    'ада@пример.рф',
    '用户@例子.广告',
    'user@localhost',
    `${'a'.repeat(240)}@example.com`,
  ])(
    'accepts the e-mail address %s',
    (email) => {
      expectOk(parse(withData('CreateAttempt', { user: { username: 'ada', email } })));
    },
  );

  it('keeps command messages exactly at the size limit', () => {
    const msg = example('CreateAttempt');
    const base = JSON.stringify({ ...msg, pad: '' });
    msg.pad = 'x'.repeat(MAX_MESSAGE_BYTES - Buffer.byteLength(base));
    const text = JSON.stringify(msg);
    expect(Buffer.byteLength(text)).toBe(MAX_MESSAGE_BYTES);
    expectOk(parseCommand(text));
    expectOk(parseCommand(Buffer.from(text)));
  });
});

describe('parseCommand: unreadable (dead-letter)', () => {
  it.each<[string, Buffer | string | null, RegExp]>([
    ['null value (tombstone)', null, /tombstone/],
    ['empty string', '', /not JSON/],
    ['empty buffer', Buffer.alloc(0), /not JSON/],
    ['whitespace', '   ', /not JSON/],
    ['not JSON', 'hello', /not JSON/],
    ['truncated JSON', '{"specversion":"1.0","id":"x"', /not JSON/],
    ['JSON array', '[{"id":"x","source":"y"}]', /not a JSON object \(array\)/],
    ['JSON null', 'null', /not a JSON object \(null\)/],
    ['JSON number', '42', /not a JSON object \(number\)/],
    ['JSON string', '"RegisterExam"', /not a JSON object \(string\)/],
    ['JSON boolean', 'true', /not a JSON object \(boolean\)/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
    ['NUL byte outside a string', '{"id":"x",\u0000"source":"y"}', /not JSON/],
    ['raw control character in a string', '{"id":"a\nb","source":"y"}', /not JSON/],
  ])('%s', (_name, value, reason) => {
    expectUnreadable(parseCommand(value), reason);
  });

  it('rejects values that are not a string or Buffer at run time', () => {
    expectUnreadable(parseCommand(42 as unknown as string), /unsupported value type/);
    expectUnreadable(parseCommand(undefined as unknown as null), /tombstone/);
  });

  it.each<[string, (m: Json) => void, RegExp]>([
    ['missing id', (m) => delete m.id, /\/id is required/],
    ['missing source', (m) => delete m.source, /\/source is required/],
    ['null id', (m) => (m.id = null), /\/id must be string/],
    ['numeric id', (m) => (m.id = 42), /\/id must be string/],
    ['empty id', (m) => (m.id = ''), /\/id must not be empty/],
    ['empty source', (m) => (m.source = ''), /\/source must not be empty/],
    ['256-character id', (m) => (m.id = 'x'.repeat(256)), /\/id must be at most 255 characters/],
    ['256 astral characters in source', (m) => (m.source = '😀'.repeat(256)), /\/source must be at most 255/],
    ['NUL in id', (m) => (m.id = 'a\u0000b'), /\/id must not contain control characters/],
    ['newline in source', (m) => (m.source = 'lms\n'), /\/source must not contain control characters/],
    ['unpaired surrogate in id', (m) => (m.id = 'a\uD800b'), /\/id must not contain control characters or unpaired surrogates/],
  ])('no readable id or source: %s', (_name, mutate, reason) => {
    const msg = example('CreateAttempt');
    mutate(msg);
    expectUnreadable(parse(msg), reason);
  });

  it('rejects messages over 64 KiB (in bytes, not characters)', () => {
    const msg = example('CreateAttempt');
    msg.pad = 'x'.repeat(MAX_MESSAGE_BYTES);
    expectUnreadable(parse(msg), `message larger than ${MAX_MESSAGE_BYTES} bytes`);
    expectUnreadable(parseCommand(Buffer.from(JSON.stringify(msg))), /larger than/);

    const multibyte = example('CreateAttempt');
    multibyte.pad = 'é'.repeat(MAX_MESSAGE_BYTES / 2); // fewer characters than the limit, more bytes
    const text = JSON.stringify(multibyte);
    expect(text.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expectUnreadable(parseCommand(text), /larger than/);
  });

  it('survives deeply nested unknown fields', () => {
    const text = JSON.stringify(example('CreateAttempt')).replace(
      '"data":{',
      `"data":{"deep":${'['.repeat(25_000)}${']'.repeat(25_000)},`,
    );
    expect(['ok', 'unreadable']).toContain(parseCommand(text).kind);
  });
});

describe('parseCommand: rejected', () => {
  it('rejects an unknown type with UNKNOWN_COMMAND_TYPE and keeps what was readable', () => {
    const msg = example('CreateAttempt');
    msg.type = 'DeleteEverything';
    const r = expectRejected(parse(msg), 'UNKNOWN_COMMAND_TYPE', /\/type is not a known command type/);
    expect(r).toMatchObject({
      id: '3f9a1c2e-8b7d-4e6f-a5c4-b3d2e1f0a9b8',
      source: 'lms',
      type: 'DeleteEverything',
      correlationId: 'lms-request-5f1c',
    });
  });

  it('is case-sensitive about the type', () => {
    const msg = example('CreateAttempt');
    msg.type = 'createattempt';
    expectRejected(parse(msg), 'UNKNOWN_COMMAND_TYPE');
  });

  it('uses the id as correlation id when correlationid is absent or unreadable', () => {
    const msg = example('CreateAttempt');
    msg.type = 'Nope';
    msg.correlationid = 'bad\u0000';
    expect(expectRejected(parse(msg), 'INVALID_MESSAGE', /\/correlationid/).correlationId).toBe(msg.id);
    delete msg.correlationid;
    expect(expectRejected(parse(msg), 'UNKNOWN_COMMAND_TYPE').correlationId).toBe(msg.id);
  });

  it.each<[string, (m: Json) => void, string, string]>([
    ['missing specversion', (m) => delete m.specversion, '/specversion is required', 'CreateAttempt'],
    ['wrong specversion', (m) => (m.specversion = '0.3'), '/specversion must be "1.0"', 'CreateAttempt'],
    ['numeric specversion', (m) => (m.specversion = 1.0), '/specversion must be string', 'CreateAttempt'],
    ['missing type', (m) => delete m.type, '/type is required', ''],
    ['numeric type', (m) => (m.type = 3), '/type must be string', ''],
    ['empty type', (m) => (m.type = ''), '/type must not be empty', ''],
    ['NUL in type', (m) => (m.type = 'Create\u0000'), '/type must not contain control characters or unpaired surrogates', ''],
    ['missing data', (m) => delete m.data, '/data is required', 'CreateAttempt'],
    ['null data', (m) => (m.data = null), '/data must be object', 'CreateAttempt'],
    ['array data', (m) => (m.data = []), '/data must be object', 'CreateAttempt'],
    ['string data', (m) => (m.data = '{}'), '/data must be object', 'CreateAttempt'],
    ['bad time', (m) => (m.time = 'yesterday'), '/time must be an RFC 3339 date-time with a time zone', 'CreateAttempt'],
    ['time without zone', (m) => (m.time = '2025-11-25T10:00:00'), '/time must be an RFC 3339 date-time with a time zone', 'CreateAttempt'],
    ['numeric time', (m) => (m.time = 1764064800), '/time must be string or null', 'CreateAttempt'],
    ['other datacontenttype', (m) => (m.datacontenttype = 'text/plain'), '/datacontenttype must be one of "application/json", null', 'CreateAttempt'],
    ['numeric correlationid', (m) => (m.correlationid = 7), '/correlationid must be string or null', 'CreateAttempt'],
    ['control character in subject', (m) => (m.subject = 'a\tb'), '/subject must not contain control characters or unpaired surrogates', 'CreateAttempt'],
  ])('envelope: %s → INVALID_MESSAGE', (_name, mutate, message, type) => {
    const msg = example('CreateAttempt');
    mutate(msg);
    const r = expectRejected(parse(msg), 'INVALID_MESSAGE', message);
    expect(r.type).toBe(type);
    expect(r.id).toBe('3f9a1c2e-8b7d-4e6f-a5c4-b3d2e1f0a9b8');
  });

  // Every required data field, removed.
  const requiredFields = COMMAND_TYPES.flatMap((type) =>
    ((COMMAND_SCHEMAS[type].properties.data as { required?: string[] }).required ?? [])
      .filter((f) => f in COMMAND_EXAMPLES[type].data)
      .map((field) => [type, field] as const),
  );
  it.each(requiredFields)('%s without data.%s → INVALID_MESSAGE naming the path', (type, field) => {
    expectRejected(parse(withoutData(type, field)), 'INVALID_MESSAGE', `/data/${field} is required`);
  });

  it('CreateAttempt without user.email or user.username', () => {
    for (const field of ['email', 'username']) {
      const msg = example('CreateAttempt');
      delete (dataOf(msg).user as Json)[field];
      expectRejected(parse(msg), 'INVALID_MESSAGE', `/data/user/${field} is required`);
    }
  });

  it('null is not accepted for a required field', () => {
    expectRejected(parse(withData('CreateAttempt', { examId: null })), 'INVALID_MESSAGE', '/data/examId must be string');
    expectRejected(parse(withData('CreateAttempt', { user: null })), 'INVALID_MESSAGE', '/data/user must be object');
  });

  // Every data field, mistyped (required and optional alike).
  const SECRET = 'SECRET-VALUE-7f3a';
  const wrongValue = (schemaType: unknown): unknown => {
    const t = Array.isArray(schemaType) ? (schemaType[0] as string) : (schemaType as string);
    switch (t) {
      case 'string':
        return 4711;
      case 'integer':
        return `${SECRET}`;
      case 'boolean':
        return SECRET;
      case 'object':
        return [SECRET];
      case 'array':
        return { x: SECRET };
      default:
        throw new Error(`no wrong value for ${t}`);
    }
  };
  const allFields = COMMAND_TYPES.flatMap((type) =>
    Object.entries((COMMAND_SCHEMAS[type].properties.data as unknown as { properties: Record<string, { type: unknown }> }).properties).map(
      ([field, s]) => [type, field, s.type] as const,
    ),
  );
  it.each(allFields)('%s with a mistyped data.%s → INVALID_MESSAGE naming the path, not the value', (type, field, schemaType) => {
    const r = expectRejected(parse(withData(type, { [field]: wrongValue(schemaType) })), 'INVALID_MESSAGE');
    expect(r.message.startsWith(`/data/${field} must be `)).toBe(true);
    expect(r.message).not.toContain(SECRET);
    expect(r.message).not.toContain('4711');
  });

  it.each<[string, CommandType, Json, string]>([
    ['NUL in examName', 'RegisterExam', { examName: 'Final\u0000Exam' }, '/data/examName must not contain NUL characters or unpaired surrogates'],
    ['NUL in courseName', 'RegisterExam', { courseName: '\u0000' }, '/data/courseName must not contain NUL characters or unpaired surrogates'],
    ['NUL in reason', 'UpdateAttemptStatus', { reason: 'ok\u0000' }, '/data/reason must not contain NUL characters or unpaired surrogates'],
    ['NUL in toStatus', 'UpdateAttemptStatus', { toStatus: 'verified\u0000' }, '/data/toStatus must not contain NUL characters or unpaired surrogates'],
    ['unpaired surrogate in examName', 'RegisterExam', { examName: 'Exam \uDC00' }, '/data/examName must not contain NUL characters or unpaired surrogates'],
    ['tab in examId', 'CreateAttempt', { examId: 'exam\t1' }, '/data/examId must not contain control characters or unpaired surrogates'],
    ['newline in userId', 'CreateAttempt', { userId: '47\n11' }, '/data/userId must not contain control characters or unpaired surrogates'],
    ['DEL in courseId', 'RegisterExam', { courseId: 'course\u007F' }, '/data/courseId must not contain control characters or unpaired surrogates'],
    ['C1 control in contentId', 'RegisterExam', { contentId: 'block\u0085' }, '/data/contentId must not contain control characters or unpaired surrogates'],
    ['NUL in provider', 'RegisterExam', { provider: 'a\u0000' }, '/data/provider must not contain control characters or unpaired surrogates'],
    ['256-character examId', 'CreateAttempt', { examId: 'e'.repeat(256) }, '/data/examId must be at most 255 characters'],
    ['256-character userId', 'CreateAttempt', { userId: 'u'.repeat(256) }, '/data/userId must be at most 255 characters'],
    ['empty examId', 'CreateAttempt', { examId: '' }, '/data/examId must not be empty'],
    ['empty examName', 'RegisterExam', { examName: '' }, '/data/examName must not be empty'],
    ['1001-character examName', 'RegisterExam', { examName: 'n'.repeat(1001) }, '/data/examName must be at most 1000 characters'],
    ['1001-character courseName', 'RegisterExam', { courseName: 'n'.repeat(1001) }, '/data/courseName must be at most 1000 characters'],
    ['1001-character reason', 'UpdateAttemptStatus', { reason: 'r'.repeat(1001) }, '/data/reason must be at most 1000 characters'],
    ['65-character toStatus', 'UpdateAttemptStatus', { toStatus: 's'.repeat(65) }, '/data/toStatus must be at most 64 characters'],
    ['negative timeLimitMins', 'RegisterExam', { timeLimitMins: -1 }, '/data/timeLimitMins must be >= 0'],
    ['huge timeLimitMins', 'RegisterExam', { timeLimitMins: 100_001 }, '/data/timeLimitMins must be <= 100000'],
    ['fractional timeLimitMins', 'RegisterExam', { timeLimitMins: 1.5 }, '/data/timeLimitMins must be integer'],
    ['timeLimitMins as a string', 'RegisterExam', { timeLimitMins: '90' }, '/data/timeLimitMins must be integer'],
    ['negative additionalTimeMins', 'CreateAttempt', { additionalTimeMins: -5 }, '/data/additionalTimeMins must be >= 0'],
    ['huge additionalTimeMins', 'CreateAttempt', { additionalTimeMins: 1e9 }, '/data/additionalTimeMins must be <= 100000'],
    ['isProctored as a string', 'RegisterExam', { isProctored: 'true' }, '/data/isProctored must be boolean'],
    ['isActive as a number', 'RegisterExam', { isActive: 1 }, '/data/isActive must be boolean or null'],
    ['attemptId not a UUID', 'UpdateAttemptStatus', { attemptId: 'attempt-1' }, '/data/attemptId must be a UUID (8-4-4-4-12 hexadecimal digits)'],
    ['attemptId as a URN', 'UpdateAttemptStatus', { attemptId: 'urn:uuid:0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10' }, '/data/attemptId must be a UUID (8-4-4-4-12 hexadecimal digits)'],
    ['attemptId in braces', 'RemoveAttempt', { attemptId: '{0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10}' }, '/data/attemptId must be a UUID (8-4-4-4-12 hexadecimal digits)'],
    ['empty attemptCode', 'UpdateAttemptStatus', { attemptCode: '' }, '/data/attemptCode must not be empty'],
  ])('%s → INVALID_MESSAGE', (_name, type, patch, message) => {
    expectRejected(parse(withData(type, patch)), 'INVALID_MESSAGE', message);
  });

  it.each([
    ['ada', '/data/user/email must be an e-mail address'],
    ['ada@', '/data/user/email must be an e-mail address'],
    ['@example.com', '/data/user/email must be an e-mail address'],
    ['a@b@c', '/data/user/email must be an e-mail address'],
    ['ada lovelace@example.com', '/data/user/email must be an e-mail address'],
    ['ada@exa\nmple.com', '/data/user/email must be an e-mail address'],
    ['x,victim@evil.example', '/data/user/email must be an e-mail address'],
    ['undisclosed:victim@evil.example;', '/data/user/email must be an e-mail address'],
    ['Evil<attacker@evil.example>', '/data/user/email must be an e-mail address'],
    ['Evil <attacker@evil.example>', '/data/user/email must be an e-mail address'],
    ['"victim"@example.com', '/data/user/email must be an e-mail address'],
    ['ada(x)@example.com', '/data/user/email must be an e-mail address'],
    ['ada;b@example.com', '/data/user/email must be an e-mail address'],
    ['ada\\b@example.com', '/data/user/email must be an e-mail address'],
    ['ada@[192.0.2.1]', '/data/user/email must be an e-mail address'],
    ['ada@example..com', '/data/user/email must be an e-mail address'],
    ['.ada@example.com', '/data/user/email must be an e-mail address'],
    ['ada@-example.com', '/data/user/email must be an e-mail address'],
    ['ada\u200B@example.com', '/data/user/email must be an e-mail address'],
    ['ada\u202E@example.com', '/data/user/email must be an e-mail address'],
    ['victim\uFF20evil.example@example.com', '/data/user/email must be an e-mail address'],
    ['=?utf-8?q?victim=40evil.example?=@example.com', '/data/user/email must be an e-mail address'],
    ['a@', '/data/user/email must be at least 3 characters'],
    [`${'a'.repeat(243)}@example.com`, '/data/user/email must be at most 254 characters'],
  ])('rejects the e-mail address %p', (email, message) => {
    const r = expectRejected(parse(withData('CreateAttempt', { user: { username: 'ada', email } })), 'INVALID_MESSAGE');
    expect(r.message.startsWith(message)).toBe(true);
    if (email.length > 3) expect(r.message).not.toContain(email);
  });

  it.each<[string, Json]>([
    ['no address', { attemptCode: undefined }],
    ['only examId', { attemptCode: undefined, examId: 'e' }],
    ['only userId', { attemptCode: undefined, userId: 'u' }],
    ['every address null', { attemptCode: null, attemptId: null, examId: null, userId: null }],
  ])('UpdateAttemptStatus with %s → INVALID_MESSAGE', (_name, patch) => {
    expectRejected(
      parse(withData('UpdateAttemptStatus', patch)),
      'INVALID_MESSAGE',
      '/data must include attemptId, or attemptCode, or examId and userId',
    );
  });

  it.each<[string, Json]>([
    ['no address', {}],
    ['only userId', { userId: 'u' }],
    ['only examId', { examId: 'e' }],
    ['an attemptCode (not an address for RemoveAttempt)', { attemptCode: 'C6F1E8A2-7D3B-4B8E-A0F4-2E9C5D1B7A36' }],
  ])('RemoveAttempt with %s → INVALID_MESSAGE', (_name, data) => {
    expectRejected(parse({ ...example('RemoveAttempt'), data }), 'INVALID_MESSAGE', '/data must include attemptId, or examId and userId');
  });
});

describe('parseCommand: RecordReview bounds (SPEC §8.1, §8.5: hostile provider input)', () => {
  /** `levels` nested arrays around a string: `[["x"]]` is 2 levels. */
  const nested = (levels: number): unknown => Array.from({ length: levels }).reduce<unknown>((inner) => [inner], 'x');

  it.each([
    ['101 comments', { comments: Array.from({ length: 101 }, () => ({ category: 'c', comment: 'x' })) }, /\/data\/comments/],
    ['a comment over 4,000 characters', { comments: [{ category: 'c', comment: 'x'.repeat(4001) }] }, /\/data\/comments\/0\/comment/],
    ['a comment without its category', { comments: [{ comment: 'x' }] }, /\/data\/comments\/0/],
    ['a video URL over 2,048 characters', { videoUrl: `https://v.example.com/${'x'.repeat(2048)}` }, /\/data\/videoUrl/],
    ['rawData an array', { rawData: [1, 2] }, /\/data\/rawData/],
    ['rawData a string', { rawData: 'all of it' }, /\/data\/rawData/],
    ['an empty reviewId', { reviewId: '' }, /\/data\/reviewId/],
    ['a reviewId over 255 characters', { reviewId: 'r'.repeat(256) }, /\/data\/reviewId/],
    ['an empty reviewedBy', { reviewedBy: '' }, /\/data\/reviewedBy/],
  ])('rejects %s INVALID_MESSAGE', (_name, patch, field) => {
    expectRejected(parse(withData('RecordReview', patch)), 'INVALID_MESSAGE', field);
  });

  it('rejects data nested deeper than 32 levels (rawData of 64 KiB of brackets would overflow PostgreSQL’s jsonb parser)', () => {
    // data (1) → rawData (2) → 31 arrays in `deep` (3–33)
    expectRejected(parse(withData('RecordReview', { rawData: { deep: nested(31) } })), 'INVALID_MESSAGE', '/data is nested deeper than 32 levels');
    const brackets = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const value = JSON.stringify(withData('RecordReview', { rawData: { deep: 0 } })).replace('"deep":0', `"deep":${brackets}`);
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expectRejected(parseCommand(value), 'INVALID_MESSAGE', '/data is nested deeper than 32 levels');
  });

  it('accepts data nested exactly 32 levels deep', () => {
    // data (1) → rawData (2) → 30 arrays in `deep` (3–32)
    const command = expectOk(parse(withData('RecordReview', { rawData: { deep: nested(30) } })));
    expect(command.type).toBe('RecordReview');
  });
});
