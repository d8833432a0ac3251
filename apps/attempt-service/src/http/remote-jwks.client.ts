import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../../../../libs/platform/src/logging/logger';

export interface RemoteJwksOptions {
  /** At most one fetch per this interval, whether the previous one succeeded or failed (default a minute). */
  minRefetchIntervalMs?: number;
  /** A key set older than this is fetched again before use; if that fails, tokens are not accepted (default 10 min). */
  maxAgeMs?: number;
  /** Timeout of one fetch (default 5 s). */
  timeoutMs?: number;
  /** Largest key set document accepted (default 256 KiB). */
  maxBytes?: number;
  now?: () => number;
  logger?: Logger;
}

/** No usable key set: none was fetched yet, or the last one is too old and cannot be refreshed. */
export class KeySetUnavailableError extends Error {
  override readonly name = 'KeySetUnavailableError';
}

/**
 * The read API's key set from an https URL (an identity provider's JWKS endpoint), for jose's
 * `jwtVerify`: keys are selected by jose's `createLocalJWKSet`; this class only decides when to fetch.
 * A fetch happens when there is no key set, when it is older than `maxAgeMs`, or when a token names a
 * key the set does not have (a rotation) — and never more than once per `minRefetchIntervalMs`, so
 * neither tokens with made-up key ids nor an unreachable endpoint make it fetch more often.
 * (jose's `createRemoteJWKSet` refetches on every request while its endpoint fails.)
 */
export class RemoteJwksClient {
  private local: JWTVerifyGetKey | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<boolean> | null = null;
  private readonly minRefetchIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  /** Fetches started (for tests and logs). */
  fetches = 0;

  constructor(
    private readonly url: string,
    options: RemoteJwksOptions = {},
  ) {
    this.minRefetchIntervalMs = options.minRefetchIntervalMs ?? 60_000;
    this.maxAgeMs = Math.max(options.maxAgeMs ?? 600_000, this.minRefetchIntervalMs);
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  /** The key resolver to pass to `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.usable()) {
      await this.refresh();
      if (!this.usable()) throw new KeySetUnavailableError('the read API key set is unavailable');
    }
    try {
      return await (this.local as JWTVerifyGetKey)(header, token);
    } catch (e) {
      // A key id the set does not have: perhaps the provider rotated its keys.
      if (!(e instanceof errors.JWKSNoMatchingKey) || !(await this.refresh())) throw e;
      return (this.local as JWTVerifyGetKey)(header, token);
    }
  };

  private usable(): boolean {
    return this.local !== null && this.now() - this.fetchedAt < this.maxAgeMs;
  }

  /** Fetches the key set unless a fetch started less than `minRefetchIntervalMs` ago; true when a new set was loaded. */
  private refresh(): Promise<boolean> {
    if (this.pending) return this.pending;
    if (this.now() - this.attemptedAt < this.minRefetchIntervalMs) return Promise.resolve(false);
    this.attemptedAt = this.now();
    this.fetches++;
    this.pending = this.fetchKeySet()
      .then(
        (jwks) => {
          this.local = createLocalJWKSet(jwks);
          this.fetchedAt = this.now();
          this.logger?.info({ keys: jwks.keys.length }, 'read API key set fetched');
          return true;
        },
        (e: unknown) => {
          this.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, 'read API key set could not be fetched');
          return false;
        },
      )
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private async fetchKeySet(): Promise<JSONWebKeySet> {
    const res = await fetch(this.url, {
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`JWKS endpoint answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > this.maxBytes) {
      await res.body?.cancel();
      throw new Error(`JWKS document larger than ${this.maxBytes} bytes`);
    }
    const body = await res.arrayBuffer();
    if (body.byteLength > this.maxBytes) throw new Error(`JWKS document larger than ${this.maxBytes} bytes`);
    const json = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    const keys = (json as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'object' || k === null || 'd' in k || 'k' in k)) {
      throw new Error('JWKS document is not a set of public keys');
    }
    return json as JSONWebKeySet;
  }
}
