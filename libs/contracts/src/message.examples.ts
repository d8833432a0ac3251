import type { Command, CommandType } from './command.schemas';
import type { EmailDeliveryFailedEvent } from './dead-letter.schemas';
import type { DomainEvent, EventOfType, EventType } from './event.schemas';

/*
 * One worked example per message, used by the AsyncAPI document and docs/messaging.md, and checked
 * by the tests against the schemas. They tell one story: an exam is registered, Ada's attempt is
 * created, the review pipeline marks it verified.
 */

const COURSE_ID = 'course-v1:edX+DemoX+2025';
const CONTENT_ID = 'block-v1:edX+DemoX+2025+type@sequential+block@final_exam';
const EXAM_ID = 'exam-1842';
const USER_ID = '4711';
const ATTEMPT_ID = '0b6a6f3e-3c2d-4f7e-9a51-6f1c2d9e8b10';
const ATTEMPT_CODE = 'C6F1E8A2-7D3B-4B8E-A0F4-2E9C5D1B7A36';
const USER = { username: 'ada', email: 'ada@example.com' };

export const COMMAND_EXAMPLES: { [T in CommandType]: Extract<Command, { type: T }> } = {
  RegisterExam: {
    specversion: '1.0',
    id: '7d0e2f1c-5a4b-4c3d-8e9f-0a1b2c3d4e5f',
    source: 'studio',
    type: 'RegisterExam',
    time: '2025-11-25T09:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      examId: EXAM_ID,
      courseId: COURSE_ID,
      contentId: CONTENT_ID,
      examName: 'Final Exam',
      timeLimitMins: 90,
      isProctored: true,
      isPracticeExam: false,
      isActive: true,
      courseName: 'Demonstration Course',
      provider: 'proctortrack',
    },
  },
  CreateAttempt: {
    specversion: '1.0',
    id: '3f9a1c2e-8b7d-4e6f-a5c4-b3d2e1f0a9b8',
    source: 'lms',
    type: 'CreateAttempt',
    time: '2025-11-25T10:00:00.000Z',
    datacontenttype: 'application/json',
    correlationid: 'lms-request-5f1c',
    data: {
      examId: EXAM_ID,
      userId: USER_ID,
      user: USER,
      takingAsProctored: true,
      additionalTimeMins: 15,
    },
  },
  UpdateAttemptStatus: {
    specversion: '1.0',
    id: 'review-98211',
    source: 'proctortrack-review',
    type: 'UpdateAttemptStatus',
    time: '2025-11-25T12:30:00.000Z',
    datacontenttype: 'application/json',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    data: {
      attemptCode: ATTEMPT_CODE,
      toStatus: 'verified',
      reason: 'Review passed',
    },
  },
  RemoveAttempt: {
    specversion: '1.0',
    id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    source: 'staff-tools',
    type: 'RemoveAttempt',
    time: '2025-11-26T08:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      examId: EXAM_ID,
      userId: USER_ID,
    },
  },
  RetireLearner: {
    specversion: '1.0',
    id: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f7a',
    source: 'lms-retirement',
    type: 'RetireLearner',
    time: '2025-12-01T09:00:00.000Z',
    datacontenttype: 'application/json',
    data: { userId: USER_ID },
  },
  GrantAllowance: {
    specversion: '1.0',
    id: 'a7e1c9d0-2b3f-4a5e-9c8d-7f6e5d4c3b2a',
    source: 'instructor-dashboard',
    type: 'GrantAllowance',
    time: '2025-11-25T10:05:00.000Z',
    datacontenttype: 'application/json',
    data: {
      examId: EXAM_ID,
      userId: USER_ID,
      key: 'additional_time_granted',
      value: '30',
    },
  },
  RemoveAllowance: {
    specversion: '1.0',
    id: 'e2d3c4b5-a6f7-4e8d-9c0b-1a2b3c4d5e6f',
    source: 'instructor-dashboard',
    type: 'RemoveAllowance',
    time: '2025-11-25T10:20:00.000Z',
    datacontenttype: 'application/json',
    data: {
      examId: EXAM_ID,
      userId: USER_ID,
      key: 'additional_time_granted',
    },
  },
  RecordReview: {
    specversion: '1.0',
    id: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70',
    source: 'provider:software_secure',
    type: 'RecordReview',
    time: '2025-11-25T12:20:00.000Z',
    datacontenttype: 'application/json',
    data: {
      attemptCode: ATTEMPT_CODE,
      reviewId: 'ssi-review-8812',
      reviewStatus: 'Clean',
      videoUrl: 'https://videos.example.com/sessions/8812',
      comments: [{ category: 'Browser', comment: 'No issue found.' }],
      rawData: { examDate: '2025-11-25', reviewer: 'team-b' },
    },
  },
};

