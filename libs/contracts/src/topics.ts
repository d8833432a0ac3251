/** Default topic names of contract v1 (deployments may prefix or rename them through configuration). */
export const TOPICS = {
  commands: 'proctoring.attempt.commands.v1',
  attemptEvents: 'proctoring.attempt.events.v1',
  credentialEvents: 'proctoring.credential.events.v1',
  commandsDlq: 'proctoring.attempt.commands.v1.dlq',
  notifierDlq: 'proctoring.notifier.dlq.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * Topics of one review provider (SPEC §8.1, §8.4): the provider writes its reviews to the first (an
 * inbound topic: INBOUND_TOPIC_CONFIG, key attemptCode) and reads only the outcomes of its own review
 * commands on the second. `provider` is a name of the providers file (`^[a-z0-9][a-z0-9_-]{0,47}$`).
 */
export function providerReviewTopics(provider: string): { reviews: string; outcomes: string } {
  return { reviews: `proctoring.attempt.reviews.${provider}.v1`, outcomes: `proctoring.attempt.reviews.${provider}.outcomes.v1` };
}

/**
 * Consumer group ids of the two services. A principal may only read with groups under its own prefix
 * `<principal>.` (SPEC §8.4: group READ ACLs are PREFIXED), so every group id starts with it.
 */
export const CONSUMER_GROUPS = {
  attemptService: 'attempt-service.main',
  notifier: 'notifier.main',
  /** `attempts redrive` (the ops principal). */
  redrive: 'ops.redrive',
} as const;

/** Largest accepted message value, in bytes (UTF-8). Anything larger is unreadable and dead-lettered. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * Bounds on the other parts of an inbound message, checked before any work (SPEC §8.5). A message
 * over any of them is dead-lettered with that part cut (and named in a `dlq-*-cut` header); its key
 * never reaches a partitioner and is never reused for its outcome.
 */
export const MESSAGE_BOUNDS = {
  /** Largest Kafka key, in bytes. */
  keyBytes: 1024,
  /** Most headers (a header repeated under one name counts once per value). */
  headerCount: 32,
  /** Largest total of header names and values, in bytes. */
  headerBytes: 16 * 1024,
  /** Largest value, in bytes. */
  valueBytes: MAX_MESSAGE_BYTES,
  /**
   * Deepest nesting of a command's `data` (objects and arrays; `data` itself is level 1). Only a free-form
   * field such as RecordReview's `rawData` can go deep; stored as jsonb, 64 KiB of `[[[…]]]` exceeds
   * PostgreSQL's stack depth and would fail the whole batch before the command was isolated.
   */
  dataDepth: 32,
} as const;

/**
 * Topic configuration of every topic the attempt-service consumes (commands, and the review topics of
 * v2): stored uncompressed (a producer's compressed batch is re-written, so a small compressed batch
 * cannot expand inside a consumer) and at most 1 MiB per record batch.
 */
export const INBOUND_TOPIC_CONFIG: Readonly<Record<string, string>> = {
  'compression.type': 'uncompressed',
  'max.message.bytes': String(1024 * 1024),
};

/** `INBOUND_TOPIC_CONFIG` as the `configEntries` of a kafkajs `createTopics` request. */
export function inboundTopicConfigEntries(): { name: string; value: string }[] {
  return Object.entries(INBOUND_TOPIC_CONFIG).map(([name, value]) => ({ name, value }));
}

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
  /** Present only when the key was over MESSAGE_BOUNDS.keyBytes: its original length in bytes (the key was left off). */
  keyCut: 'dlq-key-cut',
  /**
   * Present only when the headers were over MESSAGE_BOUNDS (count or bytes): `<count> headers, <bytes>
   * bytes` as received. None of the sender's headers are kept then.
   */
  headersCut: 'dlq-headers-cut',
} as const;

/** Headers a sender sets under this prefix never reach a dead letter: the prefix is ours. */
export const DLQ_HEADER_PREFIX = 'dlq-';

/**
 * Largest value copied to the commands DLQ. The broker refuses records above its `message.max.bytes`
 * (1 MiB by default), so a copy of a message close to that size, plus the DLQ headers, could never
 * be published; anything beyond this many bytes is cut off (and flagged with `dlq-value-truncated`).
 * With the key (≤ 1 KiB) and headers (≤ 16 KiB, else left off) bounded too, a dead letter always fits.
 */
export const DLQ_MAX_VALUE_BYTES = 512 * 1024;
