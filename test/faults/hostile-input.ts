import fc from 'fast-check';
import { parseCommand, MAX_MESSAGE_BYTES } from '../../libs/contracts/src';
import { STATUSES } from '../../libs/domain/src';
import { envelope, message, OTHER_SOURCE, pick, rng, SOURCE, type ExamSpec, type LearnerContext, type OutMessage } from './workload';

/**
 * Hostile command payloads generated with fast-check (seeded, so a run is reproducible): invalid
 * JSON, binary garbage, JSON that is not an object, wrong types, strings over 64 KiB, unicode and
 * NUL characters, unknown types, invalid statuses, missing and repeated ids, deep nesting and
 * `__proto__` keys. Each lands in one of a few "hostile publishers" (key groups), so a repeated id is
 * always published on the same key after the original; the consumer sees them in that order.
 *
 * What the service must do with each is not hand-labelled: the reference model parses every payload
 * with the same parser and applies the valid ones, so "rejected with a reason", "dead-lettered" or
 * "applied" is decided per payload, and the scenario checks every one of them.
 */

export interface HostileSet {
  /** per key group, in publish order */
  groups: OutMessage[][];
  byCategory: Map<string, number>;
}

type Draft = { category: string; value: string | Buffer | null; nullKey?: boolean };

const anyValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

const unicodeText = (max: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: max }),
    fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: max }),
  );

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const withNul = (s: fc.Arbitrary<string>) => s.map((x) => `${x.slice(0, 3)}\u0000${x.slice(3)}`);

const WRONG_TYPE_PATHS = [
  'specversion',
  'type',
  'time',
  'datacontenttype',
  'subject',
  'correlationid',
  'data',
  'data.examId',
  'data.userId',
  'data.user',
  'data.user.email',
  'data.user.username',
  'data.takingAsProctored',
  'data.additionalTimeMins',
  'data.externalId',
] as const;

function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
  const parts = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts[parts.length - 1]] = value;
  return copy;
}

export interface HostileOptions {
  tag: string;
  count: number;
  seed: number;
  groups: number;
  /** exams that exist, so some hostile-but-valid commands get applied */
  exams: ExamSpec[];
  /** category names to leave out (to isolate a failure while debugging) */
  skip?: string[];
}

