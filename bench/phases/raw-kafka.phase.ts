import type { BenchContext } from '../support/context';
import { TopicObserver } from '../support/event-observer';
import { connectProducer, kafkaIdentity, produceAll, waitForGroupMember } from '../support/kafka-tools';
import { cpuBudget, CpuMeter, machineInfo, type CpuBudget, type CpuUsage } from '../support/machine';
import { nativeClientStatus } from '../support/native-client';
import { say, waitUntil } from '../support/progress';
import { fmtInt, round } from '../support/stats';
import { StatusLoad } from '../support/workload';

/** The Kafka client of a pass-through run: kafkajs (the services' client) or the bench-only native one. */
export type RawKafkaClient = 'kafkajs' | 'native';

/** One pass-through run: one relay process copying the whole pre-loaded topic once. */
export interface RawKafkaRun {
  client: RawKafkaClient;
  /** 1-based position in the run order (the clients alternate, so drift on a busy machine hits both). */
  order: number;
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

/** kafkajs' figures (the median of its runs by rate) at the top level: what the ratios and targets compare against. */
export interface RawKafkaResult extends Omit<RawKafkaRun, 'client' | 'order'> {
  messages: number;
  avgMessageBytes: number;
  /** Every run in the order it ran: kafkajs and native alternately when the native client is installed. */
  runs: RawKafkaRun[];
  /** The native client's package version, or why it was not measured. */
  native: { measured: true; version: string } | { measured: false; reason: string };
}

const RELAYS: Record<RawKafkaClient, string> = {
  kafkajs: 'bench/phases/raw-kafka-relay.main.ts',
  native: 'bench/native-client/raw-kafka-relay.native.ts',
};

/** The run with the median rate (the lower middle of an even count). */
function median(runs: RawKafkaRun[]): RawKafkaRun | undefined {
  const sorted = [...runs].sort((a, b) => (a.perSecond ?? 0) - (b.perSecond ?? 0));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * (a) Raw Kafka: N command-sized messages (real UpdateAttemptStatus commands) pre-loaded on a 3-partition
 * topic, then a separate pass-through process consumes and produces them to a second topic, where the
 * bench counts them as they arrive. With the bench-only native client installed (bench/native-client),
 * the same input is copied by a kafkajs relay and a native one alternately (`--raw-rounds` pairs), each
 * into a topic of its own with a group of its own, so both are measured on the same broker and bytes.
 */
export async function runRawKafka(ctx: BenchContext): Promise<RawKafkaResult> {
  const n = ctx.cfg.rawKafka.messages;
  const input = await ctx.topic('bench.raw.in');
  const load = new StatusLoad({ count: 2000, exams: 20, runId: ctx.runId });
  const messages = Array.from({ length: n }, () => load.nextCommand().message);
  const avgMessageBytes = round(messages.reduce((a, m) => a + Buffer.byteLength(m.value as string), 0) / n);

  const producer = await connectProducer(ctx.kafka);
  say(
    `(a) raw Kafka: pre-loading ${fmtInt(n)} messages of ~${avgMessageBytes} B on ${ctx.cfg.partitions} partitions`,
  );
  await produceAll(producer, input, messages, { chunk: 2000 });
  await producer.disconnect();

  const status = nativeClientStatus(ctx.root);
  const clients: RawKafkaClient[] = status.installed ? ['kafkajs', 'native'] : ['kafkajs'];
  if (!status.installed) say(`(a) ${status.reason}: measuring kafkajs only`);
  const runs: RawKafkaRun[] = [];
  for (let pair = 0; pair < ctx.cfg.rawKafka.rounds; pair++) {
    for (const client of clients) runs.push(await passThrough(ctx, input, n, client, runs.length + 1));
  }
  const k = median(runs.filter((r) => r.client === 'kafkajs'));
  if (!k) throw new Error('no kafkajs run');
  const { client: _client, order: _order, ...figures } = k;
  return {
    messages: n,
    avgMessageBytes,
    ...figures,
    runs,
    native: status.installed ? { measured: true, version: status.version } : { measured: false, reason: status.reason },
  };
}

async function passThrough(
  ctx: BenchContext,
  input: string,
  n: number,
  client: RawKafkaClient,
  order: number,
): Promise<RawKafkaRun> {
  const scope = `${client}-${order}`;
  const output = await ctx.topic('bench.raw.out', { scope });
  const observer = new TopicObserver(ctx.kafka, output, ctx.groupId('bench-raw-observer', scope), false);
  await observer.start();
  const group = ctx.groupId('bench-raw-relay', scope);
  const relay = ctx.startHelper(`raw-kafka-relay-${scope}`, RELAYS[client], {
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
    say(`(a) ${client} pass-through process joined; consuming`);
    await waitUntil(`the ${client} pass-through to forward every message`, () => observer.count >= n, {
      timeoutMs: ctx.cfg.phaseTimeoutMs,
      check: () => relay.assertAlive(),
      line: () => `(a) ${client}: ${fmtInt(observer.count)}/${fmtInt(n)} forwarded`,
    });
    const cpu = await meter.stop();
    const rate = observer.arrivals.steadyRate(n);
    const wallMs = (observer.arrivals.last ?? performance.now()) - relay.spawnedAt;
    const mem = relay.memory();
    const run: RawKafkaRun = {
      client,
      order,
      perSecond: rate ? round(rate.perSecond) : null,
      windowMs: rate ? round(rate.windowMs) : null,
      wallMs: round(wallMs),
      cpu,
      cpuBudget: cpuBudget(cpu, n, machineInfo().cores),
      relayPeakRssMb: mem?.peakRssMb ?? null,
    };
    say(
      `(a) ${client}: ${fmtInt(run.perSecond)} msg/s, relay ${run.cpuBudget?.msPerMessage.relay ?? '—'} ms CPU per message`,
    );
    return run;
  } finally {
    await Promise.all([relay.stop(), observer.stop()]);
  }
}
