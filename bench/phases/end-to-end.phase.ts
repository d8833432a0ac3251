import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { providerReviewTopics } from '../../libs/contracts/src/topics';
import { postgresPerMessage, type BenchContext } from '../support/context';
import { TopicObserver, type ObservedEvent } from '../support/event-observer';
import type { EndToEndCounts } from '../bench.config';
import {
  connectProducer,
  kafkaIdentity,
  produceAll,
  waitForGroupMember,
  waitForGroupMembers,
} from '../support/kafka-tools';
import {
  cpuBudget,
  CpuMeter,
  machineInfo,
  type CpuBudget,
  type CpuUsage,
  type ProcessMemory,
} from '../support/machine';
import { say, sleep, waitUntil } from '../support/progress';
import { StallWatch, type StepStalls } from '../support/stalls';
import type { CodeUnderTest } from '../support/base-code';
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
  /** What may have stopped the step's commands: collections, checkpoints, each second's p99. */
  stalls: StepStalls;
}

export type PostgresPerMessage = ReturnType<typeof postgresPerMessage>;

/**
 * One scaling run: `instances` attempt-service processes in one consumer group drain a backlog of
 * `commands`, produced once the group is stable with every instance (so no rebalance during the run).
 */
export interface ScalingResult {
  instances: number;
  commands: number;
  /** Steady-state AttemptStatusChanged per second (5th → 95th percentile of arrivals). */
  perSecond: number | null;
  windowMs: number | null;
  /** Starting the processes → the group is stable with every instance. */
  startToStableMs: number;
  /** From the group being stable to the last event observed; `instance-<i>` per process. */
  cpu: CpuUsage;
  /** Per participant (each instance, postgres, broker, bench); the pipeline sum and CPU-bound ceiling. */
  cpuBudget: CpuBudget | null;
  /** The instances' CPU per command, summed: the figure to project capacity from. */
  serviceMsPerCommand: number | null;
  /** Cores each instance used over the window (the outbox relay runs on one of them: SPEC §4, one leader). */
  instanceCores: number[];
  /** What each instance did, from its own log ("batch applied" lines; null at LOG_LEVEL above info). */
  instanceWork: InstanceWork[];
  /**
   * The split of the service's CPU, when one instance led the relay and another did not: consuming
   * (parse, rules, transaction) per command from the non-leaders' CPU ÷ their commands, and the
   * relay's share per command = (leader's CPU − its own commands × that) ÷ all commands.
   */
  split: { consumeMsPerCommand: number; relayMsPerCommand: number } | null;
  postgres: PostgresPerMessage | null;
  peakRssMb: (number | null)[];
}

export interface EndToEndResult {
  /** `c`: 2,000 learners, 30 commands each; `e`: 60,000 learners, one command each per wave. */
  phase: EndToEndPhase;
  /** The code of an A/B round (absent: this checkout's). */
  code?: { label: CodeUnderTest['label']; commit: string };
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
  /** `--instances`: one entry per instance count, in the order given. */
  scaling: ScalingResult[];
}

export type EndToEndPhase = 'c' | 'e';

export interface InstanceWork {
  /** Commands of the "batch applied" lines in its log; null when the log has none (LOG_LEVEL=warn). */
  commands: number | null;
  partitions: number[];
  /** It logged "outbox relay is the leader" before the measured window ended. */
  relayLeader: boolean;
  cpuSeconds: number;
}

/**
 * Reads a service's pino log for the commands it applied, its partitions and whether it led the relay
 * before `untilEpochMs` (an instance still shutting down may take the lock another one released).
 */
function instanceWork(svc: ServiceProcess, cpuSeconds: number, untilEpochMs: number): InstanceWork {
  let commands = 0;
  let batches = 0;
  let relayLeader = false;
  const partitions = new Set<number>();
  let text = '';
  try {
    text = readFileSync(svc.logFile, 'utf8');
  } catch {
    // no log: nothing known
  }
  for (const line of text.split('\n')) {
    const leaderLine = line.includes('"outbox relay is the leader"');
    if (!leaderLine && !line.includes('"batch applied"')) continue;
    try {
      const entry = JSON.parse(line) as { time?: string; commands?: number; partition?: number };
      if (leaderLine) {
        if (!(Date.parse(entry.time ?? '') > untilEpochMs)) relayLeader = true;
        continue;
      }
      commands += entry.commands ?? 0;
      batches++;
      if (entry.partition !== undefined) partitions.add(entry.partition);
    } catch {
      // not a JSON line
    }
  }
  return {
    commands: batches > 0 ? commands : null,
    partitions: [...partitions].sort((a, b) => a - b),
    relayLeader,
    cpuSeconds,
  };
}