/** ≥ `count` hostile payloads in `groups` key groups. */
export function hostilePayloads(o: HostileOptions): HostileSet {
  let n = 0;
  const id = () => `${o.tag}-h-${++n}`;
  const base = (type: string, data: unknown, cid = id(), source = SOURCE) => envelope(type, data, cid, source);
  const exam = () => pick(rand, o.exams);
  const rand = rng(o.seed);
  const hostileUser = (g: number, s: string) => `${o.tag}-g${g}:${s}`;

  const categories: { name: string; weight: number; make: (g: number) => fc.Arbitrary<Draft> }[] = [
    {
      name: 'invalid JSON',
      weight: 12,
      make: () =>
        fc
          .oneof(
            fc.string({ maxLength: 200 }),
            fc.string({ unit: 'binary', maxLength: 200 }),
            fc.constantFrom('{', '{"id":', '[1,2', '{"id":"x","source":"y",}', "{'id':'x'}", '{"a":1}}', '\u0000', 'NaN', '{"id":"x" "source":"y"}'),
            fc.nat({ max: 200 }).map((cut) => JSON.stringify(base('CreateAttempt', { examId: 'e', userId: 'u' })).slice(0, cut)),
          )
          .map((value) => ({ category: 'invalid JSON', value, nullKey: true })),
    },
    {
      name: 'binary garbage',
      weight: 6,
      make: () => fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((b) => ({ category: 'binary garbage', value: Buffer.from(b), nullKey: true })),
    },
    {
      name: 'JSON that is not an object',
      weight: 5,
      make: () =>
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
          .map((v) => ({ category: 'JSON that is not an object', value: JSON.stringify(v), nullKey: true })),
    },
    {
      name: 'missing or unreadable id',
      weight: 8,
      make: () =>
        fc
          .tuple(
            fc.constantFrom<unknown>(undefined, '', 42, null, ['x'], { id: 'x' }, 'x'.repeat(256), 'a\u0001b', true),
            fc.constantFrom<unknown>(SOURCE, undefined, '', 7),
          )
          .map(([cid, source]) => {
            const body: Record<string, unknown> = { specversion: '1.0', type: 'CreateAttempt', data: { examId: 'x', userId: 'y' } };
            if (cid !== undefined) body.id = cid;
            if (source !== undefined) body.source = source;
            return { category: 'missing or unreadable id', value: JSON.stringify(body), nullKey: true };
          }),
    },
    {
      name: 'wrong types',
      weight: 14,
      make: (g) =>
        fc.tuple(fc.constantFrom(...WRONG_TYPE_PATHS), anyValue, fc.constantFrom('CreateAttempt', 'UpdateAttemptStatus', 'RegisterExam')).map(([path, value, type]) => {
          const e = exam();
          const data =
            type === 'CreateAttempt'
              ? { examId: e.examId, userId: hostileUser(g, `wt${n}`), user: { username: 'h', email: 'h@example.test' }, takingAsProctored: true }
              : type === 'UpdateAttemptStatus'
                ? { examId: e.examId, userId: hostileUser(g, `wt${n}`), toStatus: 'started' }
                : { examId: `${o.tag}-hx-${n}`, courseId: `${o.tag}-hc-${n}`, contentId: 'b', examName: 'n', timeLimitMins: '60', isProctored: true, isPracticeExam: false };
          return { category: 'wrong types', value: JSON.stringify(setPath(base(type, data), path, value)) };
        }),
    },
    {
      name: 'huge (> 64 KiB)',
      weight: 3,
      make: (g) =>
        fc
          .tuple(fc.integer({ min: MAX_MESSAGE_BYTES + 1, max: 3 * MAX_MESSAGE_BYTES }), fc.constantFrom('a', 'é', '🦄', '\u0000'))
          .map(([bytes, ch]) => {
            const unit = Buffer.byteLength(ch === '\u0000' ? '\\u0000' : ch, 'utf8');
            const body = base('CreateAttempt', { examId: exam().examId, userId: hostileUser(g, `big${n}`), user: { username: 'h', email: 'h@example.test' }, takingAsProctored: true, padding: ch.repeat(Math.ceil(bytes / unit)) });
            return { category: 'huge (> 64 KiB)', value: JSON.stringify(body) };
          }),
    },
    {
      name: 'long strings under 64 KiB',
      weight: 3,
      make: (g) =>
        fc.tuple(fc.integer({ min: 256, max: 12_000 }), fc.constantFrom('examId', 'username', 'toStatus', 'reason', 'email')).map(([len, field]) => {
          const long = '🦄'.repeat(Math.floor(len / 2)) + 'x'.repeat(len % 2);
          const data: Record<string, unknown> =
            field === 'toStatus' || field === 'reason'
              ? { examId: exam().examId, userId: hostileUser(g, `ls${n}`), toStatus: field === 'toStatus' ? long : 'started', reason: field === 'reason' ? long : 'r' }
              : { examId: field === 'examId' ? long : exam().examId, userId: hostileUser(g, `ls${n}`), user: { username: field === 'username' ? long : 'h', email: field === 'email' ? `${long}@x.test` : 'h@x.test' }, takingAsProctored: true };
          return { category: 'long strings under 64 KiB', value: JSON.stringify(base(field === 'toStatus' || field === 'reason' ? 'UpdateAttemptStatus' : 'CreateAttempt', data)) };
        }),
    },
    {
      name: 'unicode strings',
      weight: 14,
      make: (g) =>
        fc.tuple(unicodeText(40), unicodeText(40), fc.boolean(), fc.option(loneSurrogate)).map(([u, name, proctored, lone]) => {
          const userId = hostileUser(g, `${u}${lone ?? ''}`);
          const body = base('CreateAttempt', { examId: exam().examId, userId, user: { username: name, email: `${name.replace(/[\s@]/g, '')}x@例え.テスト` }, takingAsProctored: proctored });
          return { category: 'unicode strings', value: JSON.stringify(body) };
        }),
    },
    {
      name: 'NUL bytes',
      weight: 8,
      make: (g) =>
        fc.tuple(withNul(fc.string({ minLength: 1, maxLength: 10 })), fc.constantFrom('userId', 'username', 'email', 'toStatus', 'reason', 'source', 'type', 'correlationid', 'unknownField', 'raw')).map(([s, where]) => {
          if (where === 'raw') return { category: 'NUL bytes', value: `{"id":"${id()}","source":"${SOURCE}","type":"CreateAttempt\u0000","data":{}}` };
          const userId = hostileUser(g, `nul${n}`);
          let body: Record<string, unknown>;
          if (where === 'toStatus' || where === 'reason') body = base('UpdateAttemptStatus', { examId: exam().examId, userId, toStatus: where === 'toStatus' ? s : 'started', reason: where === 'reason' ? s : 'ok' });
          else
            body = base('CreateAttempt', {
              examId: exam().examId,
              userId: where === 'userId' ? `${userId}${s}` : userId,
              user: { username: where === 'username' ? s : 'h', email: where === 'email' ? `a${s}@b.test` : 'h@x.test' },
              takingAsProctored: true,
              ...(where === 'unknownField' ? { notInTheContract: s } : {}),
            });
          if (where === 'source') body.source = s;
          if (where === 'type') body.type = s;
          if (where === 'correlationid') body.correlationid = s;
          return { category: 'NUL bytes', value: JSON.stringify(body) };
        }),
    },
    {
      name: 'unknown types',
      weight: 6,
      make: (g) =>
        fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('createattempt', 'CreateAttempt ', 'DeleteAttempt', 'RegisterExam.v2', '__proto__', 'constructor')).map((type) => ({
          category: 'unknown types',
          value: JSON.stringify(base(type, { examId: exam().examId, userId: hostileUser(g, `ut${n}`) })),
        })),
    },
    {
      name: 'invalid statuses',
      weight: 8,
      make: (g) =>
        fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom('VERIFIED', 'Verified', ' verified', 'timed-out', 'TimedOut', 'submitted\u200b', 'ſubmitted')).map((toStatus) => ({
          category: 'invalid statuses',
          value: JSON.stringify(base('UpdateAttemptStatus', { examId: exam().examId, userId: hostileUser(g, `st${n}`), toStatus })),
        })),
    },
    {
      name: 'deep nesting and __proto__',
      weight: 3,
      make: (g) =>
        fc.tuple(fc.integer({ min: 100, max: 5000 }), fc.boolean()).map(([depth, proto]) => {
          const userId = hostileUser(g, `deep${n}`);
          const valid = JSON.stringify(base('CreateAttempt', { examId: exam().examId, userId, user: { username: 'h', email: 'h@x.test' }, takingAsProctored: true }));
          const value = proto
            ? valid.replace('"data":{', '"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}},"data":{"__proto__":{"takingAsProctored":false},')
            : valid.replace('"data":{', `"nested":${'['.repeat(depth)}${']'.repeat(depth)},"data":{`);
          return { category: 'deep nesting and __proto__', value };
        }),
    },
  ];

  const total = categories.reduce((s, c) => s + c.weight, 0);
  const groups: OutMessage[][] = Array.from({ length: o.groups }, () => []);
  const nullKeyed: OutMessage[] = [];
  const byCategory = new Map<string, number>();
  const idsOf: { id: string; source: string }[][] = Array.from({ length: o.groups }, () => []);
  let made = 0;
  let seed = o.seed;
  for (const c of categories) {
    if (o.skip?.includes(c.name)) continue;
    const want = Math.ceil((o.count * 0.92 * c.weight) / total);
    for (let k = 0; k < want; k++) {
      const g = Math.floor(rand() * o.groups);
      const [draft] = fc.sample(c.make(g), { numRuns: 1, seed: seed++ });
      const parsed = parseCommand(Buffer.isBuffer(draft.value) ? draft.value : draft.value === null ? null : Buffer.from(draft.value));
      // Only a message without a readable id may go without a key (its order does not matter).
      const nullKey = parsed.kind === 'unreadable' && draft.nullKey === true && rand() < 0.5;
      const m: OutMessage = { key: nullKey ? null : `hostile-${o.tag}-g${g}`, value: draft.value, headers: { 'content-type': 'application/cloudevents+json' } };
      if (nullKey) nullKeyed.push(m);
      else groups[g].push(m);
      if (parsed.kind === 'ok') idsOf[g].push({ id: parsed.command.id, source: parsed.command.source });
      else if (parsed.kind === 'rejected') idsOf[g].push({ id: parsed.id, source: parsed.source });
      byCategory.set(c.name, (byCategory.get(c.name) ?? 0) + 1);
      made++;
    }
  }
  // Repeated ids: the same (source, id) again on the same key with another payload, or the same id
  // from another source (a different command).
  const repeats = Math.max(0, o.count - made);
  for (let k = 0; k < repeats; k++) {
    const g = Math.floor(rand() * o.groups);
    const earlier = idsOf[g];
    if (earlier.length === 0) continue;
    const { id: rid, source } = pick(rand, earlier);
    const v = Math.floor(rand() * 3);
    const userId = hostileUser(g, `rep${k}`);
    const body =
      v === 0
        ? base('UpdateAttemptStatus', { examId: exam().examId, userId, toStatus: pick(rand, STATUSES) }, rid, source)
        : v === 1
          ? base('CreateAttempt', { examId: exam().examId, userId, user: { username: 'h' } }, rid, source)
          : base('CreateAttempt', { examId: exam().examId, userId, user: { username: 'h', email: 'h@x.test' }, takingAsProctored: true }, rid, source === SOURCE ? OTHER_SOURCE : SOURCE);
    groups[g].push(message(`hostile-${o.tag}-g${g}`, body));
    byCategory.set('repeated ids', (byCategory.get('repeated ids') ?? 0) + 1);
  }
  // Shuffle each group's own order? No: the order within a group is the publish order, and it is
  // already random across categories because groups are filled category by category — interleave them.
  return { groups: [...groups.map((g) => shuffleKeepingRepeats(g, rand)), ...nullKeyed.map((m) => [m])], byCategory };
}

