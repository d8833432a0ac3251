import { setTimeout as delay } from 'node:timers/promises';
import type { OwnBroker, OwnCluster, ThrowawayPostgres } from './fault-infra';
import { adminKafka, say } from './fault-infra';
import { emailProblems, leakedInLogs, PROMPT_ANSWER_MS, replayAttacks } from './hostile-attacks';
import { hostileKeysAndHeaders, hostilePayloads, learnerHostile } from './hostile-input';
import { databaseDiskFull, emailDiskFull } from './disk-scenarios';
import { brokerBlackhole, brokerLatency, databaseBlackhole, databaseLatency } from './network-scenarios';
import { probe, watchOutcomes } from './outcome-watch';
import { retirementCrash } from './retirement-scenario';
import { runScenario, type ScenarioResult, type World, type WorldOptions } from './scenario-kit';
import { soak, type SoakProfile } from './soak-scenario';
import { envelope, examCatalog, interleave, learnerScripts, message, rng, type OutMessage } from './workload';

/** Sizes of one run: the full suite (the issue's figures) or the reduced CI one. */
export interface Profile {
  name: 'full' | 'ci';
  crash: { learners: number; commands: number; kills: number };
  notifierCrash: { learners: number; commands: number; kills: number };
  brokerOutage: { learners: number; commands: number; outages: ('stop' | 'kill')[] };
  databaseOutage: { learners: number; commands: number; outages: ('fast' | 'immediate')[] };
  rebalance: { learners: number; commands: number };
  brokerLoss: { learners: number; commands: number };
  /** 6b: a node cut off the network for cutMs */
  partition: { learners: number; commands: number; cutMs: number };
  hostile: { payloads: number; learners: number; commands: number };
  hostileKeys: { probes: number; learners: number; commands: number };
  attacks: { learners: number; commands: number };
  /** The network scenarios (8a, 8b): the fault lasts faultMs (latency/loss) or blackholeMs. */
  network: { learners: number; commands: number; faultMs: number; blackholeMs: number };
  /** The soak (9): duration, report windows, offered rate, sampling interval. */
  soak: SoakProfile;
}

export const PROFILES: Record<'full' | 'ci', Profile> = {
  full: {
    name: 'full',
    crash: { learners: 500, commands: 5200, kills: 4 },
    notifierCrash: { learners: 150, commands: 1500, kills: 4 },
    brokerOutage: { learners: 300, commands: 3000, outages: ['stop', 'kill'] },
    databaseOutage: { learners: 300, commands: 3000, outages: ['fast', 'immediate'] },
    rebalance: { learners: 400, commands: 4000 },
    brokerLoss: { learners: 300, commands: 3000 },
    partition: { learners: 300, commands: 3000, cutMs: 60_000 },
    hostile: { payloads: 10_000, learners: 200, commands: 2000 },
    hostileKeys: { probes: 24, learners: 40, commands: 300 },
    attacks: { learners: 60, commands: 600 },
    network: { learners: 200, commands: 2000, faultMs: 40_000, blackholeMs: 30_000 },
    soak: { durationMs: 30 * 60_000, windowMs: 5 * 60_000, ratePerSec: 1000, sampleMs: 10_000 },
  },
  ci: {
    name: 'ci',
    crash: { learners: 150, commands: 1500, kills: 3 },
    notifierCrash: { learners: 60, commands: 600, kills: 3 },
    brokerOutage: { learners: 100, commands: 1000, outages: ['kill'] },
    databaseOutage: { learners: 100, commands: 1000, outages: ['immediate'] },
    rebalance: { learners: 150, commands: 1500 },
    brokerLoss: { learners: 100, commands: 1000 },
    partition: { learners: 100, commands: 1000, cutMs: 30_000 },
    hostile: { payloads: 2500, learners: 50, commands: 500 },
    hostileKeys: { probes: 12, learners: 20, commands: 150 },
    attacks: { learners: 30, commands: 300 },
    network: { learners: 80, commands: 800, faultMs: 20_000, blackholeMs: 30_000 },
    soak: { durationMs: 4 * 60_000, windowMs: 30_000, ratePerSec: 1000, sampleMs: 2_000 },
  },
};

export interface Infra {
  runDir: string;
  runTag: string;
  /** the shared PostgreSQL server (scenario databases are created on it) */
  pgServerUrl: string;
  broker: () => Promise<OwnBroker>;
  /** `partitionable`: each node in a network namespace of its own, so one can be cut off (6b) */
  cluster: (o?: { partitionable?: boolean }) => Promise<OwnCluster>;
  /** `volumeMb`: the data directory on a tmpfs of that size (scenario 12). */
  throwawayPostgres: (o?: { volumeMb?: number; durable?: boolean }) => Promise<ThrowawayPostgres>;
}

