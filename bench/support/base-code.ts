import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './infra';
import { say } from './progress';

/**
 * The code a (c) run starts: this checkout's `dist/` (main), or an earlier commit's, built in a folder
 * of its own (the base that "no worse than now" is judged against, issue #23).
 */
export interface CodeUnderTest {
  label: 'main' | 'base';
  /** The folder holding that code's `dist/` and `node_modules/`. */
  root: string;
  /** Full commit id; for main, HEAD (the working tree may hold more). */
  commit: string;
}

/** Where built bases are kept between runs (ignored by git with the rest of var/). */
export const BASE_DIR = 'var/bench-base';
const READY = '.bench-base-ready';

export async function commitOf(root: string, ref: string): Promise<string> {
  return (await run('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: root })).stdout.trim();
}

/**
 * The base commit's tree exported into `var/bench-base/<commit>`, installed with its own lock file and
 * built, once: a folder whose ready marker names the commit is used as it is. `npm ci` needs the npm
 * registry (the bench says so and stops when it fails).
 */
export async function prepareBase(root: string, ref: string): Promise<CodeUnderTest> {
  const commit = await commitOf(root, ref);
  const dir = join(root, BASE_DIR, commit.slice(0, 12));
  const marker = join(dir, READY);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === commit) return { label: 'base', root: dir, commit };
  say(`preparing the base ${commit.slice(0, 7)} in ${join(BASE_DIR, commit.slice(0, 12))} (git archive, npm ci, npm run build; once)…`);
  const t0 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // no shell: the archive to a file, then unpacked (each step's exit status checked)
  const tarball = `${dir}.tar`;
  await run('git', ['archive', '--format=tar', '-o', tarball, commit], { cwd: root });
  await run('tar', ['-xf', tarball, '-C', dir]);
  rmSync(tarball, { force: true });
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  await run('npm', ['run', '--silent', 'build'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  for (const f of ['dist/apps/attempt-service/src/main.js', 'dist/scripts/migrate.js'])
    if (!existsSync(join(dir, f))) throw new Error(`the base ${commit.slice(0, 7)} built no ${f}: it cannot be run by this bench`);
  writeFileSync(marker, `${commit}\n`);
  say(`base ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { label: 'base', root: dir, commit };
}
