import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ceIdFor } from '../../apps/openedx-bridge/src/openedx/event-bus-headers';
import { createAttempt, registerExam, uniq, updateStatus } from '../support/commands.factory';
import { CompiledCli } from '../support/compiled-cli';
import { expectEventually } from '../support/expect-eventually';
import { Harness, type TestCommand } from '../attempt-service/attempt-service.harness';
import { bridgeEnv, createOpenEdxTopic, OpenEdxCollector } from './openedx-bridge.fixture';

/**
 * A crash of the bridge mid-stream (SIGKILL, no drain, no offset commit) loses nothing and duplicates
 * nothing but exact re-sends: every expected Open edX event is on the topic, nothing else is, and any
 * copy of an event carries the same ce_id, key, value and headers (what event-bus-kafka consumers, whose
 * handlers are idempotent per event, tolerate).
 */
describe('Open edX event bus bridge: crash mid-stream', () => {
  const LEARNERS = 40;
  const bridgeCli = new CompiledCli('apps/openedx-bridge/src/main', 'OPENEDX_BRIDGE_DIST', 120_000);
  let h: Harness;
  let collector: OpenEdxCollector;
  let child: ChildProcess | null = null;
  let logFd: number | null = null;

  beforeAll(async () => {
    h = await Harness.start('openedx-crash');
    logFd = openSync(join(tmpdir(), `openedx-bridge-crash-${process.pid}.log`), 'a');
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await collector?.stop();
    await h?.stop();
    if (logFd !== null) closeSync(logFd);
    bridgeCli.remove();
  });

  const kill = async (c: ChildProcess): Promise<void> => {
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  };

  it('re-sends after a kill -9 with the same ce_id, and loses nothing', async () => {
    const t = await createOpenEdxTopic(3);
    collector = await OpenEdxCollector.start(t.topic);
    // The restarted instance joins the same group: the killed member's partitions are free after this.
    const env = bridgeEnv(h.topics, t.prefix, { OPENEDX_BRIDGE_SESSION_TIMEOUT_MS: '6000' });
    const run = uniq('c').slice(2);
    const course = `course-v1:CrashX+C${run}+2026`;
    const exam = uniq('exam');
    await h.run(
      registerExam({
        examId: exam,
        courseId: course,
        contentId: `block-v1:CrashX+C${run}+2026+type@sequential+block@final`,
      }),
    );
    const base = 200_000 + Math.floor(Math.random() * 700_000);
    const learners = Array.from({ length: LEARNERS }, (_, i) => String(base + i));
    const attemptIds = new Map<string, string>();
    const creations = learners.map((userId) => createAttempt({ examId: exam, userId }));
    await h.send(creations);
    for (const [i, c] of creations.entries()) {
      const created = (await h.settle(c.id)).events.find((e) => e.type === 'AttemptCreated');
      attemptIds.set(learners[i], String(created?.data.attemptId));
    }
    const chunk = (users: string[]): TestCommand[] =>
      users.flatMap((u) =>
        ['started', 'submitted', 'verified'].map((toStatus) =>
          updateStatus({ attemptId: attemptIds.get(u), userId: u, toStatus }),
        ),
      );

    child = await bridgeCli.spawn([], env, logFd ?? undefined);
    const firstHalf = chunk(learners.slice(0, 20));
    await h.send(firstHalf);
    // Kill it while it works through the first half.
    await expectEventually(() => expect(collector.messages.length).toBeGreaterThanOrEqual(6), 60_000, 10);
    await kill(child);
    const atKill = collector.messages.length;
    const second = chunk(learners.slice(20));
    await h.send(second);
    // Every command's outcome, not only the last one sent: learners sit on different partitions, so the
    // last command answered says nothing of the others (CI once computed the expected set 10 events short).
    for (const c of [...firstHalf, ...second]) await h.settle(c.id);

    child = await bridgeCli.spawn([], env, logFd ?? undefined);
    const expected = new Set(
      h
        .events()
        .filter(
          (e) =>
            e.type === 'AttemptStatusChanged' && ['submitted', 'verified'].includes(String(e.data.toStatus)),
        )
        .map((e) => ceIdFor(e.id, e.data.toStatus === 'submitted' ? 'submitted' : 'verified')),
    );
    expect(expected.size).toBe(2 * LEARNERS);
    await expectEventually(
      () => expect(new Set(collector.messages.map((m) => m.headers.ce_id)).size).toBe(expected.size),
      90_000,
      100,
    );
    await kill(child);
    child = null;

    expect(atKill).toBeLessThan(2 * LEARNERS);
    expect(new Set(collector.messages.map((m) => m.headers.ce_id))).toEqual(expected);
    // Every copy of an event is the same message.
    const first = new Map<string, (typeof collector.messages)[number]>();
    for (const m of collector.messages) {
      const f = first.get(m.headers.ce_id);
      if (!f) {
        first.set(m.headers.ce_id, m);
        continue;
      }
      expect(m.key.equals(f.key)).toBe(true);
      expect(m.value.equals(f.value)).toBe(true);
      expect(m.headers).toEqual(f.headers);
      expect(m.partition).toBe(f.partition);
    }
    // Per learner, submitted comes before verified (first copies, one partition per key).
    for (const userId of learners) {
      const mine = collector.messages.filter((m) => m.value.includes(Buffer.from(`name-${userId}`)));
      const types = mine.map((m) => m.headers.ce_type.split('.')[5]);
      expect(types.indexOf('submitted')).toBeLessThan(types.indexOf('verified'));
    }
  });
});
