import { existsSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { providerReviewTopics } from '../../libs/contracts/src/topics';
import { postgresPerMessage, type BenchContext } from '../support/context';
import { TopicObserver, type ObservedEvent } from '../support/event-observer';
import { connectProducer, kafkaIdentity, produceAll, waitForGroupMember } from '../support/kafka-tools';
import {
  cpuBudget,
  CpuMeter,
  machineInfo,
  type CpuBudget,
  type CpuUsage,
  type ProcessMemory,
} from '../support/machine';
import { say, sleep, waitUntil } from '../support/progress';
import type { ServiceProcess } from '../support/service-process';
import { ArrivalLog, fmtInt, round, summarizeLatencies, type LatencySummary } from '../support/stats';
import {
  assertCycleIsApplied,
  createAttemptCommands,
  registerExamCommands,
  STATUS_CYCLE,
  StatusLoad,
  type LearnerSet,
  type OutgoingCommand,
} from '../support/workload';

const SERVICE_SCRIPT = 'dist/apps/attempt-service/src/main.js';

export interface SaturationResult {
  commands: number;
  /** Steady-state AttemptStatusChanged per second (5th → 95th percentile of arrivals). */
  perSecond: number | null;
  windowMs: number | null;
  /** Starting the process → its consumer group is stable. */
  startToReadyMs: number;
  /** RSS when the consumer joined (before the backlog), for comparison with the peak. */
  readyRssMb: number | null;
  /** Starting the process → the last AttemptStatusChanged observed (N / this = rate including start-up). */
  wallMs: number;
  /** From the service joining its group to the last event observed. */
  cpu: CpuUsage | null;
  /** CPU per command of the service, its database backends, the broker and the bench: less sensitive to other load than the rate. */
  cpuBudget: CpuBudget | null;
  /** Database work per command (pg_stat_database deltas; commits include the relay's). */
  postgres: PostgresPerMessage | null;
  /** VmHWM right after the saturation run. */
  servicePeakRssMb: number | null;
}

export interface LatencyResult {
  offeredPerSecond: number;
  /** What the bench actually produced: commands / (last send − first send). */
  producedPerSecond: number;
  commands: number;
  observed: number;
  missing: number;
  latency: LatencySummary;
  /**
   * The same latency split at the event's `time` (the service's clock when it began the batch's
   * transaction): produce → batch started (Kafka delivery and consumer queueing), and batch started →
   * observed (transaction, commit, outbox relay, Kafka again). Millisecond resolution.
   */
  breakdown: { produceToBatchStartMs: LatencySummary; batchStartToObservedMs: LatencySummary };
  cpu: CpuUsage;
  cpuBudget: CpuBudget | null;
  postgres: PostgresPerMessage | null;
}

export type PostgresPerMessage = ReturnType<typeof postgresPerMessage>;

export interface EndToEndResult {
  learners: number;
  exams: number;
  statusCycle: string[];
  setup: { commands: number; ms: number; via: 'commands' };
  saturation: SaturationResult;
  latency: LatencyResult[];
  rejections: number;
  rejectionSamples: string[];
  /** Peak RSS of the attempt-service process that ran saturation and latency. */
  servicePeakRssMb: number | null;
  setupServicePeakRssMb: number | null;
  profiles: Record<string, string>;
}

/**
 * (c) End to end, through the compiled attempt-service run as a child process:
 *  1. set-up through the real path: RegisterExam and CreateAttempt commands, each wave waited for
 *     through its CommandProcessed outcomes, on a first service process;
 *  2. saturation: that process stopped, N UpdateAttemptStatus commands pre-loaded, a fresh process
 *     started on the backlog, timed until every AttemptStatusChanged is observed;
 *  3. latency at fixed offered rates on the same (warm) process: observed time of each command's
 *     AttemptStatusChanged − the time the bench handed the command to its producer (= the command's
 *     `time`), matched by the event's `causationid`.
 */
/** The providers of config/providers.json (the service's PROVIDERS_FILE in the bench). */
const BENCH_PROVIDERS = Object.keys(
  (JSON.parse(readFileSync(join(__dirname, '../../config/providers.json'), 'utf8')) as { providers?: Record<string, unknown> }).providers ?? {},
);

export async function runEndToEnd(ctx: BenchContext): Promise<EndToEndResult> {
  assertCycleIsApplied();
  const cfg = ctx.cfg.endToEnd;
  const learners: LearnerSet = { count: cfg.learners, exams: cfg.exams, runId: ctx.runId };
  const topics = {
    commands: await ctx.topic('proctoring.attempt.commands.v1', { inbound: true }),
    attemptEvents: await ctx.topic('proctoring.attempt.events.v1'),
    credentialEvents: await ctx.topic('proctoring.credential.events.v1'),
    commandsDlq: await ctx.topic('proctoring.attempt.commands.v1.dlq'),
  };
  // the service consumes each provider's review topic too and refuses to start without it (SPEC §8.4)
  const reviewsSuffix = `.bench-${ctx.runId}`;
  const reviewTopics: string[] = [];
  for (const p of BENCH_PROVIDERS) {
    const t = providerReviewTopics(p);
    reviewTopics.push(await ctx.topic(t.reviews, { inbound: true }), await ctx.topic(t.outcomes));
  }
  const group = ctx.groupId('attempt-service');
  await ctx.grant('attempt-service', {
    read: [topics.commands, ...reviewTopics.filter((_, i) => i % 2 === 0)],
    write: [topics.attemptEvents, topics.credentialEvents, topics.commandsDlq, ...reviewTopics.filter((_, i) => i % 2 === 1)],
  });
  const env = ctx.serviceEnv({
    ...kafkaIdentity('attempt-service'),
    TOPIC_COMMANDS: topics.commands,
    TOPIC_ATTEMPT_EVENTS: topics.attemptEvents,
    TOPIC_CREDENTIAL_EVENTS: topics.credentialEvents,
    TOPIC_COMMANDS_DLQ: topics.commandsDlq,
    TOPIC_REVIEWS_SUFFIX: reviewsSuffix,
    ATTEMPT_SERVICE_GROUP_ID: group,
    REDRIVE_GROUP_ID: ctx.groupId('ops.redrive'),
  });

  const observer = new TopicObserver(
    ctx.kafka,
    topics.attemptEvents,
    ctx.groupId('bench-events-observer'),
    true,
  );
  await observer.start();
  const producer = await connectProducer(ctx.kafka);
  const rejections: string[] = [];
  let rejectionCount = 0;
  const noteRejection = (e: ObservedEvent) => {
    rejectionCount++;
    if (rejections.length < 5) {
      const d = (
        JSON.parse(e.value.toString('utf8')) as {
          data?: { commandType?: string; reason?: string; message?: string };
        }
      ).data;
      rejections.push(`${d?.commandType} ${d?.reason}: ${d?.message}`);
    }
  };

  let service: ServiceProcess | null = null;
  const profiles: Record<string, string> = {};
  try {
    // 1. set-up through commands
    service = ctx.startService('attempt-service-setup', SERVICE_SCRIPT, env);
    const setupStart = performance.now();
    const exams = registerExamCommands(learners);
    const attempts = createAttemptCommands(learners);
    await sendAndAwaitOutcomes(
      ctx,
      producer,
      topics.commands,
      observer,
      service,
      exams,
      'RegisterExam',
      noteRejection,
    );
    await sendAndAwaitOutcomes(
      ctx,
      producer,
      topics.commands,
      observer,
      service,
      attempts,
      'CreateAttempt',
      noteRejection,
    );
    const setupMs = performance.now() - setupStart;
    say(
      `(c) set-up: ${exams.length} exams and ${fmtInt(attempts.length)} attempts through commands in ${(setupMs / 1000).toFixed(1)} s`,
    );
    if (rejectionCount > 0) throw new Error(`set-up commands were rejected: ${rejections.join('; ')}`);
    const setupMemory = await stopService(service);
    service = null;

    // 2. saturation
    const load = new StatusLoad(learners);
    const n = cfg.saturationCommands;
    const preload = Array.from({ length: n }, () => load.nextCommand());
    const expected = new Set(preload.map((c) => c.id));
    say(
      `(c) saturation: pre-loading ${fmtInt(n)} UpdateAttemptStatus commands (${fmtInt(cfg.learners)} learners, created→${STATUS_CYCLE.join('→')}→…)`,
    );
    await produceAll(
      producer,
      topics.commands,
      preload.map((c) => c.message),
      { chunk: 2000 },
    );
    await ctx.vacuum();
    const arrivals = new ArrivalLog();
    observer.setListener((e, at) => {
      if (e.type === 'AttemptStatusChanged' && e.causationId !== undefined && expected.delete(e.causationId))
        arrivals.add(1, at);
      else if (e.type === 'CommandRejected') noteRejection(e);
    });
    const svc = ctx.startService('attempt-service', SERVICE_SCRIPT, env, ctx.cfg.cpuProfile);
    service = svc;
    const startToReadyMs = await waitForGroupMember(ctx.admin, group, 60_000, svc);
    const readyRssMb = svc.memory()?.rssMb ?? null;
    if (ctx.cfg.cpuProfile) svc.signal('SIGUSR2');
    const meter = await CpuMeter.start(ctx.meterSources({ service: svc.pid }));
    const pg0 = await ctx.postgresCounters();
    say(
      `(c) attempt-service joined its group ${(startToReadyMs / 1000).toFixed(1)} s after start; draining the backlog`,
    );
    await waitUntil('every AttemptStatusChanged of the backlog', () => arrivals.total >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => {
        svc.assertAlive();
        if (rejectionCount > 0) throw new Error(`commands were rejected: ${rejections.join('; ')}`);
      },
      line: () => `(c) saturation: ${fmtInt(arrivals.total)}/${fmtInt(n)} AttemptStatusChanged observed`,
    });
    const satCpu = await meter.stop();
    await sleep(1100); // PostgreSQL publishes its counters about once a second
    const pg1 = await ctx.postgresCounters();
    if (ctx.cfg.cpuProfile) profiles.saturation = await collectProfile(ctx, svc, 'saturation');
    const rate = arrivals.steadyRate(n);
    const saturation: SaturationResult = {
      commands: n,
      perSecond: rate ? round(rate.perSecond) : null,
      windowMs: rate ? round(rate.windowMs) : null,
      startToReadyMs: round(startToReadyMs),
      readyRssMb,
      wallMs: round((arrivals.last ?? performance.now()) - svc.spawnedAt),
      cpu: satCpu,
      cpuBudget: cpuBudget(satCpu, n, machineInfo().cores),
      postgres: postgresPerMessage(pg0, pg1, n),
      servicePeakRssMb: svc.memory()?.peakRssMb ?? null,
    };
    say(`(c) saturation: ${fmtInt(saturation.perSecond)} commands/s`);

    // 3. latency at fixed offered rates
    const latency: LatencyResult[] = [];
    for (const offered of cfg.rates) {
      await ctx.vacuum();
      await sleep(1000);
      if (ctx.cfg.cpuProfile) svc.signal('SIGUSR2');
      latency.push(
        await runAtRate(ctx, producer, topics.commands, observer, svc, load, offered, noteRejection),
      );
      if (ctx.cfg.cpuProfile)
        profiles[`latency-${offered}`] = await collectProfile(ctx, svc, `latency-${offered}`);
      if (rejectionCount > 0) throw new Error(`commands were rejected: ${rejections.join('; ')}`);
    }
    const memory = await stopService(svc);
    service = null;
    return {
      learners: cfg.learners,
      exams: cfg.exams,
      statusCycle: [...STATUS_CYCLE],
      setup: { commands: exams.length + attempts.length, ms: round(setupMs), via: 'commands' },
      saturation,
      latency,
      rejections: rejectionCount,
      rejectionSamples: rejections,
      servicePeakRssMb: memory?.peakRssMb ?? null,
      setupServicePeakRssMb: setupMemory?.peakRssMb ?? null,
      profiles,
    };
  } finally {
    observer.setListener(null);
    if (service) await service.stop();
    await producer.disconnect();
    await observer.stop();
  }
}

