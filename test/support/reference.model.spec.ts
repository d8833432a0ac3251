import { envelope, OTHER_SOURCE } from '../faults/workload';
import { ReferenceModel } from './reference.model';
import type { ProvidersConfig } from '../../libs/domain/src';

const providers: ProvidersConfig = {
  defaults: { CASCADE_STATUSES: ['rejected', 'declined'] },
  providers: { software_secure: { ALLOW_TIMED_OUT_STATE: false } },
};

const json = (type: string, data: unknown, id: string, source?: string) => JSON.stringify(envelope(type, data, id, source));
const exam = (examId: string, contentId: string, extra: Record<string, unknown> = {}) =>
  json('RegisterExam', { examId, courseId: 'c1', contentId, examName: examId, timeLimitMins: 600, isProctored: true, isPracticeExam: false, ...extra }, `reg-${examId}`);
const create = (examId: string, id: string, takingAsProctored = true) =>
  json('CreateAttempt', { examId, userId: 'u1', user: { username: 'u', email: 'u@x.test' }, takingAsProctored }, id);
const update = (examId: string, toStatus: string, id: string) => json('UpdateAttemptStatus', { examId, userId: 'u1', toStatus }, id);

function model(): ReferenceModel {
  const m = new ReferenceModel([], providers, () => new Date('2025-11-25T10:00:00Z'));
  m.accept(exam('final', 'b1'));
  m.accept(exam('mid', 'b2', { provider: 'software_secure' }));
  m.accept(exam('practice', 'b3', { isPracticeExam: true }));
  return m;
}

