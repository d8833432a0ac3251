import { setTimeout as delay } from 'node:timers/promises';
import { FaultProxy, type ProxyFaults } from '../support/fault-proxy';
import { say, type OwnBroker } from './fault-infra';
import { probe, watchOutcomes } from './outcome-watch';
import { runScenario, type World, type WorldOptions } from './scenario-kit';
import type { Infra, Profile, ScenarioDef } from './scenarios';
import { examCatalog, interleave, learnerScripts, type ExamSpec } from './workload';

/**
 * Faults that are not clean (issue #15): a slow, lossy or silent network between the attempt-service
 * and PostgreSQL (8a, 8b) or the Kafka broker (8c, 8d), through a FaultProxy in the path (this kernel
 * has no netem). Each scenario measures its recovery time: from the moment the network is healthy
 * again until a probe command published then is answered on the events topic.
 */

export interface NetworkProfile {
  learners: number;
  commands: number;
  /** How long the fault lasts. */
  faultMs: number;
}

/** How long a probe may take after the network healed before the scenario fails. */
const RECOVERY_LIMIT_MS = 120_000;

async function underNetworkFault(
  w: World,
  proxy: FaultProxy,
  exam: ExamSpec,
  tag: string,
  fault: { label: string; faults: Partial<ProxyFaults>; forMs: number },
): Promise<void> {
  const watch = await watchOutcomes(w, tag);
  try {
    await w.waitProgress(100, 90_000);
    w.fault(fault.label, `${fault.label} for ${fault.forMs / 1000} s`);
    proxy.set(fault.faults);
    await delay(fault.forMs);
    proxy.heal();
    const ms = await probe(w, watch, exam, `${tag}-recovery`, RECOVERY_LIMIT_MS);
    if (ms === null) w.problem(`${fault.label}: a command published when the network healed was not answered within ${RECOVERY_LIMIT_MS / 1000} s`);
    const hung = proxy.hungConnections;
    const detail = `${fault.label} for ${fault.forMs / 1000} s (${proxy.stats.connections} connections, ${proxy.stats.resets} reset${fault.faults.afterBlackhole === 'hung' ? `, ${hung} left hung` : ''}); recovered in ${ms === null ? '—' : (ms / 1000).toFixed(1)} s`;
    w.faults[w.faults.length - 1] = { label: fault.label, detail };
    say(`${w.o.id}: ${detail}`);
  } finally {
    await watch.stop();
  }
}

/** The attempt-service reaches the scenario's database through a proxy (its DATABASE_URL); everything else directly. */
async function databaseBehindProxy(w: World): Promise<{ proxy: FaultProxy; env: NodeJS.ProcessEnv }> {
  const direct = new URL(w.dbUrl);
  const proxy = await FaultProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
  const url = new URL(w.dbUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, env: { DATABASE_URL: url.toString() } };
}

/**
 * The attempt-service reaches the broker through a proxy: it bootstraps on the proxy, which forwards to
 * the broker's proxied listener, and that listener advertises the proxy's port, so every connection the
 * service opens (metadata, each partition leader, the group coordinator) stays behind the proxy. The
 * suite's producer and observers use the broker's own listener.
 */
async function brokerBehindProxy(broker: OwnBroker): Promise<{ proxy: FaultProxy; env: NodeJS.ProcessEnv }> {
  if (!broker.proxied) throw new Error("the suite's broker has no proxied listener");
  const proxy = await FaultProxy.start({ host: '127.0.0.1', port: broker.proxied.listenerPort }, { listenPort: broker.proxied.advertisedPort });
  return { proxy, env: { KAFKA_BROKERS: `127.0.0.1:${proxy.port}` } };
}

type Path = 'database' | 'broker';

function networkScenario(
  number: string,
  id: string,
  title: string,
  path: Path,
  faults: Partial<ProxyFaults>,
  profile: (p: Profile) => NetworkProfile,
  seed: number,
): ScenarioDef {
  const def: ScenarioDef = {
    id,
    number,
    title,
    run: async (infra: Infra, p: Profile) => {
      const broker = await infra.broker();
      const { learners, commands, faultMs } = profile(p);
      const o: WorldOptions = { id, title, brokers: broker.brokers, pgServerUrl: infra.pgServerUrl, runDir: infra.runDir, runTag: infra.runTag };
      return runScenario(o, async (w) => {
        const tag = `${id.split('-')[0]}${infra.runTag}`;
        const catalog = examCatalog(tag, 3);
        const exam = catalog.courses[0].exams.find((e) => e.kind === 'final');
        if (!exam) throw new Error('no final exam');
        const stream = interleave(learnerScripts({ tag, catalog, learners, commands, seed }), seed + 1);
        const { proxy, env } = path === 'database' ? await databaseBehindProxy(w) : await brokerBehindProxy(broker);
        try {
          await w.startAttemptService(env);
          await w.publishExams(catalog.registrations);
          const rate = Math.max(20, Math.round(stream.length / ((faultMs + 40_000) / 1000)));
          const results = await Promise.allSettled([
            w.publish(stream, { ratePerSec: rate }),
            underNetworkFault(w, proxy, exam, tag, { label: title.split(':')[0], faults, forMs: faultMs }),
          ]);
          for (const r of results) if (r.status === 'rejected') throw r.reason;
          await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
        } finally {
          await proxy.close();
        }
      });
    },
  };
  return def;
}

export const databaseLatency = networkScenario(
  '8a',
  's8a-db-latency-loss',
  'PostgreSQL latency and loss: 200 ms ± 50 ms per chunk each way, 5 % of connections reset, between the attempt-service and its database',
  'database',
  { delayMs: 200, jitterMs: 50, resetRate: 0.05, resetWithinMs: 10_000 },
  (p) => p.network,
  801,
);

export const databaseBlackhole = networkScenario(
  '8b',
  's8b-db-blackhole',
  'PostgreSQL blackhole: connections to the database hang (nothing refused, nothing answered); new ones work again after, the caught ones stay hung',
  'database',
  { blackhole: true, afterBlackhole: 'hung' },
  (p) => ({ ...p.network, faultMs: p.network.blackholeMs }),
  811,
);

export const brokerLatency = networkScenario(
  '8c',
  's8c-kafka-latency-loss',
  // a client keeps few, long-lived connections to a broker: 25 % per 10 s, so the 40 s fault resets several
  'Kafka latency and loss: 200 ms ± 50 ms per chunk each way, 25 % of connections reset per 10 s, between the attempt-service and the broker',
  'broker',
  { delayMs: 200, jitterMs: 50, resetRate: 0.25, resetWithinMs: 10_000 },
  (p) => p.network,
  821,
);

export const brokerBlackhole = networkScenario(
  '8d',
  's8d-kafka-blackhole',
  'Kafka blackhole: connections to the broker hang (nothing refused, nothing answered); new ones work again after, the caught ones stay hung',
  'broker',
  { blackhole: true, afterBlackhole: 'hung' },
  (p) => ({ ...p.network, faultMs: p.network.blackholeMs }),
  831,
);
