import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { RETIRED_EMAIL } from '../../libs/domain/src';
import { say } from './fault-infra';
import { runScenario, type World, type WorldOptions } from './scenario-kit';
import type { Infra, Profile, ScenarioDef } from './scenarios';
import { envelope, examCatalog, interleave, learnerScripts, message, type OutMessage } from './workload';

/**
 * Issue #21: a crash between the attempt-service's commit of a RetireLearner and the notifier's scrub
 * loses neither. The notifier is killed -9 the moment the retirement is committed (before it can have
 * consumed LearnerRetired), restarted, and the workload goes on (the learner's later commands
 * included). Then: the notifier applied the retirement (its retired_learner row), its ledger holds no
 * address of the learner and nothing unsent for them, and SendGrid received nothing for the learner
 * after the restart. The verdict's usual checks hold too (the reference model knows RetireLearner).
 */

/** The learner retired: the first learner with a CreateAttempt in the stream, and their address. */
function victimOf(stream: OutMessage[]): { userId: string; email: string } {
  for (const m of stream) {
    const body = JSON.parse(String(m.value)) as { type?: string; data?: { userId?: string; user?: { email?: string } } };
    if (body.type === 'CreateAttempt' && body.data?.userId && body.data.user?.email) return { userId: body.data.userId, email: body.data.user.email };
  }
  throw new Error('no CreateAttempt in the stream');
}

/** SENDGRID_TIMEOUT_MS of the scenario's notifiers (scenario-kit.ts): the longest a send started earlier can take. */
const SEND_TIMEOUT_MS = 4000;

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await delay(50);
  }
  return false;
}

async function checkRetired(w: World, victim: { userId: string; email: string }, restartedAt: number): Promise<void> {
  const q = async (sql: string) => (await w.pool.query<{ n: string }>(sql, [victim.userId])).rows[0].n;
  if (Number(await q('SELECT count(*) AS n FROM notifier.retired_learner WHERE user_id = $1')) !== 1) {
    w.problem('the notifier did not apply LearnerRetired after its restart (no notifier.retired_learner row)');
  }
  const leaked = Number(await q(`SELECT count(*) AS n FROM notifier.email_delivery WHERE user_id = $1 AND to_address <> '${RETIRED_EMAIL}'`));
  if (leaked > 0) w.problem(`${leaked} ledger row(s) of the retired learner still hold their address`);
  const unsent = Number(await q(`SELECT count(*) AS n FROM notifier.email_delivery WHERE user_id = $1 AND status IN ('pending', 'sending', 'unknown', 'failed')`));
  if (unsent > 0) w.problem(`${unsent} unsent ledger row(s) of the retired learner were not cancelled`);
  const stored = Number(await q(`SELECT count(*) AS n FROM attempts.attempt WHERE user_id = $1 AND email <> '${RETIRED_EMAIL}'`));
  if (stored > 0) w.problem(`${stored} attempt(s) of the retired learner hold their address`);
  // Until the restarted notifier has consumed LearnerRetired it may still send the learner's pending
  // emails (it has not heard of the retirement yet). Once it has applied it, nothing may start: a
  // request that reaches SendGrid later than a send's timeout after that moment is a send that began after.
  const rows = (await w.pool.query<{ at: Date }>('SELECT retired_at AS at FROM notifier.retired_learner WHERE user_id = $1', [victim.userId])).rows;
  const scrubbedAt = rows[0]?.at.getTime() ?? Number.POSITIVE_INFINITY;
  const toVictim = (w.stub?.requests ?? []).filter((r) => r.rawBody.includes(victim.email));
  const sentAfter = toVictim.filter((r) => r.receivedAt > scrubbedAt + SEND_TIMEOUT_MS).length;
  if (sentAfter > 0) w.problem(`${sentAfter} email(s) to the retired learner reached SendGrid after the notifier applied the retirement`);
  const betweenRestartAndScrub = toVictim.filter((r) => r.receivedAt > restartedAt && r.receivedAt <= scrubbedAt + SEND_TIMEOUT_MS).length;
  const cancelled = Number(await q(`SELECT count(*) AS n FROM notifier.email_delivery WHERE user_id = $1 AND status = 'cancelled'`));
  const detail = `retired learner: ${cancelled} email(s) cancelled, ${betweenRestartAndScrub} sent after the restart before the notifier applied the retirement, ${sentAfter} after`;
  w.notes.push(`- ${detail}`);
  say(`${w.o.id}: ${detail}`);
}

export const retirementCrash: ScenarioDef = {
  id: 's10-retire-notifier-crash',
  number: '10',
  title: 'notifier killed -9 right after a RetireLearner is committed, restarted: the learner is scrubbed and never emailed again',
  run: async (infra: Infra, p: Profile) => {
    const broker = await infra.broker();
    const { learners, commands } = p.notifierCrash;
    const o: WorldOptions = {
      id: retirementCrash.id,
      title: retirementCrash.title,
      brokers: broker.brokers,
      pgServerUrl: infra.pgServerUrl,
      runDir: infra.runDir,
      runTag: infra.runTag,
    };
    return runScenario(o, async (w) => {
      const tag = `s10${infra.runTag}`;
      const catalog = examCatalog(tag, 5);
      const stream = interleave(learnerScripts({ tag, catalog, learners, commands, seed: 1001, emailBias: 0.8 }), 1002);
      const victim = victimOf(stream);
      await w.startStub(5, 60);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const half = Math.floor(stream.length / 2);
      await w.publish(stream.slice(0, half), { ratePerSec: 300 });
      // the learner has emails in flight and pending when they are retired
      await w.waitProgress(Math.floor(half / 2), 90_000);
      const retire = message(victim.userId, envelope('RetireLearner', { userId: victim.userId }, randomUUID()));
      await w.publish([retire], { ratePerSec: 1000 });
      const committed = await waitUntil(
        async () => (await w.pool.query('SELECT 1 FROM attempts.retired_learner WHERE user_id = $1', [victim.userId])).rowCount === 1,
        60_000,
      );
      if (!committed) throw new Error('the RetireLearner was not committed within 60 s');
      const notifier = w.notifiers.find((n) => n.alive);
      if (!notifier) throw new Error('no live notifier to kill');
      w.fault('kill -9 notifier after RetireLearner', `kill -9 notifier pid ${notifier.pid} right after the retirement of ${victim.userId} was committed`);
      await notifier.kill9();
      await delay(1000);
      await w.startNotifier();
      const restartedAt = Date.now();
      // the rest of the workload, the learner's later commands included
      await w.publish(stream.slice(half), { ratePerSec: 300 });
      await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
      await checkRetired(w, victim, restartedAt);
    });
  },
};
