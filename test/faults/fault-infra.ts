import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statfsSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { inboundTopicConfigEntries } from '../../libs/contracts/src/topics';
import { aclPlan, applyAclPlan, type AclTopics } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { identityEnv, localSasl, localSaslEnabled } from '../../scripts/kafka-credentials';
import { dropDatabase } from '../../libs/platform/src/database/ensure-database';

/** The repository root (this file is test/faults/fault-infra.ts). */
export const ROOT = resolve(__dirname, '..', '..');

// ---- progress and cleanup ---------------------------------------------------------------------

const started = Date.now();

export function say(line: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stdout.write(`[faults ${s}s] ${line}\n`);
}

type SyncCleanup = { name: string; run: () => void };
const syncCleanups: SyncCleanup[] = [];

/**
 * Registers a synchronous cleanup (kill a child, stop a broker) that runs when the runner exits for
 * any reason, including an uncaught error or SIGINT. Returns a function that unregisters it.
 */
export function onExit(name: string, run: () => void): () => void {
  const entry = { name, run };
  syncCleanups.push(entry);
  return () => {
    const i = syncCleanups.indexOf(entry);
    if (i >= 0) syncCleanups.splice(i, 1);
  };
}

export function runExitCleanups(): void {
  while (syncCleanups.length > 0) {
    const c = syncCleanups.pop() as SyncCleanup;
    try {
      c.run();
    } catch (e) {
      process.stderr.write(
        `[faults] cleanup ${c.name} failed: ${e instanceof Error ? e.message : String(e)}\n`,
      );
    }
  }
}

let exitHooksInstalled = false;
export function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', runExitCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n[faults] ${sig}: stopping everything the suite started\n`);
      runExitCleanups();
      process.exit(130);
    });
  }
}

// ---- small helpers ----------------------------------------------------------------------------

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const srv = createServer();
    srv.once('error', () => resolveFree(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolveFree(true)));
  });
}

/** The first `base + k * step` (k < 20) whose port and port + 1 are both free. */
export async function freePortPair(base: number, step = 10): Promise<number> {
  for (let k = 0; k < 20; k++) {
    const p = base + k * step;
    if ((await portIsFree(p)) && (await portIsFree(p + 1))) return p;
  }
  throw new Error(`no free port pair from ${base}`);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Appends stdout and stderr to this file instead of inheriting them. */
  logFile?: string;
  cwd?: string;
}