const EVENT_ENVELOPE = {
  specversion: '1.0',
  source: 'attempt-service',
  datacontenttype: 'application/json',
} as const;

const ATTEMPT_SNAPSHOT = {
  attemptId: ATTEMPT_ID,
  attemptCode: ATTEMPT_CODE,
  examId: EXAM_ID,
  courseId: COURSE_ID,
  contentId: CONTENT_ID,
  examName: 'Final Exam',
  courseName: 'Demonstration Course',
  provider: 'proctortrack',
  userId: USER_ID,
  user: USER,
  takingAsProctored: true,
  isSampleAttempt: false,
  isPracticeExam: false,
  isProctored: true,
};

export const EVENT_EXAMPLES: { [T in EventType]: EventOfType<T> } = {
  AttemptCreated: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000001',
    type: 'AttemptCreated',
    time: '2025-11-25T10:00:00.412Z',
    subject: ATTEMPT_ID,
    causationid: '3f9a1c2e-8b7d-4e6f-a5c4-b3d2e1f0a9b8',
    correlationid: 'lms-request-5f1c',
    sequence: '41',
    data: {
      ...ATTEMPT_SNAPSHOT,
      status: 'created',
      allowedTimeLimitMins: 105,
      externalId: null,
      startedAt: null,
      completedAt: null,
      version: 1,
    },
  },
  AttemptStatusChanged: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000003',
    type: 'AttemptStatusChanged',
    time: '2025-11-25T12:30:00.120Z',
    subject: ATTEMPT_ID,
    causationid: 'review-98211',
    correlationid: 'review-98211',
    sequence: '57',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01',
    data: {
      ...ATTEMPT_SNAPSHOT,
      fromStatus: 'second_review_required',
      toStatus: 'verified',
      requestedStatus: 'verified',
      statusAlias: 'satisfactory',
      startedAt: '2025-11-25T10:05:12.000Z',
      completedAt: '2025-11-25T11:28:40.000Z',
      version: 6,
    },
  },
  AttemptRemoved: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000006',
    type: 'AttemptRemoved',
    time: '2025-11-26T08:00:00.250Z',
    subject: ATTEMPT_ID,
    causationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    correlationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    sequence: '61',
    data: {
      attemptId: ATTEMPT_ID,
      attemptCode: ATTEMPT_CODE,
      examId: EXAM_ID,
      courseId: COURSE_ID,
      contentId: CONTENT_ID,
      userId: USER_ID,
      lastStatus: 'verified',
      reason: 'removed',
    },
  },
  AttemptReviewed: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000007',
    type: 'AttemptReviewed',
    time: '2025-11-25T12:20:00.150Z',
    subject: ATTEMPT_ID,
    causationid: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70',
    correlationid: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f70',
    sequence: '58',
    data: {
      attemptId: ATTEMPT_ID,
      attemptCode: ATTEMPT_CODE,
      examId: EXAM_ID,
      courseId: COURSE_ID,
      userId: USER_ID,
      provider: 'software_secure',
      reviewId: 'ssi-review-8812',
      reviewStatus: 'passed',
      providerReviewStatus: 'Clean',
      resultingStatus: 'verified',
      isUpdate: false,
      archived: false,
    },
  },
  CommandProcessed: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000005',
    type: 'CommandProcessed',
    time: '2025-11-25T12:30:00.120Z',
    causationid: 'review-98211',
    correlationid: 'review-98211',
    sequence: '59',
    data: { commandId: 'review-98211', commandType: 'UpdateAttemptStatus', outcome: 'applied' },
  },
  CommandRejected: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000009',
    type: 'CommandRejected',
    time: '2025-11-25T12:31:00.007Z',
    causationid: 'review-98212',
    correlationid: 'review-98212',
    sequence: '60',
    data: {
      commandId: 'review-98212',
      commandType: 'UpdateAttemptStatus',
      reason: 'INVALID_MESSAGE',
      message: '/data/toStatus is required',
    },
  },
  CredentialRequirementUpdated: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000004',
    type: 'CredentialRequirementUpdated',
    time: '2025-11-25T12:30:00.120Z',
    subject: ATTEMPT_ID,
    causationid: 'review-98211',
    correlationid: 'review-98211',
    sequence: '58',
    data: {
      userId: USER_ID,
      courseId: COURSE_ID,
      namespace: 'proctored_exam',
      name: CONTENT_ID,
      status: 'satisfied',
      attemptId: ATTEMPT_ID,
      attemptVersion: 6,
      isPracticeExam: false,
      isProctored: true,
    },
  },
  CredentialRequirementRemoved: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000007',
    type: 'CredentialRequirementRemoved',
    time: '2025-11-26T08:00:00.250Z',
    subject: ATTEMPT_ID,
    causationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    correlationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    sequence: '62',
    data: {
      userId: USER_ID,
      courseId: COURSE_ID,
      namespace: 'proctored_exam',
      name: CONTENT_ID,
      attemptId: ATTEMPT_ID,
    },
  },
  EventDropped: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000008',
    type: 'EventDropped',
    time: '2025-11-26T08:00:01.000Z',
    subject: ATTEMPT_ID,
    causationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    correlationid: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    sequence: '63',
    data: {
      droppedType: 'AttemptStatusChanged',
      reason: 'too large',
      sizeBytes: 1_250_112,
      topic: 'proctoring.attempt.events.v1',
    },
  },
  LearnerRetired: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-000000000009',
    type: 'LearnerRetired',
    time: '2025-12-01T09:00:00.120Z',
    causationid: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f7a',
    correlationid: 'd4e5f6a7-b8c9-4d0e-8f1a-2b3c4d5e6f7a',
    sequence: '64',
    data: { userId: USER_ID },
  },
  AllowanceGranted: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-00000000000a',
    type: 'AllowanceGranted',
    time: '2025-11-25T10:05:00.040Z',
    causationid: 'a7e1c9d0-2b3f-4a5e-9c8d-7f6e5d4c3b2a',
    correlationid: 'a7e1c9d0-2b3f-4a5e-9c8d-7f6e5d4c3b2a',
    sequence: '55',
    data: { examId: EXAM_ID, courseId: COURSE_ID, userId: USER_ID, key: 'additional_time_granted', value: '30' },
  },
  AllowanceRemoved: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-00000000000c',
    type: 'AllowanceRemoved',
    time: '2025-11-25T10:20:00.030Z',
    causationid: 'e2d3c4b5-a6f7-4e8d-9c0b-1a2b3c4d5e6f',
    correlationid: 'e2d3c4b5-a6f7-4e8d-9c0b-1a2b3c4d5e6f',
    sequence: '58',
    data: { examId: EXAM_ID, courseId: COURSE_ID, userId: USER_ID, key: 'additional_time_granted', value: '30' },
  },
  AttemptTimeLimitChanged: {
    ...EVENT_ENVELOPE,
    id: 'c0a80101-0000-4000-8000-00000000000b',
    type: 'AttemptTimeLimitChanged',
    time: '2025-11-25T10:05:00.040Z',
    subject: ATTEMPT_ID,
    causationid: 'a7e1c9d0-2b3f-4a5e-9c8d-7f6e5d4c3b2a',
    correlationid: 'a7e1c9d0-2b3f-4a5e-9c8d-7f6e5d4c3b2a',
    sequence: '56',
    data: { attemptId: ATTEMPT_ID, fromMins: 90, toMins: 120, expiresAt: '2025-11-25T12:02:00.000Z', version: 3 },
  },
};

