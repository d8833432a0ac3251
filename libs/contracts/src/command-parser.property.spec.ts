import fc from 'fast-check';
import { parseCommand, type ParsedCommand } from './command-parser';
import { COMMAND_TYPES, type CommandType } from './command.schemas';
import { COMMAND_EXAMPLES } from './message.examples';

const RUNS = { numRuns: 2000 };

/** parseCommand, failing the property if it throws or returns something outside its type. */
function parseTotal(value: Buffer | string | null): ParsedCommand {
  const result = parseCommand(value);
  expect(['ok', 'rejected', 'unreadable']).toContain(result.kind);
  return result;
}

/** Any UTF-16 string, unpaired surrogates and control characters included. */
const anyUtf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 });
const anyCodePoints = fc.string({ unit: 'binary', maxLength: 300 });

describe('parseCommand never throws', () => {
  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(anyUtf16, anyCodePoints, fc.string()), (s) => {
        parseTotal(s);
      }),
      RUNS,
    );
  });

  it('on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        parseTotal(Buffer.from(bytes));
      }),
      RUNS,
    );
  });

  it('on arbitrary JSON values (only objects can be readable)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const result = parseTotal(JSON.stringify(v) ?? null);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) expect(result.kind).toBe('unreadable');
      }),
      RUNS,
    );
  });

  it('on arbitrary envelopes', () => {
    const envelope = fc.record(
      {
        specversion: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
        id: fc.oneof(anyUtf16, fc.jsonValue()),
        source: fc.oneof(anyUtf16, fc.jsonValue()),
        type: fc.oneof(fc.constantFrom(...COMMAND_TYPES), anyUtf16, fc.jsonValue()),
        time: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyUtf16, fc.jsonValue()),
        correlationid: fc.oneof(anyUtf16, fc.jsonValue()),
        data: fc.oneof(fc.object(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelope, (e) => {
        const result = parseTotal(JSON.stringify(e));
        if (result.kind === 'rejected') {
          expect(result.id).toBe(e.id);
          expect(result.source).toBe(e.source);
        }
      }),
      RUNS,
    );
  });
});

/** Every field path of the examples that a publisher fills in (envelope and data, nested user included). */
function fieldPaths(type: CommandType): string[][] {
  const ex = COMMAND_EXAMPLES[type] as unknown as Record<string, unknown>;
  const paths: string[][] = [];
  for (const key of Object.keys(ex)) {
    if (key !== 'data') paths.push([key]);
  }
  const data = ex.data as Record<string, unknown>;
  for (const key of [...Object.keys(data), 'attemptId', 'attemptCode', 'examId', 'userId', 'reason', 'courseName']) {
    paths.push(['data', key]);
    if (key === 'user') paths.push(['data', 'user', 'username'], ['data', 'user', 'email']);
  }
  return paths;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

describe('parseCommand on mutated commands', () => {
  const mutation = fc
    .constantFrom(...COMMAND_TYPES)
    .chain((type) => fc.tuple(fc.constant(type), fc.constantFrom(...fieldPaths(type))))
    .chain(([type, path]) =>
      fc.tuple(
        fc.constant(type),
        fc.constant(path),
        // A value that carries a marker, so that an echoed value would be noticed.
        fc.oneof(
          anyUtf16.map((s) => `MARKER-${s}`),
          anyCodePoints.map((s) => `MARKER-${s}`),
          fc.jsonValue().map((v) => ({ marker: 'MARKER-x', v })),
          fc.array(fc.constant('MARKER-y'), { maxLength: 2 }),
          fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 1e21, '', 'MARKER-\u0000', 'MARKER-\uD800'),
        ),
      ),
    );

  it('never throws, never echoes a value, and what it accepts parses again to the same command', () => {
    fc.assert(
      fc.property(mutation, ([type, path, value]) => {
        const msg = JSON.parse(JSON.stringify(COMMAND_EXAMPLES[type])) as Record<string, unknown>;
        setPath(msg, path, value);
        const result = parseTotal(JSON.stringify(msg));
        switch (result.kind) {
          case 'rejected':
            expect(result.message).not.toContain('MARKER');
            break;
          case 'unreadable':
            expect(result.reason).not.toContain('MARKER');
            break;
          case 'ok':
            expect(parseCommand(JSON.stringify(result.command))).toEqual(result);
            break;
        }
      }),
      RUNS,
    );
  });
});