export interface ScenarioDef {
  id: string;
  number: string;
  title: string;
  run: (infra: Infra, p: Profile) => Promise<ScenarioResult>;
}

const base = (infra: Infra, id: string, title: string, brokers: string, extra: Partial<WorldOptions> = {}): WorldOptions => ({
  id,
  title,
  brokers,
  pgServerUrl: infra.pgServerUrl,
  runDir: infra.runDir,
  runTag: infra.runTag,
  ...extra,
});

/** The learner workload of a scenario: exams first, then the interleaved learner scripts. */
function workload(tag: string, learners: number, commands: number, seed: number, opts: { emailBias?: number; reviewRate?: number } = {}) {
  const catalog = examCatalog(tag, 5);
  const stream = interleave(learnerScripts({ tag, catalog, learners, commands, seed, emailBias: opts.emailBias, reviewRate: opts.reviewRate }), seed + 1);
  return { catalog, stream };
}

/** Publishing and faults at once; a failure of either is the scenario's failure, after both ended. */
async function concurrently(w: World, publishing: Promise<void>, faults: () => Promise<void>): Promise<void> {
  const results = await Promise.allSettled([publishing, faults()]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  void w;
}

/** A random pause so a fault lands at an arbitrary moment. */
const jitter = (rand: () => number, maxMs: number) => delay(Math.floor(rand() * maxMs));

// ---- 1. attempt-service crashes ------------------------------------------------------------------

const crash: ScenarioDef = {
  id: 's1-crash',
  number: '1',
  title: 'attempt-service killed -9 mid-stream, restarted',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { learners, commands, kills } = p.crash;
    return runScenario(base(infra, 's1-crash', crash.title, broker.brokers), async (w) => {
      // reviews (staff second reviews on the commands topic, SPEC §8.1) in the workload: 4% of the steps
      const { catalog, stream } = workload(`s1${infra.runTag}`, learners, commands, 101, { reviewRate: 0.04 });
      await w.startAttemptService();
      await w.publishExams(catalog.registrations);
      const rand = rng(102);
      const rate = Math.max(10, Math.round(stream.length / (kills * 32 + 15)));
      await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
        for (let k = 0; k < kills; k++) {
          // Only while the service is actually processing: some progress first, then a random moment.
          await w.waitProgress(20 + Math.floor(rand() * 150), 90_000);
          await jitter(rand, 1500);
          const victim = w.liveServices()[0];
          if (!victim) throw new Error('no live attempt-service to kill');
          w.fault('kill -9 attempt-service', `kill -9 attempt-service pid ${victim.pid} at ${(await w.processed()) ?? '?'} commands processed`);
          await victim.kill9();
          await jitter(rand, 2000);
          await w.startAttemptService();
        }
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
    });
  },
};

// ---- 2. notifier crashes mid-send ------------------------------------------------------------------

