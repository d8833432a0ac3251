/**
 * The local broker's SCRAM credentials (docs/security.md): one password per principal, generated on the
 * first `scripts/kafka.sh start` into KAFKA_CREDENTIALS_FILE (default `.kafka/credentials.env` in the
 * checkout, git-ignored, mode 0600). Lines are `<principal> <password>`; `#` starts a comment. A
 * principal missing from the file (a provider added later) gets a password the next time it is ensured;
 * existing passwords are never changed here (delete a line, or the file, to rotate: see docs/security.md).
 *
 * Every local client takes its identity from it through `identityEnv(principal)`: the KAFKA_SASL_*
 * variables the services read. KAFKA_SASL_MECHANISM=none in the environment switches all of that off
 * (a broker without SASL).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SASLOptions } from 'kafkajs';

// scripts/ when run with ts-node, dist/scripts/ when compiled: the checkout is the folder with package.json.
export const REPO_ROOT = existsSync(join(__dirname, '..', 'package.json')) ? resolve(__dirname, '..') : resolve(__dirname, '..', '..');
export const SASL_MECHANISM = 'scram-sha-512';

export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_CREDENTIALS_FILE ?? join(REPO_ROOT, '.kafka', 'credentials.env');
}

/** True unless KAFKA_SASL_MECHANISM=none (local tooling against a broker without SASL). */
export function localSaslEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.KAFKA_SASL_MECHANISM ?? '').toLowerCase() !== 'none';
}

export function parseCredentials(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [principal, password] = line.split(/\s+/);
    if (principal && password) out.set(principal, password);
  }
  return out;
}

export function readCredentials(file = credentialsFile()): Map<string, string> {
  if (!existsSync(file)) return new Map();
  return parseCredentials(readFileSync(file, 'utf8'));
}

/** Adds a fresh password for every principal missing from the file (created 0600 if absent). */
export function ensureCredentials(principals: readonly string[], file = credentialsFile()): Map<string, string> {
  const known = readCredentials(file);
  const missing = principals.filter((p) => !known.has(p));
  if (missing.length === 0) return known;
  for (const p of missing) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(p)) throw new Error(`cannot make a credential for principal "${p}"`);
    known.set(p, randomBytes(24).toString('base64url'));
  }
  const lines = [
    '# SCRAM-SHA-512 credentials of the local Kafka broker (scripts/kafka.sh): <principal> <password>.',
    '# Generated on first start; for this machine only, never committed. See docs/security.md.',
    ...[...known].map(([p, pw]) => `${p} ${pw}`),
  ];
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${lines.join('\n')}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return known;
}

export function passwordOf(principal: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialsFile(env);
  const password = readCredentials(file).get(principal);
  if (!password) throw new Error(`no Kafka credential for "${principal}" in ${file}: run scripts/kafka.sh start first`);
  return password;
}

/** kafkajs `sasl` of a local principal, or undefined when local SASL is off. */
export function localSasl(principal: string, env: NodeJS.ProcessEnv = process.env): SASLOptions | undefined {
  if (!localSaslEnabled(env)) return undefined;
  return { mechanism: SASL_MECHANISM, username: principal, password: passwordOf(principal, env) };
}

/** The KAFKA_SASL_* variables that make a service or CLI process act as `principal`. */
export function identityEnv(principal: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!localSaslEnabled(env)) return { KAFKA_SASL_MECHANISM: 'none' };
  return { KAFKA_SASL_MECHANISM: SASL_MECHANISM, KAFKA_SASL_USERNAME: principal, KAFKA_SASL_PASSWORD: passwordOf(principal, env) };
}