/**
 * Mixes a group's messages while keeping every repeated (source, id) after its first occurrence:
 * messages are only moved among those whose id was not seen before in the group.
 */
function shuffleKeepingRepeats(list: OutMessage[], rand: () => number): OutMessage[] {
  const idOf = (m: OutMessage) => {
    const p = parseCommand(Buffer.isBuffer(m.value) ? m.value : m.value === null ? null : Buffer.from(m.value));
    return p.kind === 'ok' ? `${p.command.source}\u0000${p.command.id}` : p.kind === 'rejected' ? `${p.source}\u0000${p.id}` : null;
  };
  const firsts: OutMessage[] = [];
  const later: OutMessage[] = [];
  const seen = new Set<string>();
  for (const m of list) {
    const k = idOf(m);
    if (k && seen.has(k)) later.push(m);
    else {
      if (k) seen.add(k);
      firsts.push(m);
    }
  }
  for (let i = firsts.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [firsts[i], firsts[j]] = [firsts[j], firsts[i]];
  }
  return [...firsts, ...later];
}

/**
 * A hostile message on a learner's own key, aimed at the learner's real attempts: invalid statuses
 * (INVALID_STATUS once the attempt exists), wrong types, NUL characters, a repeated id with a
 * garbage payload (a duplicate: no second outcome).
 */