const notifierCrash: ScenarioDef = {
  id: 's2-notifier-crash',
  number: '2',
  title: 'notifier killed -9 while SendGrid (stub, slow) has requests in flight',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { learners, commands, kills } = p.notifierCrash;
    return runScenario(base(infra, 's2-notifier-crash', notifierCrash.title, broker.brokers), async (w) => {
      const { catalog, stream } = workload(`s2${infra.runTag}`, learners, commands, 201, { emailBias: 0.6 });
      const stub = await w.startStub(300, 1200);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const rand = rng(202);
      const inFlight = () => stub.requests.filter((r) => r.answeredStatus === null).length;
      await concurrently(w, w.publish(stream, { ratePerSec: 60 }), async () => {
        for (let k = 0; k < kills; k++) {
          const seen = stub.requests.length;
          const end = Date.now() + 120_000;
          // A few sends since the last restart, then a moment when some are in flight at the stub.
          while (Date.now() < end && (stub.requests.length - seen < 5 || inFlight() === 0)) await delay(20);
          await jitter(rand, 150);
          const victim = w.notifiers.find((n) => n.alive);
          if (!victim) throw new Error('no live notifier to kill');
          w.fault('kill -9 notifier mid-send', `kill -9 notifier pid ${victim.pid} with ${inFlight()} send(s) in flight at the stub`);
          await victim.kill9();
          await jitter(rand, 1500);
          await w.startNotifier();
        }
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
    });
  },
};

// ---- 3. broker outage ---------------------------------------------------------------------------------

const brokerOutage: ScenarioDef = {
  id: 's3-broker-outage',
  number: '3',
  title: 'the Kafka broker stopped and restarted on its data mid-stream',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { learners, commands, outages } = p.brokerOutage;
    return runScenario(base(infra, 's3-broker-outage', brokerOutage.title, broker.brokers), async (w) => {
      const { catalog, stream } = workload(`s3${infra.runTag}`, learners, commands, 301, { emailBias: 0.3 });
      await w.startStub(5, 30);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const rand = rng(302);
      const rate = Math.max(20, Math.round(stream.length / (outages.length * 40 + 20)));
      await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
        for (const mode of outages) {
          await w.waitProgress(50 + Math.floor(rand() * 200), 120_000);
          await jitter(rand, 1500);
          w.fault(mode === 'kill' ? 'broker kill -9 + restart' : 'broker stop + restart', `broker ${mode === 'kill' ? 'kill -9' : 'stopped (SIGTERM)'} at ${(await w.processed()) ?? '?'} commands processed, restarted on its data`);
          if (mode === 'kill') await broker.kill();
          else await broker.stop();
          await delay(8000 + Math.floor(rand() * 4000));
          await broker.resume();
          say(`${w.o.id}: broker back`);
        }
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 150_000 });
    });
  },
};

// ---- 4. database outage --------------------------------------------------------------------------------

const databaseOutage: ScenarioDef = {
  id: 's4-database-outage',
  number: '4',
  title: 'a throwaway PostgreSQL stopped and restarted mid-stream; services not restarted',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const pg = await infra.throwawayPostgres();
    const { learners, commands, outages } = p.databaseOutage;
    return runScenario(base(infra, 's4-database-outage', databaseOutage.title, broker.brokers, { pgServerUrl: pg.url }), async (w) => {
      const { catalog, stream } = workload(`s4${infra.runTag}`, learners, commands, 401, { emailBias: 0.3 });
      await w.startStub(5, 30);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const pids = [...w.services, ...w.notifiers].map((s) => s.pid);
      const rand = rng(402);
      const rate = Math.max(20, Math.round(stream.length / (outages.length * 30 + 20)));
      await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
        for (const mode of outages) {
          await w.waitProgress(50 + Math.floor(rand() * 200), 120_000);
          await jitter(rand, 1500);
          w.fault(`PostgreSQL stop -m ${mode} + start`, `PostgreSQL stopped (-m ${mode}) at ${(await w.processed()) ?? '?'} commands processed, started again`);
          await pg.stop(mode);
          await delay(8000 + Math.floor(rand() * 4000));
          await pg.start();
          say(`${w.o.id}: PostgreSQL back`);
        }
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 150_000 });
      const now = [...w.services, ...w.notifiers].filter((s) => s.alive).map((s) => s.pid);
      if (pids.some((pid) => !now.includes(pid))) w.problem('a service had to be restarted after the database outage');
    });
  },
};

// ---- 5. rebalance ------------------------------------------------------------------------------------------

const rebalance: ScenarioDef = {
  id: 's5-rebalance',
  number: '5',
  title: '3 attempt-service instances in one group; one killed -9, one added mid-stream',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { learners, commands } = p.rebalance;
    return runScenario(base(infra, 's5-rebalance', rebalance.title, broker.brokers, { commandPartitions: 6 }), async (w) => {
      const { catalog, stream } = workload(`s5${infra.runTag}`, learners, commands, 501);
      await w.startAttemptService();
      await w.startAttemptService();
      await w.startAttemptService();
      await w.publishExams(catalog.registrations);
      const rand = rng(502);
      const rate = Math.max(20, Math.round(stream.length / 90));
      await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
        await w.waitProgress(Math.floor(stream.length * 0.15), 120_000);
        await jitter(rand, 1500);
        const victim = w.liveServices()[Math.floor(rand() * 3)];
        w.fault('kill -9 one of 3 instances', `kill -9 one of 3 instances (pid ${victim.pid}) at ${(await w.processed()) ?? '?'} processed`);
        await victim.kill9();
        await w.waitProgress(Math.floor(stream.length * 0.15), 150_000);
        await jitter(rand, 1500);
        const added = await w.startAttemptService();
        w.fault('instance added', `an instance added (pid ${added.pid}) at ${(await w.processed()) ?? '?'} processed`);
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
    });
  },
};

