import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { loadNotifierConfig } from '../../apps/notifier/src/config/notifier.config';
import { createNotifierApp, startNotifierApp } from '../../apps/notifier/src/notifier.app';
import { startAttemptService, type RunningAttemptService } from '../support/attempt-service.fixture';
import { expectEventually } from '../support/expect-eventually';
import { connectedProducer, createTestTopics, type TestTopics } from '../support/kafka-fixture';
import { testIdentity, TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';
import { PROVIDERS_FILE, silentLogger } from '../notifier/notifier.fixture';

const ROOT = join(__dirname, '..', '..');
const RULES_FILE = join(ROOT, 'ops', 'prometheus', 'alerts.yml');
/**
 * Every metric ops/prometheus/alerts.yml reads (besides `up` and `proctoring_ready`, checked apart,
 * and `proctoring_outbox_relay_blocked`, which only appears once the relay was blocked).
 */
const RULE_METRICS = [
  'proctoring_consumer_lag',
  'proctoring_outbox_oldest_age_seconds',
  'proctoring_outbox_parked',
  'proctoring_commands_total',
  'proctoring_consumer_restarts_total',
  'notifier_consumer_lag',
  'notifier_emails_total',
  'notifier_ledger_backlog',
  'notifier_consumer_restarts_total',
];

interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * The alert rules of ops/prometheus/alerts.yml in a real Prometheus (Debian's package, installed by
 * scripts/ensure-prometheus.sh when missing) scraping both services, in this process, every second.
 * The rules are loaded unchanged; the alert provoked (a dead-lettered command) has `for: 0m`.
 */
describe('Prometheus alert rules against both running services', () => {
  let topics: TestTopics;
  let attemptService: RunningAttemptService | null = null;
  let notifier: INestApplication | null = null;
  let producer: Producer | null = null;
  let prometheus: ChildProcess | null = null;
  let prometheusLog = '';
  let promUrl: string;
  const tempDir = mkdtempSync(join(tmpdir(), 'proctoring-prometheus-'));
  const schema = `notifier_t_${randomBytes(6).toString('hex')}`;

  async function query(expr: string): Promise<PromSample[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; data: { result: PromSample[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
    return body.data.result;
  }

  async function alerts(): Promise<PromAlert[]> {
    const res = await fetch(`${promUrl}/api/v1/alerts`);
    const body = (await res.json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts;
  }

  beforeAll(async () => {
    execFileSync('bash', [join(ROOT, 'scripts', 'ensure-prometheus.sh')], { stdio: 'inherit' });
    topics = await createTestTopics('prom');
    producer = await connectedProducer();
    attemptService = await startAttemptService(topics, { CONSUMER_LAG_INTERVAL_MS: '1000' });

    const config = loadNotifierConfig({
      DATABASE_URL: TEST_DATABASE_URL,
      KAFKA_BROKERS: TEST_KAFKA_BROKERS,
      ...testIdentity('notifier'),
      NOTIFIER_GROUP_ID: `notifier.test-${randomUUID().slice(0, 8)}`,
      TOPIC_ATTEMPT_EVENTS: topics.attemptEvents,
      TOPIC_NOTIFIER_DLQ: topics.notifierDlq,
      NOTIFIER_CONSUMER_LAG_INTERVAL_MS: '1000',
      PROVIDERS_FILE,
      EMAIL_OUTBOX_DIR: join(tempDir, 'emails'),
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    notifier = await createNotifierApp(config, silentLogger(), { schema, shutdownHooks: false });
    await startNotifierApp(notifier, config);
    const notifierPort = (notifier.getHttpServer() as { address(): AddressInfo }).address().port;

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const configFile = join(tempDir, 'prometheus.yml');
    writeFileSync(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES_FILE)}`,
        'scrape_configs:',
        '  - job_name: attempt-service',
        '    static_configs:',
        `      - targets: ['${new URL(attemptService.url).host}']`,
        '  - job_name: notifier',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${notifierPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(tempDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog = (prometheusLog + chunk.toString('utf8')).slice(-20_000);
    });
    await expectEventually(
      async () => {
        if (prometheus?.exitCode !== null)
          throw new Error(`prometheus exited ${prometheus?.exitCode}:\n${prometheusLog}`);
        expect((await fetch(`${promUrl}/-/ready`)).status).toBe(200);
      },
      30_000,
      200,
    );
  });

  afterAll(async () => {
    await stopProcess(prometheus);
    await notifier?.close();
    await attemptService?.stop();
    await producer?.disconnect();
    rmSync(tempDir, { recursive: true, force: true });
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('loads every rule and scrapes both services, ready on every check', async () => {
    const res = await fetch(`${promUrl}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(13);
    expect(rules.filter((r) => r.health === 'err')).toEqual([]);

    await expectEventually(
      async () => {
        const up = await query('up');
        expect(up.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([
          ['attempt-service', '1'],
          ['notifier', '1'],
        ]);
        const ready = await query('proctoring_ready');
        expect(ready.map((s) => `${s.metric.job} ${s.metric.check}=${s.value[1]}`).sort()).toEqual([
          'attempt-service consumer=1',
          'attempt-service database=1',
          'attempt-service kafka=1',
          'attempt-service outbox=1',
          'notifier consumer=1',
          'notifier database=1',
          'notifier worker=1',
        ]);
        // the metrics the rules read, under the names the rules use
        const missing: string[] = [];
        for (const name of RULE_METRICS) if ((await query(name)).length === 0) missing.push(name);
        expect(missing).toEqual([]);
        // one metrics set-up in both (libs/platform/src/metrics): process metrics under one name, labelled by service
        const cpu = await query('process_cpu_seconds_total');
        expect(cpu.map((s) => `${s.metric.job} ${s.metric.service}`).sort()).toEqual(['attempt-service attempt-service', 'notifier notifier']);
      },
      45_000,
      500,
    );
    expect((await alerts()).filter((a) => a.state === 'firing')).toEqual([]);
  });

  it('fires AttemptServiceCommandsDeadLettered when a command is dead-lettered', async () => {
    // Prometheus must have seen the counter at 0 first: increase() needs the step from 0 to 1.
    await expectEventually(
      async () => {
        const samples = await query(
          'proctoring_commands_total{job="attempt-service", outcome="dead-lettered"}',
        );
        expect(samples.map((s) => s.value[1])).toEqual(['0']);
      },
      20_000,
      250,
    );
    expect((await alerts()).map((a) => a.labels.alertname)).not.toContain(
      'AttemptServiceCommandsDeadLettered',
    );

    await producer!.send({
      topic: topics.commands,
      messages: [{ key: 'prom-test', value: 'not JSON at all' }],
    });

    const alert = await expectEventually(
      async () => {
        const found = (await alerts()).find(
          (a) => a.labels.alertname === 'AttemptServiceCommandsDeadLettered',
        );
        expect(found?.state).toBe('firing');
        return found!;
      },
      30_000,
      250,
    );
    expect(alert.labels).toEqual({
      alertname: 'AttemptServiceCommandsDeadLettered',
      severity: 'warning',
      service: 'attempt-service',
    });
    expect(alert.annotations.summary).toMatch(
      /^attempt-service dead-lettered [\d.]+ command\(s\) in 15 minutes$/,
    );
    expect(alert.annotations.runbook).toBe('docs/operations.md#attemptservicecommandsdeadlettered');
  });

  it('marks a stopped service down: ProctoringTargetDown pending (it fires after its 2 minutes: promtool tests)', async () => {
    await notifier!.close();
    notifier = null;
    const alert = await expectEventually(
      async () => {
        const found = (await alerts()).find((a) => a.labels.alertname === 'ProctoringTargetDown');
        expect(found?.state).toBe('pending');
        return found!;
      },
      20_000,
      250,
    );
    expect(alert.labels).toMatchObject({ job: 'notifier', severity: 'critical' });
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
