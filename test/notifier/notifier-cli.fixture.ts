import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const ENTRY = 'apps/notifier/src/cli/notifier.cli';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let compiled: Promise<string> | null = null;
let compiledDir: string | null = null;

/**
 * The notifier command line compiled once per test worker (its import graph only, emitted without
 * type checking, which `npm run typecheck` does) into a temporary directory, so `node` starts it in
 * about a second. With `NOTIFIER_CLI_DIST=1` the suite runs `dist/` instead (after `npm run build`).
 */
function compiledCli(): Promise<string> {
  compiled ??= new Promise((resolve, reject) => {
    const out = mkdtempSync(join(tmpdir(), 'notifier-cli-'));
    compiledDir = out;
    const args = [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--noCheck',
      '--outDir', out,
      '--rootDir', ROOT,
      '--target', 'ES2022',
      '--module', 'commonjs',
      '--moduleResolution', 'node',
      '--esModuleInterop',
      '--experimentalDecorators',
      '--emitDecoratorMetadata',
      '--resolveJsonModule',
      '--skipLibCheck',
      '--types', 'node',
      join(ROOT, `${ENTRY}.ts`),
    ];
    execFile(process.execPath, args, { cwd: ROOT }, (error, stdout) => {
      if (error) return reject(new Error(`compiling the notifier command line failed: ${stdout}`));
      resolve(join(out, `${ENTRY}.js`));
    });
  });
  return compiled;
}

/** Deletes the compiled copy (call in afterAll). */
export function removeCompiledCli(): void {
  if (compiledDir) rmSync(compiledDir, { recursive: true, force: true });
  compiledDir = null;
  compiled = null;
}

/** Runs `npm run notifier -- …` as a separate process with exactly `env` (plus PATH and HOME). */
export async function runNotifierCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const entry = process.env.NOTIFIER_CLI_DIST === '1' ? join(ROOT, `dist/${ENTRY}.js`) : await compiledCli();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [entry, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_PATH: join(ROOT, 'node_modules'), ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