export function learnerHostile(ctx: LearnerContext): OutMessage | null {
  const { rand, userId } = ctx;
  const examId = pick(rand, ctx.exams).examId;
  const v = Math.floor(rand() * 5);
  switch (v) {
    case 0:
      return message(userId, envelope('UpdateAttemptStatus', { examId, userId, toStatus: pick(rand, ['VERIFIED', 'Submitted', 'started\u0000', '', '🦄', 'timed out']) }, ctx.nextId()));
    case 1:
      return message(userId, envelope('UpdateAttemptStatus', { examId, userId, toStatus: ['verified'] }, ctx.nextId()));
    case 2: {
      const earlier = ctx.sent.length > 0 ? pick(rand, ctx.sent) : null;
      const body = earlier?.value ? safeParse(earlier.value) : null;
      if (!body || typeof body.id !== 'string' || typeof body.source !== 'string') return null;
      return message(userId, { id: body.id, source: body.source, specversion: '1.0', type: 'UpdateAttemptStatus', data: { garbage: '\u0000' } });
    }
    case 3:
      return message(userId, envelope('CreateAttempt', { examId, userId, user: { username: 'n\u0000', email: 'x@y.test' }, takingAsProctored: true }, ctx.nextId()));
    default:
      return { key: userId, value: `{"id":"${ctx.nextId()}","source":"${SOURCE}","type":"UpdateAttemptStatus","data":{"examId":"${examId}","userId":"${userId}","toStatus":"verified"}` };
  }
}