async function stopService(svc: ServiceProcess): Promise<ProcessMemory | null> {
  const memory = svc.memory();
  const t0 = performance.now();
  const exit = await svc.stop();
  const how =
    exit.code === 0 || exit.signal === 'SIGTERM'
      ? 'stopped'
      : `exited with code ${String(exit.code)} signal ${String(exit.signal)}`;
  say(`(c) ${svc.name} ${how} ${((performance.now() - t0) / 1000).toFixed(1)} s after SIGTERM`);
  return memory;
}

/** Sends a wave of set-up commands and waits until each has its CommandProcessed or CommandRejected. */
async function sendAndAwaitOutcomes(
  ctx: BenchContext,
  producer: Producer,
  topic: string,
  observer: TopicObserver,
  service: ServiceProcess,
  commands: OutgoingCommand[],
  what: string,
  onRejected: (e: ObservedEvent) => void,
): Promise<void> {
  const waiting = new Set(commands.map((c) => c.id));
  observer.setListener((e) => {
    if (e.causationId === undefined || !waiting.has(e.causationId)) return;
    if (e.type === 'CommandProcessed') waiting.delete(e.causationId);
    else if (e.type === 'CommandRejected') {
      waiting.delete(e.causationId);
      onRejected(e);
    }
  });
  await produceAll(
    producer,
    topic,
    commands.map((c) => c.message),
    { chunk: 1000 },
  );
  await waitUntil(`the outcomes of ${commands.length} ${what} commands`, () => waiting.size === 0, {
    timeoutMs: ctx.cfg.phaseTimeoutMs,
    check: () => service.assertAlive(),
    line: () =>
      `(c) set-up: ${fmtInt(commands.length - waiting.size)}/${fmtInt(commands.length)} ${what} outcomes`,
  });
  observer.setListener(null);
}