/** Consuming and relaying CPU per command, from a leader and at least one non-leader that did work. */
function splitCpu(work: InstanceWork[], total: number): ScalingResult['split'] {
  const leader = work.find((w) => w.relayLeader);
  const others = work.filter((w) => !w.relayLeader && w.commands !== null && w.commands > 0);
  if (!leader || leader.commands === null || others.length === 0 || total <= 0) return null;
  const consume =
    (others.reduce((a, w) => a + w.cpuSeconds, 0) * 1000) / others.reduce((a, w) => a + (w.commands ?? 0), 0);
  const relay = (leader.cpuSeconds * 1000 - consume * leader.commands) / total;
  return { consumeMsPerCommand: round(consume, 3), relayMsPerCommand: round(relay, 3) };
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

/** One end-to-end run among several of a phase: the code it starts and the names of its own. */
export interface EndToEndRunOptions {
  /** Topics, groups, learners and logs of its own (a phase run more than once in a bench run). */
  scope?: string;
  /** Learners, exams and courses named by this instead of `scope` (the two sides of an A/B round share them). */
  learnerScope?: string;
  /** The code whose `dist/` it starts; this checkout's by default. */
  code?: CodeUnderTest;
  /** Only saturation and latency: no CPU profile, no --instances runs (the A/B rounds). */
  plain?: boolean;
}

export async function runEndToEnd(
  ctx: BenchContext,
  phase: EndToEndPhase = 'c',
  opts: EndToEndRunOptions = {},
): Promise<EndToEndResult> {
  assertCycleIsApplied();
  const cfg: EndToEndCounts = phase === 'c' ? ctx.cfg.endToEnd : ctx.cfg.highCardinality;
  // (c) keeps the names it always had; (e) and the A/B rounds run on topics, groups, exams and learners of their own
  const scope = opts.scope ?? (phase === 'c' ? undefined : phase);
  const codeRoot = opts.code?.root;
  const profile = ctx.cfg.cpuProfile && !opts.plain;
  const tag = `(${phase})`;
  const processName = (role: string) => ['attempt-service', scope, role].filter(Boolean).join('-');
  const learners: LearnerSet = {
    count: cfg.learners,
    exams: cfg.exams,
    runId: (opts.learnerScope ?? scope) ? `${ctx.runId}-${opts.learnerScope ?? scope}` : ctx.runId,
  };
  const topics = {
    commands: await ctx.topic('proctoring.attempt.commands.v1', { inbound: true, scope }),
    attemptEvents: await ctx.topic('proctoring.attempt.events.v1', { scope }),
    credentialEvents: await ctx.topic('proctoring.credential.events.v1', { scope }),
    commandsDlq: await ctx.topic('proctoring.attempt.commands.v1.dlq', { scope }),
  };
  // the service consumes each provider's review topic too and refuses to start without it (SPEC §8.4)
  const reviewsSuffix = ctx.suffix(scope);
  const reviewTopics: string[] = [];
  for (const p of BENCH_PROVIDERS) {
    const t = providerReviewTopics(p);
    reviewTopics.push(
      await ctx.topic(t.reviews, { inbound: true, scope }),
      await ctx.topic(t.outcomes, { scope }),
    );
  }
  const group = ctx.groupId('attempt-service', scope);
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
    REDRIVE_GROUP_ID: ctx.groupId('ops.redrive', scope),
  });

  const observer = new TopicObserver(
    ctx.kafka,
    topics.attemptEvents,
    ctx.groupId('bench-events-observer', scope),
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
    // The set-up process is not measured: a short fetch wait lets it stop in well under the 5 s default.
    service = ctx.startService(
      processName('setup'),
      SERVICE_SCRIPT,
      { ...env, CONSUMER_FETCH_MAX_WAIT_MS: '500' },
      false,
      codeRoot,
    );
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
      tag,
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
      tag,
    );
    const setupMs = performance.now() - setupStart;
    say(
      `${tag} set-up: ${exams.length} exams and ${fmtInt(attempts.length)} attempts through commands in ${(setupMs / 1000).toFixed(1)} s`,
    );
    if (rejectionCount > 0) throw new Error(`set-up commands were rejected: ${rejections.join('; ')}`);
    const setupMemory = await stopService(service, tag);
    service = null;

    // 2. saturation
    const load = new StatusLoad(learners);
    const n = cfg.saturationCommands;
    const preload = Array.from({ length: n }, () => load.nextCommand());
    const expected = new Set(preload.map((c) => c.id));
    say(
      `${tag} saturation: pre-loading ${fmtInt(n)} UpdateAttemptStatus commands (${fmtInt(cfg.learners)} learners, created→${STATUS_CYCLE.join('→')}→…)`,
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
    const svc = ctx.startService(processName(''), SERVICE_SCRIPT, env, profile, codeRoot);
    service = svc;
    const startToReadyMs = await waitForGroupMember(ctx.admin, group, 60_000, svc);
    const readyRssMb = svc.memory()?.rssMb ?? null;
    if (profile) svc.signal('SIGUSR2');
    const meter = await CpuMeter.start(ctx.meterSources({ service: svc.pid }));
    const pg0 = await ctx.postgresCounters();
    say(
      `${tag} attempt-service joined its group ${(startToReadyMs / 1000).toFixed(1)} s after start; draining the backlog`,
    );
    await waitUntil('every AttemptStatusChanged of the backlog', () => arrivals.total >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => {
        svc.assertAlive();
        if (rejectionCount > 0) throw new Error(`commands were rejected: ${rejections.join('; ')}`);
      },
      line: () => `${tag} saturation: ${fmtInt(arrivals.total)}/${fmtInt(n)} AttemptStatusChanged observed`,
    });
    const satCpu = await meter.stop();
    await sleep(1100); // PostgreSQL publishes its counters about once a second
    const pg1 = await ctx.postgresCounters();
    const profileLabel = (label: string) => (scope ? `${scope}-${label}` : label);
    if (profile)
      profiles.saturation = await ctx.collectProfile(svc, `attempt-service-${profileLabel('saturation')}`);
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
    say(`${tag} saturation: ${fmtInt(saturation.perSecond)} commands/s`);

    // 3. latency at fixed offered rates
    const latency: LatencyResult[] = [];
    for (const offered of cfg.rates) {
      await ctx.vacuum();
      await sleep(1000);
      if (profile) svc.signal('SIGUSR2');
      latency.push(
        await runAtRate(ctx, cfg, tag, producer, topics.commands, observer, svc, load, offered, noteRejection),
      );
      if (profile)
        profiles[`latency-${offered}`] = await ctx.collectProfile(svc, `attempt-service-${profileLabel(`latency-${offered}`)}`);
      if (rejectionCount > 0) throw new Error(`commands were rejected: ${rejections.join('; ')}`);
    }
    const memory = await stopService(svc, tag);
    service = null;

    // 4. scaling: 1, 2, 3 … instances in the same group, each on a fresh backlog
    const scaling: ScalingResult[] = [];
    for (const k of opts.plain ? [] : ctx.cfg.instances) {
      await ctx.vacuum();
      scaling.push(
        await runInstances(ctx, cfg, tag, processName(`x${k}`), env, group, producer, topics.commands, observer, load, k, {
          note: noteRejection,
          count: () => rejectionCount,
          samples: rejections,
        }),
      );
    }
    return {
      phase,
      ...(opts.code ? { code: { label: opts.code.label, commit: opts.code.commit } } : {}),
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
      scaling,
    };
  } finally {
    observer.setListener(null);
    if (service) await service.stop();
    await producer.disconnect();
    await observer.stop();
  }
}

