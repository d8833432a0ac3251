/*
 * Generates the published contract from libs/contracts: docs/asyncapi.yaml and docs/schemas/*.schema.json.
 *
 *   npx ts-node --transpile-only scripts/generate-contracts.ts            write the files
 *   npx ts-node --transpile-only scripts/generate-contracts.ts --check    exit 1 if they differ (CI)
 *   npx ts-node --transpile-only scripts/generate-contracts.ts --update-baseline
 *       also rewrite libs/contracts/src/v1-baseline.json (only after adding fields; the
 *       compatibility test refuses removals, renames and retypes, so review that diff)
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describeContract } from '../libs/contracts/src/compatibility';
import { renderContractFiles, SCHEMAS_DIR } from '../libs/contracts/src/contract-docs';

const ROOT = join(__dirname, '..');
const BASELINE = 'libs/contracts/src/v1-baseline.json';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const updateBaseline = argv.includes('--update-baseline');
  const unknown = argv.filter((a) => a !== '--check' && a !== '--update-baseline');
  if (unknown.length > 0 || (check && updateBaseline)) {
    process.stderr.write('usage: generate-contracts.ts [--check | --update-baseline]\n');
    return 2;
  }

  const files = renderContractFiles();
  const expected = new Set(files.map((f) => f.path));
  // Schema files that are no longer generated (a schema renamed or removed).
  const stale = existsSync(join(ROOT, SCHEMAS_DIR))
    ? readdirSync(join(ROOT, SCHEMAS_DIR))
        .filter((f) => f.endsWith('.schema.json'))
        .map((f) => `${SCHEMAS_DIR}/${f}`)
        .filter((p) => !expected.has(p))
    : [];

  if (check) {
    const drift = files.filter((f) => read(f.path) !== f.content).map((f) => f.path);
    for (const p of [...drift, ...stale]) process.stderr.write(`out of date: ${p}\n`);
    if (drift.length + stale.length > 0) {
      process.stderr.write('Run `npx ts-node --transpile-only scripts/generate-contracts.ts` and commit the result.\n');
      return 1;
    }
    process.stdout.write(`contract documents up to date (${files.length} files)\n`);
    return 0;
  }

  for (const f of files) {
    if (read(f.path) === f.content) continue;
    mkdirSync(dirname(join(ROOT, f.path)), { recursive: true });
    writeFileSync(join(ROOT, f.path), f.content);
    process.stdout.write(`wrote ${f.path}\n`);
  }
  for (const p of stale) {
    unlinkSync(join(ROOT, p));
    process.stdout.write(`removed ${p}\n`);
  }
  if (updateBaseline) {
    writeFileSync(join(ROOT, BASELINE), `${JSON.stringify(describeContract(), null, 2)}\n`);
    process.stdout.write(`wrote ${relative(ROOT, join(ROOT, BASELINE))}\n`);
  }
  return 0;
}

function read(path: string): string | undefined {
  const full = join(ROOT, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

process.exitCode = main(process.argv.slice(2));
