import type { SASLOptions } from 'kafkajs';
import { identityEnv, localSasl } from '../../scripts/kafka-credentials';

/** Where integration tests find their infrastructure. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/proctoring_test';
export const TEST_KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
/**
 * The Confluent-compatible schema registry of the Open edX bridge's suite (scripts/schema-registry.sh:
 * Apicurio Registry, started by the set-up like Kafka unless one answers here).
 */
export const TEST_SCHEMA_REGISTRY_PORT = process.env.SCHEMA_REGISTRY_PORT ?? '18081';
export const TEST_SCHEMA_REGISTRY_URL = `http://127.0.0.1:${TEST_SCHEMA_REGISTRY_PORT}/apis/ccompat/v7`;

/**
 * Kafka identities in tests (docs/security.md): the harness itself (creating topics and ACLs, publishing
 * as any party, reading every topic) is `admin`; a service under test runs as its own principal, on the
 * suite's topics, which get the production ACLs (LITERAL) when they are created (kafka-fixture.ts).
 * Passwords come from the local credentials file; KAFKA_SASL_MECHANISM=none turns SASL off.
 */
export function testSasl(principal = 'admin'): SASLOptions | undefined {
  return localSasl(principal);
}

/** The KAFKA_SASL_* variables that make a service or CLI under test act as `principal`. */
export function testIdentity(principal: string): Record<string, string> {
  return identityEnv(principal);
}