describe('the reference model of the fault suite', () => {
  it('applies a flow and expects its events', () => {
    const m = model();
    expect(m.accept(create('final', 'c1'))).toEqual({ kind: 'applied', commandType: 'CreateAttempt' });
    expect(m.accept(update('final', 'started', 'c2'))).toEqual({ kind: 'applied', commandType: 'UpdateAttemptStatus' });
    expect(m.accept(update('final', 'submitted', 'c3'))).toEqual({ kind: 'applied', commandType: 'UpdateAttemptStatus' });
    expect(m.state().get('final\u0000u1')).toMatchObject({ status: 'submitted', version: 3, takingAsProctored: true });
    expect(m.expectedEvents.get('AttemptStatusChanged|c3|final|u1|started>submitted|v3|tap1')).toBe(1);
    expect(m.expectedEvents.get('CredentialRequirementUpdated|c3|final|u1|submitted|v3')).toBe(1);
    expect([...m.emailEvents.keys()]).toEqual(['AttemptStatusChanged|c3|final|u1|started>submitted|v3|tap1']);
  });

  it('claims (source, id): a repeat with another payload is a duplicate, another source is a new command', () => {
    const m = model();
    m.accept(create('final', 'c1'));
    expect(m.accept(update('final', 'started', 'c1'))).toEqual({ kind: 'duplicate' });
    expect(m.accept(json('UpdateAttemptStatus', { examId: 'final', userId: 'u1', toStatus: 'started' }, 'c1', OTHER_SOURCE)).kind).toBe('applied');
    expect(m.expectedOutcomes.get('c1')).toBe(2);
  });

  it('rejects as the service does, and dead-letters what has no readable id', () => {
    const m = model();
    expect(m.accept(update('final', 'started', 'x1'))).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    m.accept(create('final', 'x2'));
    expect(m.accept(update('final', 'Verified', 'x3'))).toMatchObject({ reason: 'INVALID_STATUS' });
    m.accept(update('final', 'submitted', 'x4'));
    expect(m.accept(update('final', 'started', 'x5'))).toMatchObject({ reason: 'ILLEGAL_TRANSITION' });
    expect(m.accept(create('nope', 'x6'))).toMatchObject({ reason: 'EXAM_NOT_FOUND' });
    expect(m.accept(create('final', 'x7'))).toMatchObject({ reason: 'ATTEMPT_ALREADY_EXISTS' });
    expect(m.accept(json('CancelAttempt', {}, 'x8'))).toMatchObject({ reason: 'UNKNOWN_COMMAND_TYPE' });
    expect(m.accept('{"source":"s"}')).toMatchObject({ kind: 'dead-lettered' });
    expect(m.deadLetters).toHaveLength(1);
  });

  it('cascades a decline to the other proctored exams, creating what is missing', () => {
    const m = model();
    m.accept(create('final', 'd1'));
    m.accept(update('final', 'declined', 'd2'));
    const s = m.state();
    expect(s.get('final\u0000u1')).toMatchObject({ status: 'declined', takingAsProctored: false });
    expect(s.get('mid\u0000u1')).toMatchObject({ status: 'declined', version: 2 });
    expect(s.has('practice\u0000u1')).toBe(false);
    expect(m.expectedEvents.get('AttemptCreated|d2|mid|u1|created|v1|tap0')).toBe(1);
    expect(m.expectedEvents.get('AttemptStatusChanged|d2|mid|u1|created>declined|v2|tap0|cascade')).toBe(1);
  });

  it('aliases timed_out per provider and replaces a sample attempt', () => {
    const m = model();
    m.accept(create('mid', 't1'));
    m.accept(update('mid', 'timed_out', 't2'));
    expect(m.state().get('mid\u0000u1')).toMatchObject({ status: 'submitted' });
    m.accept(create('practice', 't3'));
    expect(m.accept(create('practice', 't4')).kind).toBe('applied');
    expect(m.history.get('practice\u0000u1')).toBe(1);
    expect(m.expectedEvents.get('AttemptRemoved|t4|practice|u1|replaced|created')).toBe(1);
  });

  it('never resolves an attempt id or code: publishers never learn the service-assigned ones', () => {
    const m = model();
    m.accept(create('final', 'n1'));
    const byId = json('UpdateAttemptStatus', { attemptId: '00000000-0000-4000-8000-000000000000', toStatus: 'started' }, 'n2');
    expect(m.accept(byId)).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    const both = json('UpdateAttemptStatus', { attemptCode: 'X', examId: 'final', userId: 'u1', toStatus: 'started' }, 'n3');
    expect(m.accept(both)).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
  });

  it('applies a staff second review (SPEC §8.1) as the handler: FORBIDDEN without reviewedBy, the status through the rules', () => {
    const m = model();
    m.accept(create('mid', 'r1'));
    m.accept(update('mid', 'started', 'r2'));
    m.accept(update('mid', 'submitted', 'r3'));
    const code = m.attempt('mid', 'u1')!.attemptCode;
    const review = (id: string, data: Record<string, unknown>) => m.accept(json('RecordReview', { attemptCode: code, reviewId: 'rv', ...data }, id));
    expect(review('r4', { reviewStatus: 'passed' })).toEqual({ kind: 'rejected', commandType: 'RecordReview', reason: 'FORBIDDEN' });
    expect(review('r5', { reviewStatus: 'clean', reviewedBy: 's' })).toEqual({ kind: 'rejected', commandType: 'RecordReview', reason: 'INVALID_REVIEW_STATUS' });
    expect(m.accept(json('RecordReview', { attemptCode: 'nope', reviewId: 'rv', reviewStatus: 'passed', reviewedBy: 's' }, 'r6'))).toMatchObject({ reason: 'ATTEMPT_NOT_FOUND' });
    expect(review('r7', { reviewStatus: 'Suspicious', reviewedBy: 's' })).toEqual({ kind: 'applied', commandType: 'RecordReview' });
    expect(m.attempt('mid', 'u1')).toMatchObject({ status: 'rejected' });
    expect([...m.expectedEvents.keys()].filter((k) => k.startsWith('AttemptReviewed|r7'))).toEqual(['AttemptReviewed|r7|mid|u1|suspicious|rejected|update0']);
    expect(review('r8', { reviewStatus: 'passed', reviewedBy: 's' })).toEqual({ kind: 'applied', commandType: 'RecordReview' });
    expect([...m.expectedEvents.keys()].filter((k) => k.startsWith('AttemptReviewed|r8'))).toEqual(['AttemptReviewed|r8|mid|u1|passed|verified|update1']);
  });
});
