import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../support/context';
import { connectProducer, kafkaIdentity, produceAll, waitForGroupMember } from '../support/kafka-tools';
import { cpuBudget, CpuMeter, machineInfo, type CpuBudget, type CpuUsage } from '../support/machine';
import { say, waitUntil } from '../support/progress';
import { SendGridSink } from '../support/sendgrid-sink';
import type { ServiceProcess } from '../support/service-process';
import { fmtInt, round } from '../support/stats';
import { emailWorthyEvent } from '../support/workload';

const NOTIFIER_SCRIPT = 'dist/apps/notifier/src/main.js';

/** The `msg` (and error message) of the last warning or error in a pino log file (other lines skipped: `--trace-gc`'s). */
function lastProblem(logFile: string): string {
  let lines: string[];
  try {
    lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  } catch {
    return 'none (no log)';
  }
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; reason?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if ((entry.level ?? 0) >= 40) return [entry.msg, entry.reason, entry.err?.message].filter(Boolean).join(': ').slice(0, 300);
  }
  return 'none (see its log)';
}

export type NotifierResult =
  | {
      status: 'measured';
      emails: number;
      /** Steady-state emails accepted by the endpoint per second (5th → 95th percentile). */
      perSecond: number | null;
      windowMs: number | null;
      startToReadyMs: number;
      wallMs: number;
      duplicates: number;
      badRequests: number;
      /** From the first email accepted to the last (the emails in that window are the denominator of cpuBudget). */
      cpu: CpuUsage | null;
      cpuBudget: CpuBudget | null;
      peakRssMb: number | null;
      /** `--cpu-prof`: the notifier's profile of the measured window. */
      profiles: Record<string, string>;
    }
  | { status: 'skipped'; reason: string };

/**
 * (d) Notifier: N AttemptStatusChanged events that need the status email (contract-valid, as the
 * attempt-service writes them) pre-loaded on the notifier's events topic; the compiled notifier is
 * started with its SendGrid driver pointed at a local endpoint that answers 202 at once, and the
 * bench times the emails that endpoint accepts. Covers consume → ledger → sender → HTTP.
 */
export async function runNotifier(ctx: BenchContext): Promise<NotifierResult> {
  if (!existsSync(join(ctx.root, NOTIFIER_SCRIPT))) {
    return { status: 'skipped', reason: `${NOTIFIER_SCRIPT} does not exist (the notifier is not built)` };
  }
  const n = ctx.cfg.notifier.emails;
  const eventsTopic = await ctx.topic('proctoring.notifier-input.events.v1');
  const dlqTopic = await ctx.topic('proctoring.notifier.dlq.v1');
  const sink = await new SendGridSink().start();
  const events = Array.from({ length: n }, (_, i) => emailWorthyEvent(ctx.runId, i));
  const producer = await connectProducer(ctx.kafka);
  say(`(d) notifier: pre-loading ${fmtInt(n)} AttemptStatusChanged events that each need an email`);
  try {
    await produceAll(producer, eventsTopic, events, { chunk: 2000 });
  } finally {
    await producer.disconnect();
  }
  const group = ctx.groupId('notifier');
  await ctx.grant('notifier', { read: [eventsTopic], write: [dlqTopic] });
  let notifier: ServiceProcess | null = null;
  try {
    const svc = ctx.startService(
      'notifier',
      NOTIFIER_SCRIPT,
      ctx.serviceEnv({
        ...kafkaIdentity('notifier'),
        TOPIC_ATTEMPT_EVENTS: eventsTopic,
        TOPIC_NOTIFIER_DLQ: dlqTopic,
        NOTIFIER_GROUP_ID: group,
        SENDGRID_API_KEY: 'SG.bench-not-a-real-key',
        SENDGRID_BASE_URL: sink.baseUrl,
        EMAIL_OUTBOX_DIR: join(ctx.logsDir, 'emails'),
      }),
      ctx.cfg.cpuProfile,
    );
    notifier = svc;
    let startToReadyMs: number;
    try {
      startToReadyMs = await waitForGroupMember(ctx.admin, group, 60_000, svc);
    } catch (e) {
      const reason = `the notifier did not start: ${e instanceof Error ? e.message : String(e)}`;
      say(`(d) skipped — ${reason}`);
      return { status: 'skipped', reason };
    }
    say(`(d) notifier joined its group ${(startToReadyMs / 1000).toFixed(1)} s after start; sending`);
    try {
      await waitUntil('the first email', () => sink.accepted > 0, {
        timeoutMs: 30_000,
        check: () => svc.assertAlive(),
      });
    } catch (e) {
      // Running but sending nothing (or dead): the notifier is not usable yet; say why and move on.
      const reason = `the notifier sent no email within 30 s of joining its group (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); last problem it logged: ${lastProblem(svc.logFile)}`;
      say(`(d) skipped — ${reason}`);
      return { status: 'skipped', reason };
    }
    if (ctx.cfg.cpuProfile) svc.signal('SIGUSR2');
    const meter = await CpuMeter.start(ctx.meterSources({ notifier: svc.pid }));
    const before = sink.accepted;
    await waitUntil('every email to reach the SendGrid endpoint', () => sink.accepted >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => svc.assertAlive(),
      line: () => `(d) ${fmtInt(sink.accepted)}/${fmtInt(n)} emails accepted by the endpoint`,
    });
    const cpu = await meter.stop();
    const profiles: Record<string, string> = {};
    if (ctx.cfg.cpuProfile) profiles.sending = await ctx.collectProfile(svc, 'notifier-sending');
    const rate = sink.arrivals.steadyRate(n);
    const memory = svc.memory();
    await svc.stop();
    notifier = null;
    return {
      status: 'measured',
      emails: n,
      perSecond: rate ? round(rate.perSecond) : null,
      windowMs: rate ? round(rate.windowMs) : null,
      startToReadyMs: round(startToReadyMs),
      wallMs: round((sink.arrivals.last ?? performance.now()) - svc.spawnedAt),
      duplicates: sink.duplicates,
      badRequests: sink.rejected,
      cpu,
      cpuBudget: cpuBudget(cpu, n - before, machineInfo().cores),
      peakRssMb: memory?.peakRssMb ?? null,
      profiles,
    };
  } finally {
    if (notifier) await notifier.stop();
    await sink.stop();
  }
}
