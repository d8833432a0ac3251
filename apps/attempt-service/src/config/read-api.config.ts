import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { EnvReader } from '../../../../libs/platform/src/config/env-reader';

/** The asymmetric JWS algorithms READ_API_ALGORITHMS may list (never HS*, never `none`). */
export const READ_API_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export const DEFAULT_READ_API_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** Where the keys that sign read-API tokens come from. */
export type ReadApiKeySource = { kind: 'file'; path: string; jwks: JSONWebKeySet } | { kind: 'url'; url: string };

/**
 * Authentication of the read API (`GET /attempts…`): `jwt` verifies a Bearer token against the key
 * set; `off` serves the read API to anyone who can reach the port (only when set explicitly).
 */
export type ReadApiAuthSettings =
  | { mode: 'off' }
  | { mode: 'jwt'; keys: ReadApiKeySource; issuer: string; audience: string[]; algorithms: string[] };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * READ_API_* settings. The service refuses to start with the read API on (`READ_API_AUTH=jwt`, the
 * default) and no key set, issuer or audience: `READ_API_AUTH=off` must be said explicitly.
 * Problems name the variable, never its value. Returns null when the settings are unusable (the
 * reader then fails on `done()`).
 */
export function readReadApiSettings(r: EnvReader): ReadApiAuthSettings | null {
  const mode = r.oneOf('READ_API_AUTH', ['jwt', 'off'] as const, 'jwt');
  if (mode === 'off') return { mode: 'off' };

  const file = r.optionalString('READ_API_JWKS_FILE');
  const url = r.optionalString('READ_API_JWKS_URL');
  let keys: ReadApiKeySource | null = null;
  if (file !== undefined && url !== undefined) {
    r.problem('READ_API_JWKS_FILE and READ_API_JWKS_URL are both set: set one');
  } else if (file !== undefined) {
    keys = readJwksFile(r, file);
  } else if (url !== undefined) {
    keys = jwksUrl(r, url);
  } else {
    r.problem(
      'READ_API_JWKS_FILE or READ_API_JWKS_URL must be set: the read API requires a key set to verify Bearer tokens ' +
        '(set READ_API_AUTH=off to serve it without authentication)',
    );
  }

  const issuer = r.optionalString('READ_API_ISSUER');
  if (issuer === undefined) r.problem('READ_API_ISSUER must be set (the `iss` of accepted tokens) when READ_API_AUTH=jwt');
  else if (/[\s\p{Cc}]/u.test(issuer) || issuer.length > 1024) r.problem('READ_API_ISSUER must be a URI without whitespace');

  const audience = r.list('READ_API_AUDIENCE', []);
  if (audience.length === 0) r.problem('READ_API_AUDIENCE must be set (the `aud` accepted tokens must carry) when READ_API_AUTH=jwt');
  else if (audience.some((a) => /[\s\p{Cc}]/u.test(a))) r.problem('READ_API_AUDIENCE must be a comma-separated list without whitespace');

  const algorithms = r.list('READ_API_ALGORITHMS', DEFAULT_READ_API_ALGORITHMS);
  if (!algorithms.every((a) => (READ_API_ALGORITHMS as readonly string[]).includes(a))) {
    r.problem(`READ_API_ALGORITHMS must list only asymmetric JWS algorithms: ${READ_API_ALGORITHMS.join(', ')}`);
  }

  if (!keys || issuer === undefined || audience.length === 0) return null;
  return { mode: 'jwt', keys, issuer, audience, algorithms };
}

/** A JWKS file of public keys, read and checked once at start (a key rotation needs a restart). */
function readJwksFile(r: EnvReader, path: string): ReadApiKeySource | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    r.problem('READ_API_JWKS_FILE names a file that cannot be read as JSON');
    return null;
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    r.problem('READ_API_JWKS_FILE must hold a JSON Web Key Set with at least one key ({"keys": [...]})');
    return null;
  }
  if (keys.some((k) => typeof k !== 'object' || k === null || 'd' in k || 'k' in k)) {
    r.problem('READ_API_JWKS_FILE must hold public keys only (no private or symmetric key material)');
    return null;
  }
  try {
    // jose imports keys lazily: check each one here (Node reads a public JWK synchronously).
    for (const key of keys as JsonWebKey[]) createPublicKey({ key, format: 'jwk' });
    createLocalJWKSet(json as JSONWebKeySet);
  } catch {
    r.problem('READ_API_JWKS_FILE must hold a valid JSON Web Key Set');
    return null;
  }
  return { kind: 'file', path, jwks: json as JSONWebKeySet };
}

/** https, or http to a loopback address only (a local identity provider, tests). */
function jwksUrl(r: EnvReader, value: string): ReadApiKeySource | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    r.problem('READ_API_JWKS_URL must be a valid URL');
    return null;
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname))) {
    r.problem('READ_API_JWKS_URL must be an https URL (http only to 127.0.0.1, [::1] or localhost)');
    return null;
  }
  if (u.username || u.password) {
    r.problem('READ_API_JWKS_URL must not carry credentials');
    return null;
  }
  return { kind: 'url', url: u.href };
}
