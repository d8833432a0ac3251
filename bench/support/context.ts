import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { Client } from 'pg';
import type { BenchConfig } from '../bench.config';
import { inboundTopicConfigEntries } from '../../libs/contracts/src/topics';
import { applyAclPlan, type AclGrant } from '../../libs/platform/src/kafka/kafka-acl.plan';
import { localSaslEnabled } from '../../scripts/kafka-credentials';
import { createTopics, deleteGroups, deleteTopics } from './kafka-tools';
import { listeningPid, type PidSource } from './machine';
import { nativeClientDir } from './native-client';
import { ServiceProcess } from './service-process';
import type { CheckpointCounters } from './stalls';

/** Service settings the bench reports (from the environment, else the service's default). */
export const TUNABLES: Record<string, string> = {
  COMMAND_BATCH_SIZE: '250',
  PARTITIONS_CONSUMED_CONCURRENTLY: '3',
  OUTBOX_RELAY_BATCH_SIZE: '1000',
  OUTBOX_RELAY_IDLE_POLL_MS: '1000',
  DATABASE_POOL_SIZE: '10',
  LOG_LEVEL: 'info',
  NOTIFIER_CONCURRENCY: '32',
  BENCH_SERVICE_NODE_OPTIONS: '',
  // kafkajs, or `native`: the attempt-service's outbox relay on the bench-only native client (bench/native-client)
  KAFKA_CLIENT: 'kafkajs',
};

export function effectiveTunables(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(TUNABLES).map(([k, d]) => [k, env[k] ?? `${d} (default)`]));
}

export interface PostgresCounters {
  commits: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsReturned: number;
  /**
   * WAL position in bytes (pg_current_wal_lsn): server-wide, so on a shared server the per-message
   * figure includes other databases' writes in the window (an upper bound).
   */
  walBytes: number;
}

/** Per message, between two readings of the counters (commits include the relay's and the monitor's own). */
export function postgresPerMessage(
  a: PostgresCounters,
  b: PostgresCounters,
  messages: number,
): PostgresCounters & { messagesPerCommit: number } {
  const per = (x: number) => Math.round((x / messages) * 100) / 100;
  const commits = b.commits - a.commits;
  return {
    commits: per(commits),
    rowsInserted: per(b.rowsInserted - a.rowsInserted),
    rowsUpdated: per(b.rowsUpdated - a.rowsUpdated),
    rowsReturned: per(b.rowsReturned - a.rowsReturned),
    walBytes: Math.round((b.walBytes - a.walBytes) / messages),
    messagesPerCommit: commits > 0 ? Math.round((messages / commits) * 10) / 10 : Number.NaN,
  };
}

/** Everything a phase needs: where things are, the broker and database, and names unique to the run. */
export class BenchContext {
  readonly logsDir: string;
  readonly profilesDir: string;
  private readonly topics: string[] = [];
  private readonly groups: string[] = [];
  private monitor: Client | null = null;
  /** The brokers' JVMs that run on this machine (their CPU is charged to the pipeline). */
  readonly brokerPids: number[];
  /** Replication factor of the run's topics: 3 on a cluster of 3 or more brokers, else 1 (see open()). */
  replicationFactor = 1;
  /** Brokers in the cluster's metadata (see open()). */
  clusterBrokers = 1;

  constructor(
    readonly root: string,
    readonly runId: string,
    readonly cfg: BenchConfig,
    readonly brokers: string,
    readonly kafka: Kafka,
    readonly admin: Admin,
    readonly databaseUrl: string,
  ) {
    this.logsDir = join(root, 'bench/results/logs', runId);
    this.profilesDir = join(root, 'bench/results/profiles', runId);
    mkdirSync(this.logsDir, { recursive: true });
    this.brokerPids = brokers
      .split(',')
      .map((b) => new URL(`kafka://${b.trim()}`))
      .filter((u) => ['127.0.0.1', 'localhost'].includes(u.hostname))
      .map((u) => listeningPid(Number(u.port || 9092)))
      .filter((pid): pid is number => pid !== undefined);
  }

  /**
   * One connection kept open to look up the bench database's backends; the cluster's size, which sets
   * the replication factor of the run's topics (a 3-node cluster: 3, as production; min ISR is the
   * cluster's own setting).
   */
  async open(): Promise<void> {
    // kept only once connected: a failed open leaves no half-open client for later phases to trip on
    const monitor = new Client({ connectionString: this.databaseUrl, application_name: 'bench-monitor' });
    await monitor.connect();
    this.monitor = monitor;
    this.clusterBrokers = (await this.admin.describeCluster()).brokers.length;
    this.replicationFactor = Math.min(3, this.clusterBrokers);
  }

  async close(): Promise<void> {
    await this.monitor?.end().catch(() => undefined);
    this.monitor = null;
  }