function safeParse(v: string | Buffer): Record<string, unknown> | null {
  try {
    const x: unknown = JSON.parse(Buffer.isBuffer(v) ? v.toString('utf8') : v);
    return typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Hostile Kafka keys and headers (the part of a message the contract does not validate): NUL in the
 * key, a key longer than a btree index entry, invalid UTF-8 key bytes, an empty key; NUL and invalid
 * UTF-8 in header values. Carried by readable-but-invalid commands (their outcome event is keyed by
 * the message key) and by unreadable ones (dead-lettered with their key and headers).
 */
export function hostileKeysAndHeaders(tag: string, seed: number, count: number): OutMessage[][] {
  const rand = rng(seed);
  let n = 0;
  const longKey = () => Array.from({ length: 6000 }, () => String.fromCharCode(0x4e00 + Math.floor(rand() * 0x5000))).join('');
  const keys: { name: string; key: () => string | Buffer }[] = [
    { name: 'NUL in the key', key: () => `k\u0000${n}` },
    { name: '6,000-character key', key: longKey },
    { name: 'invalid UTF-8 key', key: () => Buffer.from([0xff, 0xfe, 0x00, 0xc3, n % 256]) },
    { name: 'empty key', key: () => '' },
  ];
  const headers: { name: string; headers: () => Record<string, string | Buffer> }[] = [
    { name: 'no extra header', headers: () => ({}) },
    { name: 'NUL in a header', headers: () => ({ 'x-trace': `a\u0000b${n}` }) },
    { name: 'invalid UTF-8 header', headers: () => ({ 'x-trace': Buffer.from([0xff, 0x00, 0xfe]) }) },
  ];
  const streams: OutMessage[][] = [];
  for (let i = 0; i < count; i++) {
    const k = keys[i % keys.length];
    const h = headers[Math.floor(i / keys.length) % headers.length];
    n++;
    const kind = i % 3;
    const value =
      kind === 0
        ? JSON.stringify(envelope('UpdateAttemptStatus', { attemptId: '00000000-0000-4000-8000-000000000000', toStatus: 'started' }, `${tag}-kh-${n}`))
        : kind === 1
          ? JSON.stringify(envelope('CreateAttempt', { examId: 'nope', userId: `kh-${n}` }, `${tag}-kh-${n}`))
          : `not json ${n}`;
    streams.push([{ key: k.key(), value, headers: { 'content-type': 'application/cloudevents+json', ...h.headers() } }]);
  }
  return streams;
}