async function stopService(svc: ServiceProcess, tag: string): Promise<ProcessMemory | null> {
  const memory = svc.memory();
  const t0 = performance.now();
  const exit = await svc.stop();
  const how =
    exit.code === 0 || exit.signal === 'SIGTERM'
      ? 'stopped'
      : `exited with code ${String(exit.code)} signal ${String(exit.signal)}`;
  say(`${tag} ${svc.name} ${how} ${((performance.now() - t0) / 1000).toFixed(1)} s after SIGTERM`);
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
  tag: string,
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
      `${tag} set-up: ${fmtInt(commands.length - waiting.size)}/${fmtInt(commands.length)} ${what} outcomes`,
  });
  observer.setListener(null);
}

/** Produces at `offered` commands/s for the configured time, then waits for every AttemptStatusChanged. */
async function runAtRate(
  ctx: BenchContext,
  cfg: EndToEndCounts,
  tag: string,
  producer: Producer,
  topic: string,
  observer: TopicObserver,
  svc: ServiceProcess,
  load: StatusLoad,
  offered: number,
  onRejected: (e: ObservedEvent) => void,
): Promise<LatencyResult> {
  const seconds = cfg.rateSeconds;
  const total = offered * seconds;
  const sentAt = new Map<string, { perf: number; epoch: number }>();
  const latencies: number[] = [];
  const bySecond: { sentS: number; ms: number }[] = [];
  const toBatchStart: number[] = [];
  const afterBatchStart: number[] = [];
  let t0 = performance.now();
  observer.setListener((e, at) => {
    if (e.type === 'AttemptStatusChanged' && e.causationId !== undefined) {
      const t = sentAt.get(e.causationId);
      if (t !== undefined) {
        sentAt.delete(e.causationId);
        const total = at - t.perf;
        latencies.push(total);
        bySecond.push({ sentS: (t.perf - t0) / 1000, ms: total });
        const applied = e.time === undefined ? Number.NaN : Date.parse(e.time);
        if (!Number.isNaN(applied)) {
          toBatchStart.push(applied - t.epoch);
          afterBatchStart.push(total - (applied - t.epoch));
        }
      }
    } else if (e.type === 'CommandRejected') onRejected(e);
  });
  say(`${tag} latency: offering ${fmtInt(offered)} commands/s for ${seconds} s`);
  const meter = await CpuMeter.start(ctx.meterSources({ service: svc.pid }));
  const pg0 = await ctx.postgresCounters();
  const checkpoints0 = await ctx.checkpointCounters();
  t0 = performance.now();
  const stalls = StallWatch.start(t0, svc, checkpoints0);
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
        `${tag} @${fmtInt(offered)}/s: ${fmtInt(sent)}/${fmtInt(total)} sent, ${fmtInt(latencies.length)} observed, last second p50 ${s.p50Ms} ms p99 ${s.p99Ms} ms`,
      );
    }
    await sleep(2);
  }
  const producedPerSecond = sent / Math.max(0.001, (lastSend - t0) / 1000);
  const drainEnd = performance.now() + cfg.drainTimeoutMs;
  while (sentAt.size > 0 && performance.now() < drainEnd && svc.alive) await sleep(20);
  const cpu = await meter.stop();
  observer.setListener(null);
  const stepStalls = stalls.stop(await ctx.checkpointCounters(), bySecond);
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
    stalls: stepStalls,
  };
  say(
    `${tag} @${fmtInt(offered)}/s: p50 ${summary.p50Ms} ms, p95 ${summary.p95Ms} ms, p99 ${summary.p99Ms} ms${result.missing ? `, ${result.missing} missing` : ''}` +
      ` (produce → batch start p50 ${result.breakdown.produceToBatchStartMs.p50Ms} ms, batch start → observed p50 ${result.breakdown.batchStartToObservedMs.p50Ms} ms)`,
  );
  return result;
}

