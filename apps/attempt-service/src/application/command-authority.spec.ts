import type { Command } from '../../../../libs/contracts/src';
import { authorize, CLI_CHANNEL, COMMANDS_CHANNEL, REVIEW_OUTCOME_STATUSES, reviewChannel } from './command-authority';

const update = (toStatus: string): Command =>
  ({
    specversion: '1.0',
    id: 'c1',
    source: 'lms',
    type: 'UpdateAttemptStatus',
    data: { examId: 'e', userId: 'u', toStatus },
  });
const create = (): Command =>
  ({
    specversion: '1.0',
    id: 'c2',
    source: 'lms',
    type: 'CreateAttempt',
    data: { examId: 'e', userId: 'u', user: { username: 'n', email: 'n@example.org' }, takingAsProctored: true },
  });

const legacy = { legacyReviewStatusUpdates: true };
const strict = { legacyReviewStatusUpdates: false };

describe('authorize (SPEC §8.4: authority follows the topic)', () => {
  it('accepts every command but a review outcome from the commands topic, as before', () => {
    for (const s of ['started', 'submitted', 'error', 'declined', 'timed_out', 'nonsense', ''])
      expect(authorize(COMMANDS_CHANNEL, update(s), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
    expect(authorize(COMMANDS_CHANNEL, create(), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
  });

  it.each(REVIEW_OUTCOME_STATUSES)('an UpdateAttemptStatus to %s from the commands topic: legacy (counted) when allowed, FORBIDDEN when not', (s) => {
    expect(authorize(COMMANDS_CHANNEL, update(s), legacy)).toEqual({ allowed: true, legacyReviewStatus: true });
    expect(authorize(COMMANDS_CHANNEL, update(s), strict)).toMatchObject({ allowed: false, rejection: { kind: 'rejected', reason: 'FORBIDDEN' } });
  });

  it('lets the operators command line (staff) set any status', () => {
    for (const s of REVIEW_OUTCOME_STATUSES) expect(authorize(CLI_CHANNEL, update(s), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
  });

  it('forbids any command but a review on a review topic', () => {
    expect(authorize(reviewChannel('proctortrack'), update('started'), legacy)).toMatchObject({ allowed: false, rejection: { reason: 'FORBIDDEN' } });
    expect(authorize(reviewChannel('proctortrack'), create(), legacy)).toMatchObject({ allowed: false, rejection: { reason: 'FORBIDDEN' } });
  });

  it('names the rule in its message', () => {
    const r = authorize(COMMANDS_CHANNEL, update('verified'), strict);
    if (r.allowed) throw new Error('expected FORBIDDEN');
    expect(r.rejection.message).toMatch(/review outcome/);
  });
});