// ---- 6. broker loss in a 3-node cluster ------------------------------------------------------------------

const brokerLoss: ScenarioDef = {
  id: 's6-broker-loss',
  number: '6',
  title: '3-node KRaft cluster (RF 3, min ISR 2); one broker killed -9 mid-stream',
  run: async (infra, p) => {
    const cluster = await infra.cluster();
    const { learners, commands } = p.brokerLoss;
    return runScenario(base(infra, 's6-broker-loss', brokerLoss.title, cluster.brokers, { replicationFactor: 3 }), async (w) => {
      const { catalog, stream } = workload(`s6${infra.runTag}`, learners, commands, 601, { emailBias: 0.3 });
      await w.startStub(5, 30);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const rand = rng(602);
      const rate = Math.max(20, Math.round(stream.length / 60));
      await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
        await w.waitProgress(Math.floor(stream.length * 0.25), 150_000);
        await jitter(rand, 1500);
        // The hardest node to lose: the attempt-service group's coordinator (it also leads partitions).
        const node = await coordinatorNode(cluster.brokers, w.groupId);
        const leads = await leaderCounts(cluster.brokers, [w.topics.commands, w.topics.attemptEvents, w.topics.credentialEvents, w.topics.commandsDlq]);
        w.fault(
          'kill -9 1 of 3 brokers',
          `kill -9 broker node ${node} (coordinator of the attempt-service group, leader of ${leads.get(node) ?? 0} of the scenario's partitions) at ${(await w.processed()) ?? '?'} processed; it stays down`,
        );
        await cluster.killNode(node);
      });
      await w.settle({ timeoutMs: 300_000, stallMs: 150_000 });
    });
  },
};

// ---- 6b. a node cut off the network in a 3-node cluster ---------------------------------------------------

/** How long a probe may take to be answered, from the cut (by the majority) or from the heal. */
const PARTITION_PROBE_LIMIT_MS = 150_000;