  /** PostgreSQL backends (and autovacuum workers) working on the bench database, but the monitor's own. */
  readonly postgresBackends = async (): Promise<number[]> => {
    if (!this.monitor) return [];
    const { rows } = await this.monitor.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.map((r) => r.pid);
  };

  /**
   * VACUUM (ANALYZE) of the bench database, before each measured window: what autovacuum would have
   * done meanwhile on a server that runs it (this machine's shared server may not; the bench never
   * reconfigures it), so the planner knows the tables' sizes and dead rows of earlier windows are gone.
   */
  async vacuum(): Promise<void> {
    await this.monitor?.query('VACUUM (ANALYZE)');
  }

  /**
   * A checkpoint before a measured run, so no run starts with the previous one's dirty pages still to
   * be written (the A/B rounds). Needs the right to CHECKPOINT; without it the run goes on as it is.
   */
  async checkpoint(): Promise<void> {
    await this.monitor?.query('CHECKPOINT').catch(() => undefined);
  }

  /** Cumulative counters of the bench database (pg_stat_database; PostgreSQL flushes them about once a second). */
  async postgresCounters(): Promise<PostgresCounters> {
    if (!this.monitor) return { commits: 0, rowsInserted: 0, rowsUpdated: 0, rowsReturned: 0, walBytes: 0 };
    await this.monitor.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await this.monitor.query<{ c: string; i: string; u: string; r: string; w: string }>(
      `SELECT xact_commit AS c, tup_inserted AS i, tup_updated AS u, tup_returned AS r,
              pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS w
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const r = rows[0];
    return {
      commits: Number(r.c),
      rowsInserted: Number(r.i),
      rowsUpdated: Number(r.u),
      rowsReturned: Number(r.r),
      walBytes: Number(r.w),
    };
  }

  /**
   * PostgreSQL's checkpoints so far (server-wide; see CheckpointCounters): `pg_stat_checkpointer` from 17 on,
   * `pg_stat_bgwriter` before. Null without a monitor connection.
   */
  async checkpointCounters(): Promise<CheckpointCounters | null> {
    if (!this.monitor) return null;
    await this.monitor.query('SELECT pg_stat_clear_snapshot()');
    const v17 = (await this.monitor.query<{ t: string | null }>(`SELECT to_regclass('pg_catalog.pg_stat_checkpointer')::text AS t`)).rows[0].t !== null;
    const { rows } = await this.monitor.query<{ n: string; b: string; w: string; s: string }>(
      v17
        ? 'SELECT num_timed + num_requested AS n, buffers_written AS b, write_time AS w, sync_time AS s FROM pg_stat_checkpointer'
        : 'SELECT checkpoints_timed + checkpoints_req AS n, buffers_checkpoint AS b, checkpoint_write_time AS w, checkpoint_sync_time AS s FROM pg_stat_bgwriter',
    );
    const r = rows[0];
    return { started: Number(r.n), buffersWritten: Number(r.b), writeMs: Math.round(Number(r.w)), syncMs: Math.round(Number(r.s)) };
  }

  /**
   * What a CPU meter watches: the given processes, the bench itself, the database's backends and the
   * broker. The broker may be shared with other users of the machine; its figure is then an upper bound.
   */
  meterSources(processes: Record<string, number>): Record<string, PidSource | undefined> {
    const brokers = this.brokerPids;
    return {
      ...processes,
      bench: process.pid,
      postgres: this.postgresBackends,
      broker: brokers.length === 0 ? undefined : async () => Promise.resolve(brokers),
    };
  }

  /** `.bench-<run id>`, or `.bench-<run id>-<scope>` for a phase that needs names of its own. */
  suffix(scope?: string): string {
    return `.bench-${this.runId}${scope ? `-${scope}` : ''}`;
  }

  /**
   * A topic name unique to this run (and scope), created with the bench's partition count and the
   * cluster's replication factor (and, for a topic the attempt-service consumes, the inbound topic
   * configuration production uses).
   */
  async topic(base: string, o: { inbound?: boolean; scope?: string } = {}): Promise<string> {
    const name = `${base}${this.suffix(o.scope)}`;
    await createTopics(
      this.admin,
      [name],
      this.cfg.partitions,
      o.inbound ? inboundTopicConfigEntries() : [],
      this.replicationFactor,
    );
    this.topics.push(name);
    return name;
  }

  /**
   * LITERAL ACLs for a service child on this run's topics (SPEC §8.4), so each service runs as its own
   * principal (`serviceEnv({ ...kafkaIdentity(principal) })`) as in production. No-op without SASL.
   */
  async grant(principal: string, rights: { read?: string[]; write?: string[] }): Promise<void> {
    if (!localSaslEnabled()) return;
    const topic = (operation: 'READ' | 'WRITE') => (name: string): AclGrant => ({ principal, resource: 'TOPIC', pattern: 'LITERAL', name, operation });
    await applyAclPlan(this.admin, [...(rights.read ?? []).map(topic('READ')), ...(rights.write ?? []).map(topic('WRITE'))]);
  }

  groupId(base: string, scope?: string): string {
    const id = `${base}${this.suffix(scope)}`;
    this.groups.push(id);
    return id;
  }

  /**
   * Deletes the topics and consumer groups of one scope now (an A/B run's, so later runs do not sit on
   * a broker holding every earlier run's records), and forgets them.
   */
  async dropScope(scope: string): Promise<void> {
    const mine = (name: string) => name.endsWith(this.suffix(scope));
    const [topics, groups] = [this.topics.filter(mine), this.groups.filter(mine)];
    await deleteGroups(this.admin, groups);
    this.groups.splice(0, this.groups.length, ...this.groups.filter((g) => !mine(g)));
    try {
      await deleteTopics(this.admin, topics);
      this.topics.splice(0, this.topics.length, ...this.topics.filter((t) => !mine(t)));
    } catch (e) {
      // left in the list: the end of the run tries again
      process.stderr.write(`[bench] could not delete ${topics.join(', ')} yet: ${String(e)}\n`);
    }
  }

  get createdTopics(): string[] {
    return [...this.topics];
  }

  get createdGroups(): string[] {
    return [...this.groups];
  }

  /**
   * The environment of a service child: the bench's own environment (so COMMAND_BATCH_SIZE and the
   * like pass through), with the connections, topics, groups and ports of this run on top.
   */
  serviceEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      KAFKA_BROKERS: this.brokers,
      PROVIDERS_FILE: join(this.root, 'config/providers.json'),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      // The benchmark never calls the attempt-service's read API, so it is off, explicitly.
      READ_API_AUTH: 'off',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      // V8 flags for the services only (e.g. --max-semi-space-size=8), not for the bench itself
      // KAFKA_CLIENT=native: the bench-only package, unless the environment names another folder
      ...(process.env.KAFKA_CLIENT === 'native'
        ? { KAFKA_NATIVE_CLIENT_DIR: process.env.KAFKA_NATIVE_CLIENT_DIR ?? nativeClientDir(this.root) }
        : {}),
      ...(process.env.BENCH_SERVICE_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS }
        : {}),
      ...extra,
    };
  }

  /**
   * Starts `<codeRoot>/dist/<script>` as a child (this checkout's, or an A/B base's built folder); with
   * `profile`, under the SIGUSR2-toggled CPU profiler.
   */
  startService(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    profile = false,
    codeRoot: string = this.root,
  ): ServiceProcess {
    // Every collection as a line in the service's log: a latency step reads its own (stalls.ts).
    const nodeArgs: string[] = ['--trace-gc'];
    if (profile) {
      mkdirSync(this.profilesDir, { recursive: true });
      nodeArgs.push(
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        join(this.root, 'bench/support/cpu-profile.preload.ts'),
      );
      env = {
        ...env,
        BENCH_CPU_PROFILE_DIR: this.profilesDir,
        TS_NODE_PROJECT: join(this.root, 'tsconfig.json'),
      };
    }
    return ServiceProcess.start({
      name,
      script: join(codeRoot, script),
      nodeArgs,
      env,
      cwd: codeRoot,
      logFile: join(this.logsDir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.log`),
    });
  }

  /**
   * Stops the profiler of a service started with `profile` (SIGUSR2, see cpu-profile.preload.ts) and
   * names the profile it writes `<profiles>/<file>.cpuprofile`.
   */
  async collectProfile(svc: ServiceProcess, file: string): Promise<string> {
    const before = new Set(existsSync(this.profilesDir) ? readdirSync(this.profilesDir) : []);
    svc.signal('SIGUSR2');
    const end = performance.now() + 30_000;
    for (;;) {
      const fresh = readdirSync(this.profilesDir).filter(
        (f) => f.startsWith(`${svc.pid}-`) && f.endsWith('.cpuprofile') && !before.has(f),
      );
      if (fresh.length > 0) {
        const target = join(this.profilesDir, `${file}.cpuprofile`);
        renameSync(join(this.profilesDir, fresh[0]), target);
        return target;
      }
      if (performance.now() > end) throw new Error(`no CPU profile from ${svc.name} within 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A bench helper script (TypeScript) run as a child process through ts-node. */
  startHelper(name: string, script: string, env: NodeJS.ProcessEnv): ServiceProcess {
    return ServiceProcess.start({
      name,
      script: join(this.root, script),
      nodeArgs: ['-r', 'ts-node/register/transpile-only'],
      env: { ...env, TS_NODE_PROJECT: join(this.root, 'tsconfig.json') },
      cwd: this.root,
      logFile: join(this.logsDir, `${name.replace(/[^a-z0-9-]+/gi, '-')}.log`),
    });
  }
}
