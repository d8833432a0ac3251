import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export const TEST_ISSUER = 'https://idp.test.example/';
export const TEST_AUDIENCE = 'urn:proctoring:attempts-read-api:test';
export const READ_SCOPE = 'proctoring:attempts:read';

export interface TokenOptions {
  /** Claims on top of iss, aud, exp (in an hour), iat and the read scope; `undefined` removes one. */
  claims?: Record<string, unknown>;
  alg?: string;
  kid?: string;
  /** Sign with this key instead of the set's own. */
  key?: CryptoKey;
}

/** A signing key pair for tests of the read API, its public JWKS in a temporary file, and a token minter. */
export interface ReadApiTestKeys {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  jwks: { keys: JWK[] };
  jwksFile: string;
  /** READ_API_* for the service under test. */
  env: Record<string, string>;
  token(options?: TokenOptions): Promise<string>;
  dispose(): void;
}

export async function createReadApiTestKeys(alg = 'ES256'): Promise<ReadApiTestKeys> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const jwks = { keys: [publicJwk] };
  const dir = mkdtempSync(join(tmpdir(), 'read-api-keys-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks));
  return {
    kid,
    alg,
    privateKey,
    publicJwk,
    jwks,
    jwksFile,
    env: { READ_API_AUTH: 'jwt', READ_API_JWKS_FILE: jwksFile, READ_API_ISSUER: TEST_ISSUER, READ_API_AUDIENCE: TEST_AUDIENCE },
    token: (options = {}) => signToken(options.key ?? privateKey, { alg: options.alg ?? alg, kid: options.kid ?? kid }, options.claims ?? {}),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A token with the default claims (iss, aud, sub, iat, exp in an hour, the read scope) overridden by `claims`. */
export async function signToken(key: CryptoKey | Uint8Array, header: { alg: string; kid?: string }, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: 'lms-backend', iat: now, exp: now + 3600, scope: READ_SCOPE, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}
