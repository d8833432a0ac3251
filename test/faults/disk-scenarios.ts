import { watch } from 'node:fs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { say, TmpfsVolume } from './fault-infra';
import { probe, watchOutcomes } from './outcome-watch';
import { runScenario, type World, type WorldOptions } from './scenario-kit';
import type { Infra, Profile, ScenarioDef } from './scenarios';
import { examCatalog, interleave, learnerScripts } from './workload';

/**
 * A volume that fills up, then is freed (issue #15): the notifier's email folder (11) and the database's
 * data directory (12), each a small tmpfs (the suite runs as root) filled to the last byte by a filler
 * file for `faultMs`, then freed by deleting it. The services are not restarted. Each scenario measures
 * its recovery time from the moment the space is freed.
 */

/** How long recovery may take after the space is freed before the scenario fails. */
const RECOVERY_LIMIT_MS = 120_000;

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await check().catch(() => false)) return Date.now() - t0;
    await delay(100);
  }
  return null;
}

const secs = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

function options(
  infra: Infra,
  id: string,
  title: string,
  brokers: string,
  pgServerUrl: string,
): WorldOptions {
  return { id, title, brokers, pgServerUrl, runDir: infra.runDir, runTag: infra.runTag };
}

// ---- 11. the notifier's email folder fills up ----------------------------------------------------

/** Emails the file driver put in place, per event id: each `<eventId>.eml` renamed into the folder, seen by inotify. */
function countEmails(
  w: World,
  volume: TmpfsVolume,
): { stop: () => void; firstAfter: (t: number) => number | null } {
  const placed = new Map<string, number>();
  const times: number[] = [];
  const watcher = watch(volume.dir, (_type, name) => {
    if (!name?.endsWith('.eml') || name.startsWith('.')) return;
    const eventId = name.slice(0, -4);
    // 'rename' fires when the file appears (and would when it is deleted: nothing deletes here)
    placed.set(eventId, (placed.get(eventId) ?? 0) + 1);
    times.push(Date.now());
  });
  w.emailCounts = () => {
    const counts = new Map(placed);
    for (const f of readdirSync(volume.dir))
      if (f.endsWith('.eml') && !f.startsWith('.'))
        counts.set(f.slice(0, -4), Math.max(1, counts.get(f.slice(0, -4)) ?? 0));
    return counts;
  };
  return { stop: () => watcher.close(), firstAfter: (t) => times.find((x) => x >= t) ?? null };
}

