import {
  COMPLETED_STATUSES,
  CREDIT_NAMESPACE,
  DEFAULT_CASCADE_STATUSES,
  INCOMPLETE_STATUSES,
  STATUSES,
  creditStatusFor,
  isCompleted,
  isIncomplete,
  isStatus,
  needsStatusEmail,
  statusAlias,
  updatesCredit,
  type Status,
} from './statuses';

describe('statuses (SPEC §2 table)', () => {
  it('has the 14 statuses of 0.12.2 in SPEC order', () => {
    expect(STATUSES).toEqual([
      'eligible',
      'created',
      'download_software_clicked',
      'ready_to_start',
      'started',
      'ready_to_submit',
      'declined',
      'timed_out',
      'submitted',
      'second_review_required',
      'verified',
      'rejected',
      'not_reviewed',
      'error',
    ]);
  });

  it('splits them into incomplete and completed, each status in exactly one', () => {
    const incomplete = STATUSES.filter(isIncomplete);
    const completed = STATUSES.filter(isCompleted);
    expect(incomplete).toEqual([
      'eligible',
      'created',
      'download_software_clicked',
      'ready_to_start',
      'started',
      'ready_to_submit',
    ]);
    expect(completed).toEqual([
      'declined',
      'timed_out',
      'submitted',
      'second_review_required',
      'verified',
      'rejected',
      'not_reviewed',
      'error',
    ]);
    expect(INCOMPLETE_STATUSES).toEqual(incomplete);
    expect(COMPLETED_STATUSES).toEqual(completed);
  });

  it('credit-updating statuses and their credit status (seed era: declined is failed)', () => {
    expect(STATUSES.filter(updatesCredit)).toEqual([
      'declined',
      'submitted',
      'verified',
      'rejected',
      'not_reviewed',
      'error',
    ]);
    const table = Object.fromEntries(STATUSES.map((s) => [s, creditStatusFor(s)]));
    expect(table).toEqual({
      eligible: null,
      created: null,
      download_software_clicked: null,
      ready_to_start: null,
      started: null,
      ready_to_submit: null,
      declined: 'failed',
      timed_out: null,
      submitted: 'submitted',
      second_review_required: null,
      verified: 'satisfied',
      rejected: 'failed',
      not_reviewed: 'failed',
      error: 'failed',
    });
    expect(CREDIT_NAMESPACE).toBe('proctored_exam');
  });

  it('the default cascade set is rejected and declined', () => {
    expect(DEFAULT_CASCADE_STATUSES).toEqual(['rejected', 'declined']);
  });

  it('only rejected, submitted and verified need the status email', () => {
    expect(STATUSES.filter(needsStatusEmail)).toEqual(['submitted', 'verified', 'rejected']);
  });

  it('aliases: submitted pending, verified satisfactory, rejected unsatisfactory, every other status empty', () => {
    for (const s of STATUSES) {
      const want =
        { submitted: 'pending', verified: 'satisfactory', rejected: 'unsatisfactory' }[s as string] ?? '';
      expect([s, statusAlias(s)]).toEqual([s, want]);
    }
  });

  it('isStatus is exact and case-sensitive', () => {
    for (const s of STATUSES) expect(isStatus(s)).toBe(true);
    for (const bad of [
      'bad',
      'Verified',
      'VERIFIED',
      ' verified',
      'verified ',
      '',
      'expired',
      'onboarding_reset',
      'ready_to_resume',
    ]) {
      expect([bad, isStatus(bad)]).toEqual([bad, false]);
    }
  });

  it('isStatus is false for non-strings and for object prototype names', () => {
    for (const bad of [
      undefined,
      null,
      0,
      1,
      true,
      {},
      [],
      ['verified'],
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
    ]) {
      expect(isStatus(bad)).toBe(false);
    }
  });

  it('the predicates answer false (or empty) for a value that is not a status at run time', () => {
    const legacy = 'expired' as Status;
    expect([
      isCompleted(legacy),
      isIncomplete(legacy),
      updatesCredit(legacy),
      needsStatusEmail(legacy),
    ]).toEqual([false, false, false, false]);
    expect([statusAlias(legacy), creditStatusFor(legacy)]).toEqual(['', null]);
    expect(isCompleted('constructor' as Status)).toBe(false);
  });
});
