/*
 * STYLE habit 1, checked from the inside: the library's own files (not its specs) import only each
 * other and never read the clock, randomness or the process. dependency-cruiser checks the imports
 * too (npm run depcruise); this also catches globals, which an import graph cannot see.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(__dirname, f), 'utf8') }));

const FORBIDDEN: [string, RegExp][] = [
  ['the clock', /\bDate\.now\b|new Date\(\s*\)/],
  ['randomness', /\bMath\.random\b|\bcrypto\b|randomUUID/],
  ['the process', /\bprocess\.|\bglobalThis\b/],
  ['require', /\brequire\(/],
];

describe('libs/domain purity', () => {
  it('has source files to check', () => {
    expect(SOURCES.map((s) => s.file)).toEqual(
      expect.arrayContaining(['index.ts', 'transition.ts', 'policy.ts']),
    );
  });

  it.each(SOURCES.map((s) => [s.file, s.text]))('%s imports only sibling files', (_file, text) => {
    const specifiers = [...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)].map(
      (m) => m[1] ?? m[2],
    );
    expect(specifiers.filter((s) => !/^\.\/[a-z0-9.-]+$/.test(s))).toEqual([]);
  });

  it.each(SOURCES.map((s) => [s.file, s.text]))(
    '%s never reads the clock, randomness or the process',
    (_file, text) => {
      const found = FORBIDDEN.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
      expect(found).toEqual([]);
    },
  );
});