export const emailDiskFull: ScenarioDef = {
  id: 's11-email-disk-full',
  number: '11',
  title:
    "the notifier's email folder (file driver, its own tmpfs) full for a while, then freed; services not restarted",
  run: async (infra: Infra, p: Profile) => {
    const broker = await infra.broker();
    const { learners, commands } = p.notifierCrash;
    const faultMs = p.network.faultMs;
    const o = options(infra, emailDiskFull.id, emailDiskFull.title, broker.brokers, infra.pgServerUrl);
    const volume = await TmpfsVolume.mount(join('/tmp', `proctoring-faults-emails-${infra.runTag}`), 16);
    let emails: ReturnType<typeof countEmails> | null = null;
    try {
      return await runScenario(o, async (w) => {
        emails = countEmails(w, volume);
        const tag = `s11${infra.runTag}`;
        const catalog = examCatalog(tag, 5);
        const stream = interleave(
          learnerScripts({ tag, catalog, learners, commands, seed: 1101, emailBias: 0.6 }),
          1102,
        );
        await w.startAttemptService();
        // the file driver: no SendGrid key; retries as fast as the other scenarios' (8 attempts ≈ 20 s)
        await w.startNotifier({ SENDGRID_API_KEY: '', EMAIL_OUTBOX_DIR: volume.dir });
        const pids = [...w.services, ...w.notifiers].map((s) => s.pid);
        await w.publishExams(catalog.registrations);
        const rate = Math.max(20, Math.round(stream.length / ((faultMs + 40_000) / 1000)));
        const ledger = async (sql: string, params: unknown[] = []) =>
          Number((await w.pool.query<{ n: string }>(sql, params)).rows[0].n);
        const results = await Promise.allSettled([
          w.publish(stream, { ratePerSec: rate }),
          (async () => {
            await until(
              async () =>
                (await ledger(`SELECT count(*) AS n FROM notifier.email_delivery WHERE status = 'sent'`)) >=
                20,
              120_000,
            );
            const filled = volume.fill();
            w.fault(
              'email folder full, then freed',
              `email folder (16 MiB tmpfs) filled with a ${(filled / 2 ** 20).toFixed(1)} MiB filler for ${faultMs / 1000} s`,
            );
            await delay(faultMs);
            const heldBack = await ledger(
              `SELECT count(*) AS n FROM notifier.email_delivery WHERE status IN ('pending', 'sending')`,
            );
            const failed = await ledger(
              `SELECT count(*) AS n FROM notifier.email_delivery WHERE status = 'failed'`,
            );
            volume.free();
            const freedAt = Date.now();
            const freedIso = new Date(freedAt).toISOString();
            const drained = await until(
              async () =>
                (await ledger(
                  `SELECT count(*) AS n FROM notifier.email_delivery WHERE created_at <= $1 AND status <> 'sent'`,
                  [freedIso],
                )) === 0,
              RECOVERY_LIMIT_MS,
            );
            const first = emails?.firstAfter(freedAt) ?? null;
            if (failed > 0)
              w.problem(
                `${failed} email(s) failed while the folder was full (given up instead of held back)`,
              );
            if (drained === null)
              w.problem(
                `the emails held back were not all written within ${RECOVERY_LIMIT_MS / 1000} s of the free`,
              );
            const detail = `email folder (16 MiB tmpfs) full for ${faultMs / 1000} s: ${heldBack} email(s) held back, ${failed} failed; freed: first email written after ${secs(first === null ? null : first - freedAt)}, all held back written after ${secs(drained)}`;
            w.faults[w.faults.length - 1] = { label: 'email folder full, then freed', detail };
            say(`${w.o.id}: ${detail}`);
          })(),
        ]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
        await w.settle({ timeoutMs: 300_000, stallMs: 120_000 });
        const temps = readdirSync(volume.dir).filter((f) => f.endsWith('.tmp'));
        if (temps.length > 0)
          w.problem(
            `${temps.length} temporary file(s) left in the email folder (${temps.slice(0, 3).join(', ')})`,
          );
        const now = [...w.services, ...w.notifiers].filter((s) => s.alive).map((s) => s.pid);
        if (pids.some((pid) => !now.includes(pid)))
          w.problem('a service had to be restarted after the email folder was full');
      });
    } finally {
      (emails as ReturnType<typeof countEmails> | null)?.stop();
      await volume.unmount();
    }
  },
};

// ---- 12. the database volume fills up ------------------------------------------------------------

/** What PostgreSQL logged about the full disk: ENOSPC errors and PANICs. */
function postgresLogSummary(dir: string): { enospc: number; panics: number; firstPanic: string | null } {
  let text = '';
  try {
    text = readFileSync(join(dir, 'postgres.log'), 'utf8');
  } catch {
    // no log
  }
  const lines = text.split('\n');
  const panics = lines.filter((l) => l.includes('PANIC:'));
  return {
    enospc: lines.filter((l) => l.includes('No space left on device')).length,
    panics: panics.length,
    firstPanic: panics[0]?.replace(/^.*PANIC:\s*/, '') ?? null,
  };
}

export const databaseDiskFull: ScenarioDef = {
  id: 's12-database-disk-full',
  number: '12',
  title:
    "a throwaway PostgreSQL's data volume (tmpfs) full for a while, then freed; services not restarted, PostgreSQL started again by the operator if it stopped",
  run: async (infra: Infra, p: Profile) => {
    const broker = await infra.broker();
    const pg = await infra.throwawayPostgres({ volumeMb: 256 });
    const volume = pg.volume;
    if (!volume) throw new Error('the throwaway PostgreSQL has no volume of its own');
    const { learners, commands } = p.databaseOutage;
    const faultMs = p.network.faultMs;
    const o = options(infra, databaseDiskFull.id, databaseDiskFull.title, broker.brokers, pg.url);
    return runScenario(o, async (w) => {
      const tag = `s12${infra.runTag}`;
      const catalog = examCatalog(tag, 3);
      const exam = catalog.courses[0].exams.find((e) => e.kind === 'final');
      if (!exam) throw new Error('no final exam');
      const stream = interleave(
        learnerScripts({ tag, catalog, learners, commands, seed: 1201, emailBias: 0.3 }),
        1202,
      );
      await w.startStub(5, 30);
      await w.startAttemptService();
      await w.startNotifier();
      await w.publishExams(catalog.registrations);
      const pids = [...w.services, ...w.notifiers].map((s) => s.pid);
      const watch = await watchOutcomes(w, tag);
      try {
        const rate = Math.max(20, Math.round(stream.length / ((faultMs + 40_000) / 1000)));
        const results = await Promise.allSettled([
          w.publish(stream, { ratePerSec: rate }),
          (async () => {
            await w.waitProgress(100, 90_000);
            const filled = volume.fill();
            w.fault(
              'database volume full, then freed',
              `database volume (256 MiB tmpfs) filled with a ${(filled / 2 ** 20).toFixed(0)} MiB filler at ${(await w.processed()) ?? '?'} commands processed`,
            );
            await delay(faultMs);
            const stoppedDuring = !pg.running();
            volume.free();
            let restarted = false;
            // PostgreSQL that PANICked and could not finish crash recovery (no space for WAL) has exited:
            // freeing space is not enough, the operator starts it again (as after any crash).
            if (!pg.running()) {
              say(`${w.o.id}: PostgreSQL is not running after the free: the operator starts it again`);
              await pg.start();
              restarted = true;
            }
            const ms = await probe(w, watch, exam, `${tag}-recovery`, RECOVERY_LIMIT_MS);
            if (ms === null)
              w.problem(
                `a command published after the free was not answered within ${RECOVERY_LIMIT_MS / 1000} s`,
              );
            const log = postgresLogSummary(pg.dir);
            const what = `${log.enospc} "No space left on device" line(s) and ${log.panics} PANIC(s) in its log${log.firstPanic ? ` (first: ${log.firstPanic.slice(0, 120)})` : ''}`;
            const pgState = restarted
              ? `PostgreSQL had exited${stoppedDuring ? ' while full' : ''}, started again by the operator`
              : 'PostgreSQL stayed up';
            const detail = `database volume (256 MiB tmpfs) full for ${faultMs / 1000} s: ${what}; freed, ${pgState}; a command published then answered after ${secs(ms)}`;
            w.faults[w.faults.length - 1] = {
              label: restarted
                ? 'database volume full, freed, PostgreSQL restarted'
                : 'database volume full, then freed',
              detail,
            };
            say(`${w.o.id}: ${detail}`);
          })(),
        ]);
        for (const r of results) if (r.status === 'rejected') throw r.reason;
        await w.settle({ timeoutMs: 300_000, stallMs: 150_000 });
      } finally {
        await watch.stop();
      }
      const now = [...w.services, ...w.notifiers].filter((s) => s.alive).map((s) => s.pid);
      if (pids.some((pid) => !now.includes(pid)))
        w.problem('a service had to be restarted after the database volume was full');
    });
  },
};
