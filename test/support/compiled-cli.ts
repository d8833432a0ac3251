import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A command line run as a separate process, as an operator runs it: `node dist/<entry>.js` when the
 * environment variable `distFlag` is `1` (after `npm run build`), else a copy compiled once per test
 * worker (its import graph only, emitted without type checking, which `npm run typecheck` does) into
 * a temporary directory, so `node` starts it in about a second where ts-node needs several.
 */
export class CompiledCli {
  private compiled: Promise<string> | null = null;
  private dir: string | null = null;

  /** `entry`: the path of the command line's source from the repository root, without `.ts`. */
  constructor(
    private readonly entry: string,
    private readonly distFlag: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs it with exactly `env` (plus PATH, HOME and NODE_PATH). */
  async run(args: string[], env: Record<string, string>): Promise<CliRun> {
    const entry = process.env[this.distFlag] === '1' ? join(ROOT, `dist/${this.entry}.js`) : await this.compile();
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [entry, ...args],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_PATH: join(ROOT, 'node_modules'), ...env },
          timeout: this.timeoutMs,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  /**
   * Starts it as a long-running process (a service), with exactly `env` (plus PATH, HOME and
   * NODE_PATH); its output goes to `logFile`'s descriptor when given, else is discarded.
   */
  async spawn(args: string[], env: Record<string, string>, logFd?: number): Promise<ChildProcess> {
    const entry = process.env[this.distFlag] === '1' ? join(ROOT, `dist/${this.entry}.js`) : await this.compile();
    return spawn(process.execPath, [entry, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_PATH: join(ROOT, 'node_modules'), ...env },
      stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
    });
  }

  /** Deletes the compiled copy (call in afterAll). */
  remove(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.compiled = null;
  }

  private compile(): Promise<string> {
    this.compiled ??= new Promise((resolve, reject) => {
      const out = mkdtempSync(join(tmpdir(), 'cli-'));
      this.dir = out;
      const args = [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '--ignoreConfig',
        '--noCheck',
        '--outDir', out,
        '--rootDir', ROOT,
        '--target', 'ES2022',
        '--module', 'node20',
        '--moduleResolution', 'node16',
        '--esModuleInterop',
        '--experimentalDecorators',
        '--emitDecoratorMetadata',
        '--resolveJsonModule',
        '--skipLibCheck',
        '--types', 'node',
        join(ROOT, `${this.entry}.ts`),
      ];
      execFile(process.execPath, args, { cwd: ROOT }, (error, stdout) => {
        if (error) return reject(new Error(`compiling ${this.entry} failed: ${stdout}`));
        resolve(join(out, `${this.entry}.js`));
      });
    });
    return this.compiled;
  }
}