/**
 * `k` attempt-service instances in one consumer group (each its own process, the same settings):
 * started on the caught-up commands topic, then, once the group is stable with all `k`, a backlog of
 * the phase's saturation size is produced and drained. The CPU of every instance over the window is
 * summed per command: on a machine with fewer cores than processes this measures contention, not
 * scaling, so the sum (not the rate) is what docs/capacity.md projects from.
 */
async function runInstances(
  ctx: BenchContext,
  cfg: EndToEndCounts,
  tag: string,
  name: string,
  env: NodeJS.ProcessEnv,
  group: string,
  producer: Producer,
  topic: string,
  observer: TopicObserver,
  load: StatusLoad,
  k: number,
  rejected: { note: (e: ObservedEvent) => void; count: () => number; samples: string[] },
): Promise<ScalingResult> {
  const n = cfg.saturationCommands;
  if (k > ctx.cfg.partitions)
    say(`${tag} ${k} instances on ${ctx.cfg.partitions} partitions: ${k - ctx.cfg.partitions} will sit idle`);
  const instances: ServiceProcess[] = [];
  try {
    const t0 = performance.now();
    for (let i = 1; i <= k; i++) instances.push(ctx.startService(`${name}-${i}`, SERVICE_SCRIPT, env));
    const startToStableMs = await waitForGroupMembers(ctx.admin, group, k, 120_000, instances);
    say(`${tag} ${k} instance(s) stable in their group ${((performance.now() - t0) / 1000).toFixed(1)} s after start; producing ${fmtInt(n)} commands`);
    const commands = Array.from({ length: n }, () => load.nextCommand());
    const expected = new Set(commands.map((c) => c.id));
    const arrivals = new ArrivalLog();
    observer.setListener((e, at) => {
      if (e.type === 'AttemptStatusChanged' && e.causationId !== undefined && expected.delete(e.causationId))
        arrivals.add(1, at);
      else if (e.type === 'CommandRejected') rejected.note(e);
    });
    const sources: Record<string, number> = {};
    instances.forEach((p, i) => (sources[`instance-${i + 1}`] = p.pid));
    const meter = await CpuMeter.start(ctx.meterSources(sources));
    const pg0 = await ctx.postgresCounters();
    await produceAll(
      producer,
      topic,
      commands.map((c) => c.message),
      { chunk: 2000 },
    );
    await waitUntil(`every AttemptStatusChanged of the backlog with ${k} instance(s)`, () => arrivals.total >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => {
        for (const p of instances) p.assertAlive();
        if (rejected.count() > 0) throw new Error(`commands were rejected: ${rejected.samples.join('; ')}`);
      },
      line: () => `${tag} ${k} instance(s): ${fmtInt(arrivals.total)}/${fmtInt(n)} AttemptStatusChanged observed`,
    });
    const cpu = await meter.stop();
    const windowEnd = Date.now();
    observer.setListener(null);
    await sleep(1100);
    const pg1 = await ctx.postgresCounters();
    const rate = arrivals.steadyRate(n);
    const budget = cpuBudget(cpu, n, machineInfo().cores);
    const serviceMs = budget
      ? round(
          Object.entries(budget.msPerMessage)
            .filter(([p]) => p.startsWith('instance-'))
            .reduce((a, [, ms]) => a + ms, 0),
          3,
        )
      : null;
    const result: ScalingResult = {
      instances: k,
      commands: n,
      perSecond: rate ? round(rate.perSecond) : null,
      windowMs: rate ? round(rate.windowMs) : null,
      startToStableMs: round(startToStableMs),
      cpu,
      cpuBudget: budget,
      serviceMsPerCommand: serviceMs,
      instanceCores: instances.map((_, i) => cpu.processCores[`instance-${i + 1}`] ?? 0),
      instanceWork: [],
      split: null,
      postgres: postgresPerMessage(pg0, pg1, n),
      peakRssMb: instances.map((p) => p.memory()?.peakRssMb ?? null),
    };
    await Promise.all(instances.map((p) => p.stop()));
    result.instanceWork = instances.map((p, i) =>
      instanceWork(p, cpu.cpuSeconds[`instance-${i + 1}`] ?? 0, windowEnd),
    );
    result.split = splitCpu(result.instanceWork, n);
    say(
      `${tag} ${k} instance(s): ${fmtInt(result.perSecond)} commands/s, service CPU ${String(serviceMs)} ms per command (instances at ${result.instanceCores.join(' / ')} cores)`,
    );
    return result;
  } finally {
    observer.setListener(null);
    await Promise.all(instances.map((p) => p.stop()));
  }
}