/** Runs a command to completion (bounded); rejects on a non-zero exit or the timeout. */
export async function run(cmd: string, args: string[], o: RunOptions): Promise<void> {
  const fd = o.logFile ? openSync(o.logFile, 'a') : null;
  try {
    await new Promise<void>((resolveRun, reject) => {
      const child = spawn(cmd, args, {
        cwd: o.cwd ?? ROOT,
        env: o.env ?? process.env,
        stdio: ['ignore', fd ?? 'inherit', fd ?? 'inherit'],
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${o.timeoutMs} ms`));
      }, o.timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolveRun();
        else
          reject(
            new Error(
              `${cmd} ${args.join(' ')} exited with ${code ?? signal}${o.logFile ? ` (log: ${o.logFile})` : ''}`,
            ),
          );
      });
    });
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

// ---- build ------------------------------------------------------------------------------------

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** `npm run build` unless dist/ is newer than every source of apps/, libs/ and scripts/. */
export async function buildIfStale(force: boolean): Promise<void> {
  const marker = join(ROOT, 'dist', '.tsbuildinfo.build');
  const entries = [
    'dist/apps/attempt-service/src/main.js',
    'dist/apps/notifier/src/main.js',
    'dist/scripts/migrate.js',
  ];
  const sources = Math.max(...['apps', 'libs', 'scripts'].map((d) => newest(join(ROOT, d))));
  const fresh =
    existsSync(marker) &&
    entries.every((e) => existsSync(join(ROOT, e))) &&
    statSync(marker).mtimeMs >= sources;
  if (fresh && !force) {
    say('dist/ is up to date');
    return;
  }
  say('building (npm run build)…');
  await run('npm', ['run', '--silent', 'build'], { timeoutMs: 300_000 });
}

// ---- Kafka ------------------------------------------------------------------------------------

// The suite itself (topics, ACLs, publishing as any party, observing) is `admin`; each service process
// it starts runs as its own principal (`kafkaIdentity`), on topics granted as in production.

/** KAFKA_SASL_* of a service process: its principal's password from the local credentials file. */
export function kafkaIdentity(principal: string): Record<string, string> {
  return identityEnv(principal);
}

export function adminKafka(brokers: string, clientId = 'faults-admin'): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    sasl: localSasl('admin'),
    connectionTimeout: 2000,
    requestTimeout: 10000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

/** The client the suite publishes and reads with: patient retries, so it rides out a failover. */
export function clientKafka(brokers: string, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    sasl: localSasl('admin'),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5000 },
    logLevel: logLevel.NOTHING,
  });
}

/** How many brokers answer (0 when none). */
export async function liveBrokers(brokers: string): Promise<number> {
  const admin = adminKafka(brokers, 'faults-ping').admin();
  try {
    await admin.connect();
    const { brokers: b } = await admin.describeCluster();
    return b.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The production ACLs (SPEC §8.4, LITERAL) on a scenario's own topics. */
export async function grantTopicAcls(brokers: string, topics: Omit<AclTopics, 'reviews'> & { reviews?: AclTopics['reviews'] }): Promise<void> {
  if (!localSaslEnabled()) return;
  const admin = adminKafka(brokers).admin();
  try {
    await admin.connect();
    await applyAclPlan(admin, aclPlan({ ...topics, reviews: topics.reviews ?? {} }));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function createTopics(
  brokers: string,
  /** `logAppendTime`: the broker stamps each message as it appends it (the soak's latency starts there). */
  topics: { topic: string; partitions: number; inbound?: boolean; logAppendTime?: boolean }[],
  replicationFactor: number,
): Promise<void> {
  const list: ITopicConfig[] = topics.map((t) => ({
    topic: t.topic,
    numPartitions: t.partitions,
    replicationFactor,
    configEntries: [
      ...(replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: '2' }] : []),
      ...(t.inbound ? inboundTopicConfigEntries() : []),
      ...(t.logAppendTime ? [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] : []),
    ],
  }));
  const end = Date.now() + 90_000;
  for (let attempt = 1; ; attempt++) {
    const admin = adminKafka(brokers).admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = list.filter((t) => !existing.has(t.topic));
      if (missing.length > 0)
        await admin.createTopics({ waitForLeaders: false, timeout: 30000, topics: missing });
      // Leaders elected for every partition (KRaft answers "does not host this topic-partition" until then).
      const meta = await admin.fetchTopicMetadata({ topics: list.map((t) => t.topic) });
      const ready = meta.topics.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready) return;
    } catch (e) {
      if (Date.now() > end) throw e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() > end)
      throw new Error(`topics not ready after ${attempt} attempts: ${list.map((t) => t.topic).join(', ')}`);
    await delay(500);
  }
}

function kafkaScript(
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  return run('bash', ['scripts/kafka.sh', ...args], { env: { ...process.env, ...env }, logFile, timeoutMs });
}

/** A single-node broker of the suite's own (scripts/kafka.sh with KAFKA_PORT), restartable on its data. */
export class OwnBroker {
  readonly brokers: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly unregister: () => void;

  /**
   * `proxied`: a second listener on `listenerPort` that advertises `advertisedPort`, where a network
   * scenario's FaultProxy forwards to it (scripts/kafka.sh KAFKA_PROXIED_PORT); clients that bootstrap on
   * `advertisedPort` stay behind the proxy, everyone else uses `brokers` directly.
   */
  constructor(
    readonly port: number,
    readonly stateDir: string,
    private readonly logFile: string,
    readonly proxied: { listenerPort: number; advertisedPort: number } | null = null,
  ) {
    this.brokers = `127.0.0.1:${port}`;
    this.env = {
      KAFKA_PORT: String(port),
      KAFKA_STATE_DIR: stateDir,
      KAFKA_BROKERS: this.brokers,
      ...(proxied ? { KAFKA_PROXIED_PORT: String(proxied.listenerPort), KAFKA_PROXIED_ADVERTISED_PORT: String(proxied.advertisedPort) } : {}),
    };
    this.unregister = onExit(`kafka broker ${port}`, () => {
      spawnSync('bash', ['scripts/kafka.sh', 'stop'], {
        cwd: ROOT,
        env: { ...process.env, ...this.env },
        stdio: 'ignore',
        timeout: 30_000,
      });
      rmSync(this.stateDir, { recursive: true, force: true });
    });
  }

  async start(): Promise<void> {
    await kafkaScript(['start'], this.env, this.logFile, 240_000);
  }

  /** SIGTERM (controlled shutdown); the data stays. */
  async stop(): Promise<void> {
    await kafkaScript(['stop'], this.env, this.logFile, 60_000);
  }

  /** SIGKILL; the data stays. */
  async kill(): Promise<void> {
    await kafkaScript(['kill'], this.env, this.logFile, 30_000);
  }

  async resume(): Promise<void> {
    await kafkaScript(['resume'], this.env, this.logFile, 240_000);
  }

  async destroy(): Promise<void> {
    await kafkaScript(['stop'], this.env, this.logFile, 60_000).catch(() => undefined);
    rmSync(this.stateDir, { recursive: true, force: true });
    this.unregister();
  }
}

/**
 * The /24 (three octets) a partitionable cluster whose first port is `port` runs on (scripts/kafka.sh
 * KAFKA_CLUSTER_NET), or why it cannot: each node in a network namespace of its own needs root and `ip`.
 */
export function clusterNet(port: number): { net: string } | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'cutting a node off needs root (network namespaces)' };
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return { unavailable: 'cutting a node off needs `ip netns` (iproute2)' };
  return { net: `10.231.${Math.floor(port / 200) % 256}` };
}

/** Whether another run's partitionable cluster holds `port` (its ports are in namespaces, not on loopback). */
export const clusterNetInUse = (port: number): boolean => existsSync(`/sys/class/net/kbr${port}`);

/**
 * The 3-node KRaft cluster of scripts/kafka.sh (cluster-* subcommands). With `net` (KAFKA_CLUSTER_NET)
 * each node runs in a network namespace of its own behind a bridge, and can be cut off (scenario 6b).
 */
export class OwnCluster {
  readonly brokers: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly unregister: () => void;

  constructor(
    readonly ports: number[],
    readonly dir: string,
    private readonly logFile: string,
    readonly net: string | null = null,
  ) {
    this.brokers = ports.map((p, i) => `${net ? `${net}.1${i + 1}` : '127.0.0.1'}:${p}`).join(',');
    this.env = { KAFKA_CLUSTER_PORTS: ports.join(' '), KAFKA_CLUSTER_DIR: dir, ...(net ? { KAFKA_CLUSTER_NET: net } : {}) };
    this.unregister = onExit('kafka cluster', () => {
      spawnSync('bash', ['scripts/kafka.sh', 'cluster-stop'], {
        cwd: ROOT,
        env: { ...process.env, ...this.env },
        stdio: 'ignore',
        timeout: 90_000,
      });
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  async start(): Promise<void> {
    await kafkaScript(['cluster-start'], this.env, this.logFile, 400_000);
  }

  async killNode(node: number): Promise<void> {
    await kafkaScript(['cluster-kill', String(node)], this.env, this.logFile, 30_000);
  }

  async resumeNode(node: number): Promise<void> {
    await kafkaScript(['cluster-resume', String(node)], this.env, this.logFile, 240_000);
  }

  /** Node `node` loses its link: cut off from the other nodes and every client, its JVM running. */
  async cutNode(node: number): Promise<void> {
    await kafkaScript(['cluster-cut', String(node)], this.env, this.logFile, 30_000);
  }

  async healNode(node: number): Promise<void> {
    await kafkaScript(['cluster-heal', String(node)], this.env, this.logFile, 30_000);
  }

  async destroy(): Promise<void> {
    await kafkaScript(['cluster-stop'], this.env, this.logFile, 120_000).catch(() => undefined);
    // the nodes' own logs go with the run's (a cut node's view of the partition is only there)
    for (const n of [1, 2, 3]) {
      const log = join(this.dir, `n${n}`, 'broker.log');
      if (existsSync(log)) copyFileSync(log, this.logFile.replace(/\.log$/, `-node-${n}.log`));
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}

// ---- PostgreSQL -------------------------------------------------------------------------------

export function withDatabase(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops (only a `proctoring_fault_*` database) and re-creates it, then runs both services' migrations. */
export async function resetFaultDatabase(serverUrl: string, name: string, logFile: string): Promise<string> {
  if (!/^proctoring_fault_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to reset database "${name}"`);
  const url = withDatabase(serverUrl, name);
  await dropDatabase(url);
  await run(process.execPath, [join(ROOT, 'dist/scripts/migrate.js')], {
    env: { ...process.env, DATABASE_URL: url },
    logFile,
    timeoutMs: 120_000,
  });
  return url;
}

/** The newest installed PostgreSQL's binaries (initdb, pg_ctl). */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin');
  return join(base, versions[0], 'bin');
}

/**
 * A throwaway PostgreSQL cluster (initdb + pg_ctl) on a spare port with its data under /tmp, run as
 * the `postgres` OS user when the suite runs as root (initdb refuses root). Never the shared server.
 */
export class ThrowawayPostgres {
  readonly url: string;
  private readonly bin = postgresBin();
  private readonly data: string;
  private readonly unregister: () => void;
  /** The data directory's own tmpfs, when `volumeMb` was given (scenario 12 fills it). */
  volume: TmpfsVolume | null = null;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly volumeMb = 0,
    /** fsync on, as in production (the soak); off by default: the crash scenarios do not need the disk. */
    private readonly durable = false,
    /** Where its server log is copied when it is destroyed (the run's folder), so checkpoints and autovacuum runs can be read after. */
    private readonly keepLogAs: string | null = null,
  ) {
    this.data = join(dir, 'data');
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    this.unregister = onExit(`postgres ${port}`, () => {
      spawnSync(...this.asOwner(join(this.bin, 'pg_ctl'), ['-D', this.data, '-m', 'immediate', 'stop']), {
        stdio: 'ignore',
        timeout: 30_000,
      });
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private asOwner(cmd: string, args: string[]): [string, string[]] {
    if (typeof process.getuid === 'function' && process.getuid() === 0)
      return ['runuser', ['-u', 'postgres', '--', cmd, ...args]];
    return [cmd, args];
  }

  private async ctl(args: string[], timeoutMs: number): Promise<void> {
    const [cmd, argv] = this.asOwner(join(this.bin, 'pg_ctl'), args);
    await run(cmd, argv, { logFile: join(this.dir, 'pg_ctl.log'), timeoutMs });
  }

  async init(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o777);
    if (typeof process.getuid === 'function' && process.getuid() === 0)
      spawnSync('chown', ['postgres', this.dir]);
    if (this.volumeMb > 0) this.volume = await TmpfsVolume.mount(this.data, this.volumeMb, { owner: 'postgres', mode: '0700' });
    const [cmd, argv] = this.asOwner(join(this.bin, 'initdb'), [
      '-D',
      this.data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await run(cmd, argv, { logFile: join(this.dir, 'initdb.log'), timeoutMs: 120_000 });
  }

  async start(): Promise<void> {
    // autovacuum explicitly on, as on any production server (the shared server here runs without it).
    // Checkpoints and every autovacuum run are logged with their timing (the soak's latency is read against them).
    const logging = '-c log_checkpoints=on -c log_autovacuum_min_duration=0';
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=200 -c autovacuum=on ${logging}${this.durable ? '' : ' -c fsync=off'}`;
    await this.ctl(
      ['-D', this.data, '-l', join(this.dir, 'postgres.log'), '-o', opts, '-w', '-t', '60', 'start'],
      90_000,
    );
  }

  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash (recovery on start). */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.ctl(['-D', this.data, '-m', mode, '-w', '-t', '60', 'stop'], 90_000);
  }

  /** Whether the postmaster is running (`pg_ctl status`). */
  running(): boolean {
    const [cmd, argv] = this.asOwner(join(this.bin, 'pg_ctl'), ['-D', this.data, 'status']);
    return spawnSync(cmd, argv, { stdio: 'ignore', timeout: 30_000 }).status === 0;
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    const log = join(this.dir, 'postgres.log');
    if (this.keepLogAs && existsSync(log)) copyFileSync(log, this.keepLogAs);
    await this.volume?.unmount();
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}

/**
 * A small tmpfs mounted at `dir` (the suite runs as root): a volume that `fill()` fills to the last
 * byte, so every later write fails with ENOSPC, and `free()` frees again. Unmounted on exit, whatever happens.
 */
export class TmpfsVolume {
  private readonly unregister: () => void;
  private readonly filler: string;

  private constructor(readonly dir: string) {
    this.filler = join(dir, '.faults-filler');
    this.unregister = onExit(`tmpfs ${dir}`, () => {
      spawnSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 30_000 });
    });
  }

  static async mount(dir: string, sizeMb: number, o: { owner?: string; mode?: string } = {}): Promise<TmpfsVolume> {
    mkdirSync(dir, { recursive: true });
    const ids = o.owner ? ['-u', '-g'].map((f) => spawnSync('id', [f, o.owner as string], { encoding: 'utf8' }).stdout.trim()) : [];
    const opts = [`size=${sizeMb}m`, `mode=${o.mode ?? '0755'}`, ...(ids.length ? [`uid=${ids[0]}`, `gid=${ids[1]}`] : [])];
    await run('mount', ['-t', 'tmpfs', '-o', opts.join(','), 'tmpfs', dir], { timeoutMs: 30_000 });
    return new TmpfsVolume(dir);
  }

  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Writes zeros to a filler file until the volume is full (1 MiB, then 4 KiB writes); returns its size. */
  fill(): number {
    const fd = openSync(this.filler, 'a');
    let total = 0;
    try {
      for (const size of [1 << 20, 4096]) {
        const chunk = Buffer.alloc(size);
        for (;;) {
          try {
            const n = writeSync(fd, chunk);
            total += n;
            if (n < size) break;
          } catch (e) {
            if ((e as { code?: unknown }).code === 'ENOSPC') break;
            throw e;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return total;
  }

  free(): void {
    rmSync(this.filler, { force: true });
  }

  async unmount(): Promise<void> {
    await run('umount', ['-l', this.dir], { timeoutMs: 30_000 }).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}

// ---- service processes ------------------------------------------------------------------------

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service run as a child `node` process, its output appended to a log file. */
export class ServiceProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  private readonly child: ChildProcess;
  private readonly unregister: () => void;
  /** Set before a deliberate kill, so a watchdog can tell it from a crash. */
  expectedExit = false;

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
    readonly httpPort: number,
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(process.execPath, [join(ROOT, script)], {
        cwd: ROOT,
        env,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.unregister = onExit(name, () => {
      if (this.alive) this.child.kill('SIGKILL');
    });
    this.exited = new Promise((resolveExit) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.unregister();
        resolveExit(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /** Waits until GET /health/live answers 200 (the service connected, migrated and consumes). */
  async waitLive(timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (!this.alive)
        throw new Error(
          `${this.name} exited (${JSON.stringify(this.exitInfo)}) before it was live:\n${tail(this.logFile)}`,
        );
      try {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/health/live`, {
          signal: AbortSignal.timeout(2000),
        });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await delay(250);
    }
    throw new Error(`${this.name} was not live within ${timeoutMs} ms:\n${tail(this.logFile)}`);
  }

  /** kill -9: no drain, no goodbye. */
  async kill9(): Promise<void> {
    this.expectedExit = true;
    if (this.alive) this.child.kill('SIGKILL');
    await Promise.race([this.exited, delay(10_000)]);
  }

  /** SIGTERM (drain), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.expectedExit = true;
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const r = await Promise.race([this.exited, delay(timeoutMs).then(() => 'timeout' as const)]);
    if (r === 'timeout') {
      this.child.kill('SIGKILL');
      await Promise.race([this.exited, delay(10_000)]);
    }
  }
}
