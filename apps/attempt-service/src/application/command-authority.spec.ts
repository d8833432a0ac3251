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

  const review = (source: string, reviewedBy?: string): Command => ({
    specversion: '1.0',
    id: 'r1',
    source,
    type: 'RecordReview',
    data: { attemptCode: 'A1', reviewId: 'x', reviewStatus: 'passed', ...(reviewedBy ? { reviewedBy } : {}) },
  });

  it("accepts on a review topic only its provider's RecordReview: source provider:<name>, no reviewedBy (SPEC §8.1)", () => {
    const ch = reviewChannel('proctortrack');
    expect(authorize(ch, review('provider:proctortrack'), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
    for (const c of [review('provider:software_secure'), review('lms'), review('provider:proctortrack ', undefined), review('provider:proctortrack', 'staff-1')])
      expect(authorize(ch, c, legacy)).toMatchObject({ allowed: false, rejection: { reason: 'FORBIDDEN' } });
  });

  it('accepts a RecordReview on the commands topic only as a staff second review (reviewedBy); the CLI always', () => {
    expect(authorize(COMMANDS_CHANNEL, review('staff-tools', 'staff-1'), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
    expect(authorize(COMMANDS_CHANNEL, review('provider:proctortrack'), legacy)).toMatchObject({ allowed: false, rejection: { reason: 'FORBIDDEN' } });
    expect(authorize(CLI_CHANNEL, review('ops'), strict)).toEqual({ allowed: true, legacyReviewStatus: false });
  });

  it('names the rule in its message', () => {
    const r = authorize(COMMANDS_CHANNEL, update('verified'), strict);
    if (r.allowed) throw new Error('expected FORBIDDEN');
    expect(r.rejection.message).toMatch(/review outcome/);
  });
});
