import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { attemptDataSourceOptions } from '../../apps/attempt-service/src/persistence/data-source';
import { ensureDatabase } from '../../libs/platform/src/database/ensure-database';
import { command, createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { expectEventually } from '../support/expect-eventually';
import { TEST_DATABASE_URL } from '../support/test-env';
import { Harness, ids, type TestCommand } from './attempt-service.harness';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * SPEC §4: a broker outage only grows the outbox backlog; nothing is lost or applied twice. The suite
 * runs its own throwaway broker (never the shared one) and its own database: the outbox relay is one
 * leader per database, and it must not try to publish other suites' rows to this broker, nor block
 * theirs while this broker is down.
 */
describe('attempt-service: a broker outage while commands are processed', () => {
  const port = Number(process.env.OUTAGE_KAFKA_PORT ?? 19192);
  const brokers = `127.0.0.1:${port}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'proctoring-outage-'));
  const dbUrl = (() => {
    const u = new URL(TEST_DATABASE_URL);
    // beside the run's own test database (TEST_DATABASE_URL), so that two runs never share it
    u.pathname = `${u.pathname.replace(/\/$/, '')}_outage`;
    return u.toString();
  })();
  const kafkaEnv = { ...process.env, KAFKA_PORT: String(port), KAFKA_STATE_DIR: stateDir, KAFKA_BROKERS: brokers };
  const kafka = (cmd: 'start' | 'stop' | 'resume') => run('bash', ['scripts/kafka.sh', cmd], { cwd: ROOT, env: kafkaEnv, timeout: 120_000 });
  let h: Harness;

  beforeAll(async () => {
    await kafka('start');
    await ensureDatabase(dbUrl);
    const ds = new DataSource(attemptDataSourceOptions(dbUrl));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    h = await Harness.start('outage', {
      brokers,
      databaseUrl: dbUrl,
      startService: false,
      env: { COMMAND_BATCH_SIZE: '10', PARTITIONS_CONSUMED_CONCURRENTLY: '1', CONSUMER_LAG_INTERVAL_MS: '0' },
    });
  }, 150_000);

  afterAll(async () => {
    await h?.stop();
    await kafka('stop').catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('every event of commands published before the outage and after the restart arrives, once in effect', async () => {
    const { courseId, exam, user } = ids('outage');
    const learners = Array.from({ length: 25 }, (_, i) => user(i));
    const before: TestCommand[] = [
      registerExam({ examId: exam(1), courseId, contentId: 'block-1' }),
      registerExam({ examId: exam(2), courseId, contentId: 'block-2' }),
      ...learners.map((userId) => createAttempt({ examId: exam(1), userId })),
    ];
    const cmdsBefore = learners.flatMap((userId, i): TestCommand[] => [
      updateStatus({ examId: exam(1), userId, toStatus: 'started' }),
      // every fifth learner declines: a cascade creates and declines the attempt at exam 2
      updateStatus({ examId: exam(1), userId, toStatus: i % 5 === 0 ? 'declined' : 'submitted' }),
    ]);

    await h.startService();

    // exams first (keyed by course), then the attempts (keyed by learner): they must not race
    for (const batch of [before.slice(0, 2), before.slice(2)]) {
      await h.send(batch);
      for (const c of batch) await h.outcomeOf(c.id, 60_000);
    }
    // by now the relay is publishing through a connected producer

    // Keep one learner's attempt row locked: the batch that changes it stalls in its transaction,
    // so the broker goes away while a batch is in flight. Its database commit then succeeds after the
    // broker is gone; if its offset commit fails, the batch comes again after the restart (a no-op).
    const rowLock = new Client({ connectionString: dbUrl });
    await rowLock.connect();
    try {
      await rowLock.query('BEGIN');
      await rowLock.query('SELECT id FROM attempts.attempt WHERE user_id = $1 FOR UPDATE', [learners[7]]);
      await h.send(cmdsBefore);
      await expectEventually(async () => {
        const { rows: waiting } = await h.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND state = 'active'`,
        );
        if (waiting[0].n === 0) throw new Error(`no batch waits for the row lock yet (${await processed(cmdsBefore)} processed)`);
      }, 60_000, 50);
      await h.disconnectClients();
      await kafka('stop');
    } finally {
      await rowLock.query('COMMIT').catch(() => undefined);
      await rowLock.end();
    }
    // the stalled batch commits in PostgreSQL now, with the broker gone
    await expectEventually(async () => {
      if ((await processed([cmdsBefore[7 * 2]])) !== 1) throw new Error('the stalled batch has not committed');
    }, 30_000, 50);
    // its events, committed with the broker gone, wait in the outbox while the relay fails and retries
    expect(await unpublished()).toBeGreaterThan(0);

    await kafka('resume');
    await h.reconnectClients();
    const cmdsAfter = learners.map((userId, i) =>
      i % 5 === 0 ? command('RemoveAttempt', { examId: exam(2), userId }) : updateStatus({ examId: exam(1), userId, toStatus: 'verified' }),
    );
    await h.send(cmdsAfter);

    const all = [...before, ...cmdsBefore, ...cmdsAfter];
    await expectEventually(() => {
      const missing = all.filter((c) => !h.events().some((e) => e.data?.commandId === c.id));
      if (missing.length > 0) throw new Error(`${missing.length} commands without an outcome`);
    }, 60_000, 250);
    // the outbox drained, and every row of this suite reached its topic
    await expectEventually(async () => {
      const n = await unpublished();
      if (n !== 0) throw new Error(`${n} outbox rows unpublished`);
    }, 30_000, 200);
    const { rows: outbox } = await h.db.query<{ event_id: string }>('SELECT event_id FROM attempts.outbox_message WHERE topic = ANY($1::text[])', [myTopics()]);
    await expectEventually(() => {
      const seen = new Set(h.eventMessages().map((m) => m.json?.id as string));
      const lost = outbox.filter((r) => !seen.has(r.event_id));
      if (lost.length > 0) throw new Error(`${lost.length} of ${outbox.length} events not on the topics`);
    }, 30_000, 200);
    expect(outbox.length).toBeGreaterThan(all.length);

    // exactly one outcome per command (an event re-published after the outage keeps its id)
    for (const c of all) {
      const outcomes = new Set(h.events().filter((e) => e.data?.commandId === c.id).map((e) => e.id));
      expect(outcomes.size).toBe(1);
    }
    expect(h.events().filter((e) => e.type === 'CommandRejected')).toEqual([]);

    // no duplicate effects in PostgreSQL
    const { rows: attempts } = await h.db.query<{ id: string; exam_id: string; user_id: string; status: string; version: number }>('SELECT id, exam_id, user_id, status, version FROM attempts.attempt WHERE user_id = ANY($1::text[]) ORDER BY user_id, exam_id', [
      learners,
    ]);
    const expected = learners.flatMap((userId, i) =>
      i % 5 === 0 ? [{ exam_id: exam(1), user_id: userId, status: 'declined', version: 3 }] : [{ exam_id: exam(1), user_id: userId, status: 'verified', version: 4 }],
    );
    expect(attempts.map(({ id: _id, ...rest }) => rest)).toEqual(expected.sort((a, b) => a.user_id.localeCompare(b.user_id)));
    const { rows: versions } = await h.db.query<{ attempt_id: string; versions: number[] }>(
      `SELECT attempt_id, array_agg(version ORDER BY id) AS versions FROM attempts.attempt_transition
        WHERE attempt_id IN (SELECT id FROM attempts.attempt WHERE user_id = ANY($1::text[])
                             UNION SELECT attempt_id FROM attempts.attempt_history WHERE user_id = ANY($1::text[]))
        GROUP BY attempt_id`,
      [learners],
    );
    expect(versions).toHaveLength(learners.length + learners.length / 5);
    for (const v of versions) expect(v.versions).toEqual(Array.from({ length: (v.versions).length }, (_, i) => i + 1));
    const { rows: archived } = await h.db.query('SELECT count(*)::int AS n FROM attempts.attempt_history WHERE user_id = ANY($1::text[])', [learners]);
    expect(archived[0].n).toBe(learners.length / 5);
    expect(h.assertContract()).toBeGreaterThan(all.length);
  });

  function myTopics(): string[] {
    return [h.topics.attemptEvents, h.topics.credentialEvents, h.topics.commandsDlq];
  }

  async function processed(cmds: TestCommand[]): Promise<number> {
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM attempts.processed_command WHERE command_id = ANY($1::text[])', [cmds.map((c) => c.id)]);
    return rows[0].n as number;
  }

  async function unpublished(): Promise<number> {
    const { rows } = await h.db.query('SELECT count(*)::int AS n FROM attempts.outbox_pending p JOIN attempts.outbox_message m ON m.id = p.id WHERE m.topic = ANY($1::text[])', [myTopics()]);
    return rows[0].n as number;
  }
});
