import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Pool } from 'pg';
import { AttemptServiceModule } from '../../apps/attempt-service/src/attempt-service.module';
import { createAttemptServiceRuntime, type AttemptServiceRuntime } from '../../apps/attempt-service/src/attempt-service.runtime';
import { loadAttemptServiceConfig } from '../../apps/attempt-service/src/config/attempt-service.config';
import { createLogger, type Logger } from '../../libs/platform/src/logging/logger';
import { PinoNestLogger } from '../../libs/platform/src/nest/pino-nest.logger';
import { CompiledCli } from '../support/compiled-cli';
import { topicEnv, type TestTopics } from '../support/kafka-fixture';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';

export const ROOT = join(__dirname, '..', '..');

export interface OpsService {
  app: INestApplication;
  runtime: AttemptServiceRuntime;
  url: string;
  stop(): Promise<void>;
}

/** The environment a service or the command line gets in these suites (the suite's topics, the test database). */
export function opsEnv(topics: TestTopics, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    // The service's identity; the command line's too for now, as `set-status` still relays the outbox.
    ...testIdentity('attempt-service'),
    ATTEMPT_SERVICE_GROUP_ID: `attempt-service.ops-${randomUUID()}`,
    PROVIDERS_FILE: join(ROOT, 'config/providers.json'),
    HTTP_PORT: '0',
    OUTBOX_RELAY_IDLE_POLL_MS: '100',
    SWEEPER_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    // Suites that call the read API pass a key set (test/support/read-api-keys.ts); the rest leave it off.
    READ_API_AUTH: 'off',
    ...topicEnv(topics),
    ...env,
  };
}

/**
 * The attempt-service in this process, wired like main.ts (same module, runtime and transport), with
 * an optional logger (to capture its output) and migrations (for a throwaway database).
 */
export async function startOpsService(
  topics: TestTopics,
  env: Record<string, string> = {},
  opts: { logger?: Logger; migrate?: boolean } = {},
): Promise<OpsService> {
  const config = loadAttemptServiceConfig(opsEnv(topics, env));
  const logger = opts.logger ?? createLogger('attempt-service', config.logLevel);
  const runtime = await createAttemptServiceRuntime(config, { logger, migrate: opts.migrate ?? false });
  const app = await NestFactory.create(AttemptServiceModule.register(runtime), { logger: new PinoNestLogger(logger) });
  app.connectMicroservice({ strategy: runtime.transport }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, runtime, url, stop: () => app.close() };
}

 
export async function getJson(
  url: string,
  token?: string,
): Promise<{ status: number; body: any; contentType: string | null; headers: Headers }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, body, contentType: res.headers.get('content-type'), headers: res.headers };
}

let testPool: Pool | null = null;

/** A small pool on the test database, for assertions and set-up on the suite's own rows. */
export function db(): Pool {
  testPool ??= new Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
  return testPool;
}

export async function closeDb(): Promise<void> {
  await testPool?.end();
  testPool = null;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

const attemptsCli = new CompiledCli('apps/attempt-service/src/cli/attempts.cli', 'OPS_CLI_DIST', 120_000);

/** Deletes the compiled copy of the command line (call in afterAll). */
export function removeCompiledCli(): void {
  attemptsCli.remove();
}

/**
 * Runs the command line as a separate process: `node dist/...` when `OPS_CLI_DIST=1` (after
 * `npm run build`), else a copy compiled for the test run.
 */
export async function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const r = await attemptsCli.run(args, env);
  return { ...r, lines: r.stdout.split('\n').filter((l) => l.length > 0) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl from the installed binaries) on a spare port, data
 * under /tmp, run as the `postgres` user when this process is root. Never the shared server.
 */
export class ThrowawayPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
    private readonly asUser: string | null,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/proctoring_ops`;
  }

  static async create(): Promise<ThrowawayPostgres> {
    const versions = execFileSync('ls', ['/usr/lib/postgresql']).toString().trim().split('\n').sort((a, b) => Number(b) - Number(a));
    const bin = `/usr/lib/postgresql/${versions[0]}/bin`;
    const dir = mkdtempSync(join(tmpdir(), 'pg-ops-'));
    const root = process.getuid?.() === 0;
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const pg = new ThrowawayPostgres(dir, await freePort(), bin, root ? 'postgres' : null);
    pg.exec('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    await pg.start();
    return pg;
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`;
    await this.execAsync('pg_ctl', ['-D', join(this.dir, 'data'), '-l', join(this.dir, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
  }

  async stop(): Promise<void> {
    await this.execAsync('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', '-t', '60', 'stop']);
  }

  /** Stops the cluster if it runs and deletes its files. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.bin, tool);
    return this.asUser ? ['runuser', ['-u', this.asUser, '--', path, ...args]] : [path, args];
  }

  private exec(tool: string, args: string[]): void {
    const [file, argv] = this.command(tool, args);
    execFileSync(file, argv, { stdio: 'ignore', cwd: this.dir });
  }

  private execAsync(tool: string, args: string[]): Promise<void> {
    const [file, argv] = this.command(tool, args);
    return new Promise((resolve, reject) => {
      execFile(file, argv, { cwd: this.dir }, (error, _stdout, stderr) => (error ? reject(new Error(`${tool} failed: ${stderr}`)) : resolve()));
    });
  }
}
