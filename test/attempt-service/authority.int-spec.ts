import { createAttempt, registerExam, updateStatus } from '../support/commands.factory';
import { Harness, ids, type RunResult } from './attempt-service.harness';

/** SPEC §8.4 on the commands topic: review outcomes are a legacy path there; ids are per channel. */
describe('attempt-service: which command is accepted from the commands topic', () => {
  let strict: Harness;
  let legacy: Harness;

  beforeAll(async () => {
    strict = await Harness.start('authority-strict', { env: { LEGACY_REVIEW_STATUS_UPDATES: 'false' } });
    legacy = await Harness.start('authority-legacy');
  });

  afterAll(async () => {
    await strict?.stop();
    await legacy?.stop();
  });

  const types = (r: RunResult) => r.events.map((e) => e.type);

  async function startedAttempt(h: Harness, tag: string): Promise<{ examId: string; userId: string }> {
    const { courseId, exam, user } = ids(tag);
    const examId = exam();
    const userId = user();
    await h.run(registerExam({ examId, courseId }));
    await h.run(createAttempt({ examId, userId }));
    await h.run(updateStatus({ examId, userId, toStatus: 'started' }));
    return { examId, userId };
  }

  it.each(['verified', 'rejected', 'second_review_required', 'not_reviewed'])(
    'refuses an UpdateAttemptStatus to %s with FORBIDDEN when LEGACY_REVIEW_STATUS_UPDATES=false, changing nothing',
    async (toStatus) => {
      const { examId, userId } = await startedAttempt(strict, `strict-${toStatus}`);
      const r = await strict.run(updateStatus({ examId, userId, toStatus }));
      expect(types(r)).toEqual(['CommandRejected']);
      expect(r.outcome.data).toMatchObject({ reason: 'FORBIDDEN', commandType: 'UpdateAttemptStatus' });
      expect((await strict.attemptFor(examId, userId))?.status).toBe('started');
      // the other statuses stay open to the platform
      const submitted = await strict.run(updateStatus({ examId, userId, toStatus: 'submitted' }));
      expect(types(submitted)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
    },
  );

  it('accepts it by default and counts each use in /metrics', async () => {
    const { examId, userId } = await startedAttempt(legacy, 'legacy');
    const r = await legacy.run(updateStatus({ examId, userId, toStatus: 'verified' }));
    expect(types(r)).toEqual(['AttemptStatusChanged', 'CredentialRequirementUpdated', 'CommandProcessed']);
    const metrics = await (await fetch(`${legacy.services[0].url}/metrics`)).text();
    expect(metrics).toMatch(/^proctoring_legacy_review_status_updates_total(\{[^}]*\})? 1$/m);
  });
});
