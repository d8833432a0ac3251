import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../../../../libs/platform/src/logging/logger';
import type { ReadApiAuthSettings } from '../config/read-api.config';
import { KeySetUnavailableError, RemoteJwksClient } from './remote-jwks.client';

/** The scope a token must carry (in `scope`, space-separated, or in a `scopes` array) to read attempts. */
export const READ_API_SCOPE = 'proctoring:attempts:read';

/** Leeway for `exp` and `nbf` against clock skew between the token issuer and this service. */
export const CLOCK_TOLERANCE_S = 30;

/** Why a request was refused, for metrics and logs only: the client learns none of it. */
export type RefusalReason =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'claims'
  | 'algorithm'
  | 'unknown_key'
  | 'signature'
  | 'invalid'
  | 'insufficient_scope'
  | 'unavailable';

export type ReadApiAuthOutcome =
  | { ok: true; subject: string | null }
  | { ok: false; status: 401 | 403 | 503; reason: RefusalReason };

export interface ReadApiTokenVerifierOptions {
  issuer: string;
  audience: string[];
  algorithms: string[];
  /** The verification time (tests). */
  now?: () => Date;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_TOKEN_CHARS = 8192;

/**
 * Verifies the read API's Bearer tokens with jose: the signature against the key set, with an
 * algorithm from the allow-list; `iss` and `aud` as configured; `exp` present and not passed (`nbf`
 * when present); then the read scope. Returns the outcome; never throws for a bad token.
 */
export class ReadApiTokenVerifier {
  constructor(
    private readonly keys: JWTVerifyGetKey,
    private readonly o: ReadApiTokenVerifierOptions,
  ) {}

  async verify(authorization: string | string[] | undefined): Promise<ReadApiAuthOutcome> {
    if (authorization === undefined || authorization === '') return { ok: false, status: 401, reason: 'missing' };
    if (typeof authorization !== 'string' || authorization.length > MAX_TOKEN_CHARS + 16) return { ok: false, status: 401, reason: 'malformed' };
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) return { ok: false, status: 401, reason: 'malformed' };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.o.issuer,
        audience: this.o.audience,
        algorithms: this.o.algorithms,
        requiredClaims: ['exp', 'iss', 'aud'],
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(this.o.now ? { currentDate: this.o.now() } : {}),
      }));
    } catch (e) {
      return refusal(e);
    }
    if (!hasReadScope(payload)) return { ok: false, status: 403, reason: 'insufficient_scope' };
    return { ok: true, subject: typeof payload.sub === 'string' ? payload.sub : null };
  }
}

/** `scope` as a space-separated string (RFC 8693/9068) or `scopes` as an array of strings. */
export function hasReadScope(payload: JWTPayload): boolean {
  const { scope, scopes } = payload as { scope?: unknown; scopes?: unknown };
  if (typeof scope === 'string' && scope.split(' ').includes(READ_API_SCOPE)) return true;
  return Array.isArray(scopes) && scopes.includes(READ_API_SCOPE);
}

function refusal(e: unknown): ReadApiAuthOutcome {
  if (e instanceof KeySetUnavailableError) return { ok: false, status: 503, reason: 'unavailable' };
  if (e instanceof errors.JWTExpired) return { ok: false, status: 401, reason: 'expired' };
  if (e instanceof errors.JWTClaimValidationFailed) return { ok: false, status: 401, reason: 'claims' };
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return { ok: false, status: 401, reason: 'algorithm' };
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys) return { ok: false, status: 401, reason: 'unknown_key' };
  if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, status: 401, reason: 'signature' };
  return { ok: false, status: 401, reason: 'invalid' };
}

/** The verifier for the configured key set (a file read at start, or an https URL fetched as needed). */
export function createReadApiTokenVerifier(
  settings: Extract<ReadApiAuthSettings, { mode: 'jwt' }>,
  logger?: Logger,
): ReadApiTokenVerifier {
  const keys =
    settings.keys.kind === 'file'
      ? createLocalJWKSet(settings.keys.jwks)
      : new RemoteJwksClient(settings.keys.url, { logger }).getKey;
  return new ReadApiTokenVerifier(keys, { issuer: settings.issuer, audience: settings.audience, algorithms: settings.algorithms });
}