/** Produces at `offered` commands/s for the configured time, then waits for every AttemptStatusChanged. */
async function runAtRate(
  ctx: BenchContext,
  producer: Producer,
  topic: string,
  observer: TopicObserver,
  svc: ServiceProcess,
  load: StatusLoad,
  offered: number,
  onRejected: (e: ObservedEvent) => void,
): Promise<LatencyResult> {
  const seconds = ctx.cfg.endToEnd.rateSeconds;
  const total = offered * seconds;
  const sentAt = new Map<string, { perf: number; epoch: number }>();
  const latencies: number[] = [];
  const toBatchStart: number[] = [];
  const afterBatchStart: number[] = [];
  observer.setListener((e, at) => {
    if (e.type === 'AttemptStatusChanged' && e.causationId !== undefined) {
      const t = sentAt.get(e.causationId);
      if (t !== undefined) {
        sentAt.delete(e.causationId);
        const total = at - t.perf;
        latencies.push(total);
        const applied = e.time === undefined ? Number.NaN : Date.parse(e.time);
        if (!Number.isNaN(applied)) {
          toBatchStart.push(applied - t.epoch);
          afterBatchStart.push(total - (applied - t.epoch));
        }
      }
    } else if (e.type === 'CommandRejected') onRejected(e);
  });
  say(`(c) latency: offering ${fmtInt(offered)} commands/s for ${seconds} s`);
  const meter = await CpuMeter.start(ctx.meterSources({ service: svc.pid }));
  const pg0 = await ctx.postgresCounters();
  const t0 = performance.now();
  let sent = 0;
  let lastSend = t0;
  let nextReport = t0 + 1000;
  while (sent < total) {
    svc.assertAlive();
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - t0) * offered) / 1000) + 1) - sent;
    if (due > 0) {
      const time = new Date();
      const batch = Array.from({ length: due }, () => load.nextCommand(time));
      const stamp = { perf: performance.now(), epoch: Date.now() };
      for (const c of batch) sentAt.set(c.id, stamp);
      await producer.send({ topic, acks: -1, messages: batch.map((c) => c.message) });
      sent += due;
      lastSend = stamp.perf;
    }
    if (now >= nextReport) {
      nextReport += 1000;
      const recent = latencies.slice(-offered);
      const s = summarizeLatencies(recent);
      say(
        `(c) @${fmtInt(offered)}/s: ${fmtInt(sent)}/${fmtInt(total)} sent, ${fmtInt(latencies.length)} observed, last second p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms`,
      );
    }
    await sleep(2);
  }
  const producedPerSecond = sent / Math.max(0.001, (lastSend - t0) / 1000);
  const drainEnd = performance.now() + ctx.cfg.endToEnd.drainTimeoutMs;
  while (sentAt.size > 0 && performance.now() < drainEnd && svc.alive) await sleep(20);
  const cpu = await meter.stop();
  observer.setListener(null);
  await sleep(1100);
  const pg1 = await ctx.postgresCounters();
  const summary = summarizeLatencies(latencies);
  const result: LatencyResult = {
    offeredPerSecond: offered,
    producedPerSecond: round(producedPerSecond),
    commands: total,
    observed: latencies.length,
    missing: sentAt.size,
    latency: summary,
    breakdown: {
      produceToBatchStartMs: summarizeLatencies(toBatchStart),
      batchStartToObservedMs: summarizeLatencies(afterBatchStart),
    },
    cpu,
    // CPU over the whole window (producing and draining) divided by the commands of the window
    cpuBudget: cpuBudget(cpu, total, machineInfo().cores),
    postgres: postgresPerMessage(pg0, pg1, total),
  };
  say(
    `(c) @${fmtInt(offered)}/s: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, p99 ${summary.p99Ms} ms${result.missing ? `, ${result.missing} missing` : ''}` +
      ` (produce → batch start p50 ${result.breakdown.produceToBatchStartMs.p50Ms} ms, batch start → observed p50 ${result.breakdown.batchStartToObservedMs.p50Ms} ms)`,
  );
  return result;
}

/** Stops the profiler in the service (SIGUSR2) and renames the profile it writes to `<label>.cpuprofile`. */
async function collectProfile(ctx: BenchContext, svc: ServiceProcess, label: string): Promise<string> {
  const before = new Set(existsSync(ctx.profilesDir) ? readdirSync(ctx.profilesDir) : []);
  svc.signal('SIGUSR2');
  const end = performance.now() + 30_000;
  for (;;) {
    const fresh = readdirSync(ctx.profilesDir).filter(
      (f) => f.startsWith(`${svc.pid}-`) && f.endsWith('.cpuprofile') && !before.has(f),
    );
    if (fresh.length > 0) {
      const target = join(ctx.profilesDir, `attempt-service-${label}.cpuprofile`);
      renameSync(join(ctx.profilesDir, fresh[0]), target);
      return target;
    }
    if (performance.now() > end) throw new Error(`no CPU profile from ${svc.name} within 30 s`);
    await sleep(100);
  }
}
