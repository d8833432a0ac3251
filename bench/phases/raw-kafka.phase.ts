import type { BenchContext } from '../support/context';
import { TopicObserver } from '../support/event-observer';
import { connectProducer, kafkaIdentity, produceAll, waitForGroupMember } from '../support/kafka-tools';
import { cpuBudget, CpuMeter, machineInfo, type CpuBudget, type CpuUsage } from '../support/machine';
import { say, waitUntil } from '../support/progress';
import { fmtInt, round } from '../support/stats';
import { StatusLoad } from '../support/workload';

export interface RawKafkaResult {
  messages: number;
  avgMessageBytes: number;
  /** Steady-state pass-through rate (5th → 95th percentile of arrivals on the output topic). */
  perSecond: number | null;
  windowMs: number | null;
  /** From starting the relay process to the last message observed (includes start-up and group join). */
  wallMs: number;
  /** From the relay joining its group to the last message observed. */
  cpu: CpuUsage | null;
  cpuBudget: CpuBudget | null;
  relayPeakRssMb: number | null;
}

/**
 * (a) Raw Kafka: N command-sized messages (real UpdateAttemptStatus commands) pre-loaded on a 3-partition
 * topic, then a separate pass-through process consumes and produces them to a second topic, where the
 * bench counts them as they arrive.
 */
export async function runRawKafka(ctx: BenchContext): Promise<RawKafkaResult> {
  const n = ctx.cfg.rawKafka.messages;
  const input = await ctx.topic('bench.raw.in');
  const output = await ctx.topic('bench.raw.out');
  const load = new StatusLoad({ count: 2000, exams: 20, runId: ctx.runId });
  const messages = Array.from({ length: n }, () => load.nextCommand().message);
  const avgMessageBytes = round(messages.reduce((a, m) => a + Buffer.byteLength(m.value as string), 0) / n);

  const producer = await connectProducer(ctx.kafka);
  say(
    `(a) raw Kafka: pre-loading ${fmtInt(n)} messages of ~${avgMessageBytes} B on ${ctx.cfg.partitions} partitions`,
  );
  await produceAll(producer, input, messages, { chunk: 2000 });
  await producer.disconnect();

  const observer = new TopicObserver(ctx.kafka, output, ctx.groupId('bench-raw-observer'), false);
  await observer.start();
  const group = ctx.groupId('bench-raw-relay');
  const relay = ctx.startHelper('raw-kafka-relay', 'bench/phases/raw-kafka-relay.main.ts', {
    ...process.env,
    KAFKA_BROKERS: ctx.brokers,
    // The baseline needs no grants of its own: it runs as the bench's `admin`.
    ...kafkaIdentity('admin'),
    RAW_IN: input,
    RAW_OUT: output,
    RAW_GROUP: group,
  });
  try {
    await waitForGroupMember(ctx.admin, group, 60_000, relay);
    const meter = await CpuMeter.start(ctx.meterSources({ relay: relay.pid }));
    say('(a) pass-through process joined; consuming');
    await waitUntil('the pass-through to forward every message', () => observer.count >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => relay.assertAlive(),
      line: () => `(a) ${fmtInt(observer.count)}/${fmtInt(n)} forwarded`,
    });
    const cpu = await meter.stop();
    const rate = observer.arrivals.steadyRate(n);
    const wallMs = (observer.arrivals.last ?? performance.now()) - relay.spawnedAt;
    const mem = relay.memory();
    return {
      messages: n,
      avgMessageBytes,
      perSecond: rate ? round(rate.perSecond) : null,
      windowMs: rate ? round(rate.windowMs) : null,
      wallMs: round(wallMs),
      cpu,
      cpuBudget: cpuBudget(cpu, n, machineInfo().cores),
      relayPeakRssMb: mem?.peakRssMb ?? null,
    };
  } finally {
    await Promise.all([relay.stop(), observer.stop()]);
  }
}