const partition: ScenarioDef = {
  id: 's6b-cluster-partition',
  number: '6b',
  title: '3-node KRaft cluster (RF 3, min ISR 2); the node leading most commands partitions cut off from the other nodes and every client (its JVM running), then healed',
  run: async (infra, p) => {
    const cluster = await infra.cluster({ partitionable: true });
    const { learners, commands, cutMs } = p.partition;
    return runScenario(base(infra, 's6b-cluster-partition', partition.title, cluster.brokers, { replicationFactor: 3 }), async (w) => {
      const tag = `s6b${infra.runTag}`;
      const { catalog, stream } = workload(tag, learners, commands, 611, { emailBias: 0.3 });
      const exam = catalog.courses[0].exams.find((e) => e.kind === 'final');
      if (!exam) throw new Error('no final exam');
      await w.startStub(5, 30);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const watch = await watchOutcomes(w, tag);
      const rate = Math.max(20, Math.round(stream.length / ((cutMs + 60_000) / 1000)));
      try {
        await concurrently(w, w.publish(stream, { ratePerSec: rate }), async () => {
          await w.waitProgress(Math.floor(stream.length * 0.2), 150_000);
          // Most commands partitions; of those, the attempt-service group's coordinator if it is one.
          const leads = await leaderCounts(cluster.brokers, [w.topics.commands]);
          const coordinator = await coordinatorNode(cluster.brokers, w.groupId);
          const score = (n: number) => (leads.get(n) ?? 0) * 2 + Number(n === coordinator);
          const node = [1, 2, 3].sort((a, b) => score(b) - score(a))[0];
          const label = `1 of 3 brokers cut off for ${cutMs / 1000} s`;
          const what = `node ${node} (leader of ${leads.get(node) ?? 0} of the ${[...leads.values()].reduce((a, b) => a + b, 0)} commands partitions${node === coordinator ? ', coordinator of the attempt-service group' : ''})`;
          w.fault(label, `${what} cut off at ${(await w.processed()) ?? '?'} processed`);
          await cluster.cutNode(node);
          const cutAt = Date.now();
          // The majority (2 of 3 nodes, min ISR 2) can serve everything: a command published now is answered when?
          const during = probe(w, watch, exam, `${tag}-cut`, PARTITION_PROBE_LIMIT_MS, true);
          try {
            await delay(cutMs - (Date.now() - cutAt));
          } finally {
            await cluster.healNode(node);
          }
          const healed = await probe(w, watch, exam, `${tag}-healed`, PARTITION_PROBE_LIMIT_MS, true);
          const [served, recovered] = [await during, healed].map((ms) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`));
          w.faults[w.faults.length - 1] = { label, detail: `${what} cut off for ${cutMs / 1000} s; a command published at the cut answered after ${served}, one published at the heal after ${recovered}` };
          say(`${w.o.id}: ${w.faults[w.faults.length - 1].detail}`);
          if ((await during) === null) w.problem(`a command published when node ${node} was cut off was not answered within ${PARTITION_PROBE_LIMIT_MS / 1000} s`);
          if (healed === null) w.problem(`a command published when node ${node} was plugged back in was not answered within ${PARTITION_PROBE_LIMIT_MS / 1000} s`);
        });
        await w.settle({ timeoutMs: 300_000, stallMs: 150_000 });
      } finally {
        await watch.stop();
      }
    });
  },
};

/** How many partitions of `topics` each node leads. */
async function leaderCounts(brokers: string, topics: string[]): Promise<Map<number, number>> {
  const admin = adminKafka(brokers).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics });
    const count = new Map<number, number>();
    for (const t of meta.topics) for (const p of t.partitions) count.set(p.leader, (count.get(p.leader) ?? 0) + 1);
    return count;
  } finally {
    await admin.disconnect();
  }
}

/**
 * The group coordinator of `groupId`: the leader of its `__consumer_offsets` partition, which Kafka
 * picks as `Utils.abs(groupId.hashCode()) % partitions` (Java String.hashCode).
 */
async function coordinatorNode(brokers: string, groupId: string): Promise<number> {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  const admin = adminKafka(brokers).admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    const parts = meta.topics[0].partitions;
    const p = (h & 0x7fffffff) % parts.length;
    return parts.find((x) => x.partitionId === p)?.leader ?? 1;
  } finally {
    await admin.disconnect();
  }
}

// ---- 7. hostile input --------------------------------------------------------------------------------------

const hostile: ScenarioDef = {
  id: 's7-hostile-input',
  number: '7',
  title: 'fast-check hostile payloads interleaved with valid commands',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { payloads, learners, commands } = p.hostile;
    return runScenario(base(infra, 's7-hostile-input', hostile.title, broker.brokers), async (w) => {
      const tag = `s7${infra.runTag}`;
      const catalog = examCatalog(tag, 4);
      // FAULTS_HOSTILE_SKIP="huge (> 64 KiB),NUL bytes" leaves categories out while isolating a failure.
      const skip = (process.env.FAULTS_HOSTILE_SKIP ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const set = hostilePayloads({ tag, count: payloads, seed: 701, groups: 24, exams: catalog.courses.flatMap((c) => c.exams), skip });
      say(`${w.o.id}: generated ${[...set.byCategory.values()].reduce((a, b) => a + b, 0)} hostile payloads: ${[...set.byCategory].map(([k, v]) => `${k} ${v}`).join(', ')}`);
      let extras = 0;
      const extra: typeof learnerHostile = (ctx) => {
        const m = learnerHostile(ctx);
        if (m) extras++;
        return m;
      };
      const scripts = learnerScripts({ tag, catalog, learners, commands, seed: 702, extra, extraRate: 0.1 });
      const stream: OutMessage[] = interleave([...scripts, ...set.groups], 703);
      await w.startAttemptService();
      await w.publishExams(catalog.registrations);
      await w.publish(stream, { ratePerSec: 2000, chunk: 200 });
      await w.settle({ timeoutMs: 420_000, stallMs: 90_000 });
      const generated = set.groups.reduce((n, g) => n + g.length, 0);
      w.fault(`${generated + extras} hostile messages`, `${generated} generated hostile payloads (${[...set.byCategory].map(([k, v]) => `${k} ${v}`).join(', ')}) + ${extras} hostile messages on learners' own keys`);
    });
  },
};

const hostileKeys: ScenarioDef = {
  id: 's7b-hostile-keys',
  number: '7b',
  title: 'hostile Kafka keys and headers (NUL, 6,000-character, invalid UTF-8) on invalid commands',
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { probes, learners, commands } = p.hostileKeys;
    return runScenario(base(infra, 's7b-hostile-keys', hostileKeys.title, broker.brokers), async (w) => {
      const tag = `s7b${infra.runTag}`;
      const catalog = examCatalog(tag, 2);
      const scripts = learnerScripts({ tag, catalog, learners, commands, seed: 711 });
      const stream = interleave([...scripts, ...hostileKeysAndHeaders(tag, 712, probes)], 713);
      await w.startAttemptService();
      await w.publishExams(catalog.registrations);
      await w.publish(stream, { ratePerSec: 500 });
      await w.settle({ timeoutMs: 240_000, stallMs: 60_000 });
      w.fault(`${probes} hostile keys/headers`, `${probes} messages with hostile keys or headers: NUL in the key, 6,000-character key, invalid UTF-8 key, empty key × no header, NUL header, invalid UTF-8 header`);
    });
  },
};

const attacks: ScenarioDef = {
  id: 's7c-attacks',
  number: '7c',
  title: `issue #17's attacks one by one (1 MB header, compressed expansion, 200 KB key, forged dlq-*, hostile addresses, bidi names, email-shaped ids, empty status) during a workload; the next command answered within ${PROMPT_ANSWER_MS / 1000} s`,
  run: async (infra, p) => {
    const broker = await infra.broker();
    const { learners, commands } = p.attacks;
    return runScenario(base(infra, 's7c-attacks', attacks.title, broker.brokers), async (w) => {
      const tag = `s7c${infra.runTag}`;
      const catalog = examCatalog(tag, 2);
      const exam = catalog.courses[0].exams.find((e) => e.kind === 'final');
      if (!exam) throw new Error('no final exam in the catalog');
      // An exam whose name carries a right-to-left override, and a learner who gets its status email.
      const bidiExam = `${tag}-bidi`;
      const bidiUser = `${tag}-bidi-learner`;
      const bidi: OutMessage[] = [
        message(exam.courseId, envelope('RegisterExam', { examId: bidiExam, courseId: exam.courseId, contentId: `block-${bidiExam}`, examName: 'Passed \u202Edeliaf\u202C exam', courseName: 'Bidi 101', timeLimitMins: 60, isProctored: true, isPracticeExam: false }, `${tag}-bidi-1`)),
      ];
      const bidiLearner: OutMessage[] = [
        message(bidiUser, envelope('CreateAttempt', { examId: bidiExam, userId: bidiUser, user: { username: 'bidi', email: `${bidiUser}@learners.example.com` }, takingAsProctored: true }, `${tag}-bidi-2`)),
        message(bidiUser, envelope('UpdateAttemptStatus', { examId: bidiExam, userId: bidiUser, toStatus: 'started' }, `${tag}-bidi-3`)),
        message(bidiUser, envelope('UpdateAttemptStatus', { examId: bidiExam, userId: bidiUser, toStatus: 'submitted' }, `${tag}-bidi-4`)),
      ];
      const stream = interleave([...learnerScripts({ tag, catalog, learners, commands, seed: 721 }), bidiLearner], 722);
      await w.startAttemptService({ LOG_LEVEL: 'info' });
      await w.startStub(1, 5);
      await w.startNotifier({ LOG_LEVEL: 'info' });
      await w.publishExams([...catalog.registrations, ...bidi]);
      await concurrently(w, w.publish(stream, { ratePerSec: 150 }), () => replayAttacks(w, tag, exam));
      await w.settle({ timeoutMs: 240_000, stallMs: 60_000 });
      for (const svc of [...w.liveServices(), ...w.notifiers.filter((n) => n.alive)]) {
        const res = await fetch(`http://127.0.0.1:${svc.httpPort}/health/ready`).catch(() => null);
        if (res?.status !== 200) w.problem(`${svc.name} not ready after the attacks (${res?.status ?? 'no answer'}): ${(await res?.text()) ?? ''}`);
      }
      await waitFor(() => (w.stub?.requests ?? []).some((r) => JSON.stringify(r.body ?? {}).includes(bidiUser)), 30_000);
      for (const e of emailProblems(w.stub?.requests ?? [], bidiUser)) w.problem(`7c: ${e}`);
      for (const line of leakedInLogs(w.logDir).slice(0, 5)) w.problem(`7c: an email-shaped value in a log: ${line}`);
    });
  },
};

async function waitFor(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await delay(200);
}

export const SCENARIOS: ScenarioDef[] = [
  crash,
  notifierCrash,
  brokerOutage,
  databaseOutage,
  rebalance,
  brokerLoss,
  partition,
  hostile,
  hostileKeys,
  attacks,
  databaseLatency,
  databaseBlackhole,
  brokerLatency,
  brokerBlackhole,
  soak,
  retirementCrash,
  emailDiskFull,
  databaseDiskFull,
];

/** The scenarios of the reduced CI run. */
export const CI_SCENARIOS = ['1', '3', '7', '7b', '7c', '8b', '9'];
