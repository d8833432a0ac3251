/** Default topic names of contract v1 (deployments may prefix or rename them through configuration). */
export const TOPICS = {
  commands: 'proctoring.attempt.commands.v1',
  attemptEvents: 'proctoring.attempt.events.v1',
  credentialEvents: 'proctoring.credential.events.v1',
  commandsDlq: 'proctoring.attempt.commands.v1.dlq',
  notifierDlq: 'proctoring.notifier.dlq.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Consumer group ids of the two services. */
export const CONSUMER_GROUPS = {
  attemptService: 'attempt-service',
  notifier: 'notifier',
} as const;

/** Largest accepted message value, in bytes (UTF-8). Anything larger is unreadable and dead-lettered. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Kafka `content-type` header of every message: CloudEvents 1.0 in structured mode, JSON. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

/** The only `datacontenttype` of contract v1. */
export const DATA_CONTENT_TYPE = 'application/json';

/** Header names on the dead-letter topics. Values are strings and never contain message values. */
export const DLQ_HEADERS = {
  /** Why the message was dead-lettered (e.g. `not JSON`, `message larger than 65536 bytes`). */
  reason: 'dlq-reason',
  /** Topic, partition and offset the message was read from (commands DLQ). */
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  /** When it was dead-lettered, RFC 3339. */
  failedAt: 'dlq-failed-at',
  /**
   * Present only when the value was cut to DLQ_MAX_VALUE_BYTES: the original length in bytes (the
   * whole message stays readable at the source coordinates for the topic's retention).
   */
  valueTruncated: 'dlq-value-truncated',
} as const;

/**
 * Largest value copied to the commands DLQ. The broker refuses records above its `message.max.bytes`
 * (1 MiB by default), so a copy of a message close to that size, plus the DLQ headers, could never
 * be published; anything beyond this many bytes is cut off (and flagged with `dlq-value-truncated`).
 */
export const DLQ_MAX_VALUE_BYTES = 512 * 1024;