/** A command value that cannot be read (truncated JSON), as it lands on the commands DLQ. */
export const UNREADABLE_COMMAND_EXAMPLE = {
  payload: '{"specversion":"1.0","id":"3f9a1c2e-8b7d-4e6f","source":"lms","type":"CreateAt',
  headers: {
    'content-type': 'application/cloudevents+json',
    'dlq-reason': 'not JSON',
    'dlq-source-topic': 'proctoring.attempt.commands.v1',
    'dlq-source-partition': '2',
    'dlq-source-offset': '18842',
    'dlq-failed-at': '2025-11-25T10:00:01.000Z',
  },
};

/**
 * The verified e-mail of the story, refused by the mail provider, as it lands on the notifier DLQ.
 * Its id is what the notifier derives for that failure (event id, never requeued).
 */
export const EMAIL_DELIVERY_FAILED_EXAMPLE: EmailDeliveryFailedEvent = {
  specversion: '1.0',
  id: '0187fdaa-d54f-5dfc-8f76-8e98f1a67faa',
  source: 'urn:proctoring:notifier',
  type: 'EmailDeliveryFailed',
  time: '2025-11-25T12:30:05.000Z',
  datacontenttype: 'application/json',
  subject: ATTEMPT_ID,
  causationid: 'c0a80101-0000-4000-8000-000000000003',
  correlationid: 'review-98211',
  data: {
    eventId: 'c0a80101-0000-4000-8000-000000000003',
    attemptId: ATTEMPT_ID,
    userId: USER_ID,
    reason: 'SendGrid answered 400: Invalid to address (personalizations.0.to)',
    statusCode: 400,
    attempts: 1,
    failedAt: '2025-11-25T12:30:05.000Z',
  },
};

export const ALL_EVENT_EXAMPLES: DomainEvent[] = Object.values(EVENT_EXAMPLES);
