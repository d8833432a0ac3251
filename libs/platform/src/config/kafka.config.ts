import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { EnvReader } from './env-reader';

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl: KafkaConfig['ssl'];
  sasl: SASLOptions | undefined;
  partitions: number;
  replicationFactor: number;
  /**
   * `retention.ms` of the project's topics when they are created (KAFKA_TOPIC_RETENTION_MS, default 7
   * days): how long a message — a retired learner's data included (SPEC §8.3) — stays on the bus.
   */
  topicRetentionMs: number;
  /**
   * KAFKA_CLIENT=native, for the benchmark only: the attempt-service's outbox relay produces through the
   * bench-only native client (@confluentinc/kafka-javascript) loaded at run time from
   * KAFKA_NATIVE_CLIENT_DIR (bench/native-client, installed by `npm run bench:native-setup`; the root
   * project never installs it). Absent: kafkajs, as always (docs/performance.md, "Native Kafka client").
   */
  nativeClient?: { dir: string };
}

/** KAFKA_* variables shared by both services: brokers, TLS and SASL for production clusters. */
/** Seven days (SPEC §8.3). */
export const DEFAULT_TOPIC_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export function readKafkaSettings(env: EnvReader, clientIdFallback: string): KafkaSettings {
  const brokers = env.list('KAFKA_BROKERS', ['127.0.0.1:9092']);
  const clientId = env.string('KAFKA_CLIENT_ID', clientIdFallback);
  const useTls = env.bool('KAFKA_SSL', false);
  const caFile = env.optionalString('KAFKA_SSL_CA_FILE');
  const certFile = env.optionalString('KAFKA_SSL_CERT_FILE');
  const keyFile = env.optionalString('KAFKA_SSL_KEY_FILE');
  const rejectUnauthorized = env.bool('KAFKA_SSL_REJECT_UNAUTHORIZED', true);
  let ssl: KafkaConfig['ssl'] = undefined;
  if (useTls || caFile || certFile) {
    ssl = {
      rejectUnauthorized,
      ca: caFile ? [readFileOrReport(env, 'KAFKA_SSL_CA_FILE', caFile)] : undefined,
      cert: certFile ? readFileOrReport(env, 'KAFKA_SSL_CERT_FILE', certFile) : undefined,
      key: keyFile ? readFileOrReport(env, 'KAFKA_SSL_KEY_FILE', keyFile) : undefined,
    };
  }
  // SASL identity (SPEC §8.4): each process is its own principal (attempt-service, notifier, ops, …).
  const mechanism = env.oneOf('KAFKA_SASL_MECHANISM', ['none', 'plain', 'scram-sha-256', 'scram-sha-512'], 'none');
  let sasl: SASLOptions | undefined;
  if (mechanism !== 'none') {
    const username = env.optionalString('KAFKA_SASL_USERNAME');
    const passwordFile = env.optionalString('KAFKA_SASL_PASSWORD_FILE');
    let password = env.optionalString('KAFKA_SASL_PASSWORD');
    if (!username) env.problem('KAFKA_SASL_USERNAME is required when KAFKA_SASL_MECHANISM is set');
    if (password && passwordFile) env.problem('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are exclusive: set one');
    else if (passwordFile) {
      try {
        password = readFileSync(passwordFile, 'utf8').trim();
        if (!password) env.problem('KAFKA_SASL_PASSWORD_FILE names a file without a password');
      } catch {
        env.problem('KAFKA_SASL_PASSWORD_FILE names a file that cannot be read');
      }
    } else if (!password) env.problem('KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required when KAFKA_SASL_MECHANISM is set');
    sasl = { mechanism, username: username ?? '', password: password ?? '' };
  }
  const client = env.oneOf('KAFKA_CLIENT', ['kafkajs', 'native'], 'kafkajs');
  const nativeDir = env.optionalString('KAFKA_NATIVE_CLIENT_DIR');
  if (client === 'native' && !nativeDir) {
    env.problem('KAFKA_CLIENT=native (benchmark only) needs KAFKA_NATIVE_CLIENT_DIR: the folder of the bench-only native client');
  }
  return {
    brokers,
    clientId,
    ssl,
    sasl,
    ...(client === 'native' && nativeDir ? { nativeClient: { dir: nativeDir } } : {}),
    partitions: env.int('KAFKA_TOPIC_PARTITIONS', 3, 1, 1000),
    replicationFactor: env.int('KAFKA_TOPIC_REPLICATION_FACTOR', 1, 1, 10),
    // at least a minute; never unlimited (-1): retention bounds how long personal data stays on a topic
    topicRetentionMs: env.int('KAFKA_TOPIC_RETENTION_MS', DEFAULT_TOPIC_RETENTION_MS, 60_000),
  };
}

function readFileOrReport(env: EnvReader, name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    env.problem(`${name} names a file that cannot be read`);
    return '';
  }
}
