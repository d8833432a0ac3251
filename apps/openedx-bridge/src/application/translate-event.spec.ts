import type { AttemptRemovedEvent, AttemptStatusChangedEvent } from '../../../../libs/contracts/src';
import { EVENT_EXAMPLES } from '../../../../libs/contracts/src/message.examples';
import { ceIdFor } from '../openedx/event-bus-headers';
import { snapshotOf, translateEvent, type AttemptSnapshot, type Translation } from './translate-event';

const changed = (
  over: Partial<AttemptStatusChangedEvent['data']> = {},
  id = 'evt-1',
): AttemptStatusChangedEvent => ({
  ...EVENT_EXAMPLES.AttemptStatusChanged,
  id,
  data: { ...EVENT_EXAMPLES.AttemptStatusChanged.data, ...over },
});
const removed = (over: Partial<AttemptRemovedEvent['data']> = {}): AttemptRemovedEvent => ({
  ...EVENT_EXAMPLES.AttemptRemoved,
  id: 'evt-rm',
  data: { ...EVENT_EXAMPLES.AttemptRemoved.data, ...over },
});
const settings = { resetRequestingUser: null };
const ada = { id: 4711, is_active: true, pii: { username: 'ada', email: 'ada@example.com', name: '' } };

function published(t: Translation) {
  if (t.kind !== 'publish') throw new Error(`expected publish, got ${JSON.stringify(t)}`);
  return t.record;
}

describe('translateEvent', () => {
  it.each([
    ['submitted', 'submitted', ada],
    ['verified', 'verified', null],
    ['rejected', 'rejected', null],
    ['error', 'errored', null],
  ] as const)(
    'AttemptStatusChanged to %s → %s, requesting user as edx-exams sets it',
    (status, event, requester) => {
      const r = published(translateEvent(changed({ toStatus: status }), null, settings));
      expect(r.event).toBe(event);
      expect(r.courseKey).toBe('course-v1:edX+DemoX+2025');
      expect(r.data).toEqual({
        student_user: ada,
        course_key: 'course-v1:edX+DemoX+2025',
        usage_key: 'block-v1:edX+DemoX+2025+type@sequential+block@final_exam',
        exam_type: 'proctored',
        requesting_user: requester,
      });
      expect(r.ceId).toBe(ceIdFor('evt-1', event));
      expect(r.time).toBe(EVENT_EXAMPLES.AttemptStatusChanged.time);
    },
  );

  it.each(['created', 'started', 'declined', 'timed_out', 'second_review_required', 'not_reviewed'])(
    'raises nothing for %s',
    (status) => {
      expect(translateEvent(changed({ toStatus: status }), null, settings)).toEqual({ kind: 'none' });
    },
  );

  it('names the exam type as edx-exams does', () => {
    expect(
      published(translateEvent(changed({ toStatus: 'verified', isPracticeExam: true }), null, settings)).data
        .exam_type,
    ).toBe('practice');
    expect(
      published(translateEvent(changed({ toStatus: 'verified', isProctored: false }), null, settings)).data
        .exam_type,
    ).toBe('timed');
  });

  it.each([
    [{ userId: 'ada-lovelace' }, 'user_id_not_numeric'],
    [{ userId: '007' }, 'user_id_not_numeric'],
    [{ courseId: 'demo-course' }, 'course_id_not_opaque_key'],
    [{ contentId: 'final-exam' }, 'content_id_not_usage_key'],
    [{ contentId: 'block-v1:edX+Other+2025+type@sequential+block@x' }, 'content_id_not_usage_key'],
  ] as const)('skips %j with reason %s', (over, reason) => {
    expect(translateEvent(changed({ toStatus: 'verified', ...over }), null, settings)).toEqual({
      kind: 'skip',
      reason,
      eventId: 'evt-1',
    });
  });

  it('accepts the deprecated key forms', () => {
    const r = published(
      translateEvent(
        changed({
          toStatus: 'verified',
          courseId: 'edX/DemoX/2014',
          contentId: 'i4x://edX/DemoX/sequential/final',
        }),
        null,
        settings,
      ),
    );
    expect(r.data.course_key).toBe('edX/DemoX/2014');
  });

  it('AttemptRemoved (removed) → reset, the learner and exam kind from the snapshot, the configured requesting user', () => {
    const snapshot = snapshotOf(changed({ toStatus: 'verified', isPracticeExam: true })) as AttemptSnapshot;
    const staff = {
      id: 3,
      is_active: true,
      pii: { username: 'staff', email: 'staff@example.com', name: 'Staff' },
    };
    const r = published(translateEvent(removed(), snapshot, { resetRequestingUser: staff }));
    expect(r.event).toBe('reset');
    expect(r.data).toEqual({
      ...published(translateEvent(changed({ toStatus: 'verified' }), null, settings)).data,
      exam_type: 'practice',
      requesting_user: staff,
    });
    expect(r.ceId).toBe(ceIdFor('evt-rm', 'reset'));
  });

  it('AttemptRemoved of an unknown attempt is skipped; a replaced sample attempt raises nothing', () => {
    expect(translateEvent(removed(), null, settings)).toEqual({
      kind: 'skip',
      reason: 'attempt_unknown',
      eventId: 'evt-rm',
    });
    expect(translateEvent(removed({ reason: 'replaced' }), null, settings)).toEqual({ kind: 'none' });
  });

  it('keeps a snapshot of attempt-carrying events only', () => {
    expect(snapshotOf(EVENT_EXAMPLES.AttemptCreated)).toMatchObject({
      username: 'ada',
      version: 1,
      isProctored: true,
    });
    expect(snapshotOf(EVENT_EXAMPLES.AttemptRemoved)).toBeNull();
  });
});
