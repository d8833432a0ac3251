import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { ReadApiTokenVerifier, READ_API_SCOPE, hasReadScope } from './read-api-token.verifier';

const ISSUER = 'https://idp.example.org/';
const AUDIENCE = 'urn:proctoring:attempts-read-api';

describe('ReadApiTokenVerifier', () => {
  let es: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
  let verifier: ReadApiTokenVerifier;
  const now = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    es = await generateKeyPair('ES256');
    rsa = await generateKeyPair('RS256');
    stranger = await generateKeyPair('ES256');
    const jwks = {
      keys: [
        { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256' },
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
      ],
    };
    verifier = new ReadApiTokenVerifier(createLocalJWKSet(jwks), { issuer: ISSUER, audience: [AUDIENCE], algorithms: ['ES256', 'EdDSA'] });
  });

  async function token(claims: Record<string, unknown> = {}, o: { key?: CryptoKey | Uint8Array; alg?: string; kid?: string } = {}): Promise<string> {
    const payload: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: 'lms', iat: now, exp: now + 300, scope: `openid ${READ_API_SCOPE}`, ...claims };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload).setProtectedHeader({ alg: o.alg ?? 'ES256', kid: o.kid ?? 'es' }).sign(o.key ?? es.privateKey);
  }
  const bearer = async (...args: Parameters<typeof token>) => `Bearer ${await token(...args)}`;

  it('accepts a valid token with the read scope', async () => {
    await expect(verifier.verify(await bearer())).resolves.toEqual({ ok: true, subject: 'lms' });
    // the scheme is case-insensitive (RFC 7235)
    await expect(verifier.verify(`bearer ${await token()}`)).resolves.toMatchObject({ ok: true });
  });

  it('accepts the scope in a `scopes` array', async () => {
    await expect(verifier.verify(await bearer({ scope: undefined, scopes: ['openid', READ_API_SCOPE] }))).resolves.toMatchObject({ ok: true });
  });

  it('refuses a missing or malformed Authorization header with 401', async () => {
    await expect(verifier.verify(undefined)).resolves.toEqual({ ok: false, status: 401, reason: 'missing' });
    await expect(verifier.verify('')).resolves.toEqual({ ok: false, status: 401, reason: 'missing' });
    const t = await token();
    for (const h of [t, `Basic ${t}`, `Bearer`, `Bearer ${t} extra`, `Bearer\t${t}`, `Bearer a"b`, `Bearer ${'a'.repeat(9000)}`]) {
      await expect(verifier.verify(h)).resolves.toEqual({ ok: false, status: 401, reason: 'malformed' });
    }
    await expect(verifier.verify([`Bearer ${t}`, `Bearer ${t}`])).resolves.toEqual({ ok: false, status: 401, reason: 'malformed' });
    await expect(verifier.verify('Bearer not.a.jwt')).resolves.toEqual({ ok: false, status: 401, reason: 'invalid' });
  });

  it('refuses an expired token (beyond the clock tolerance), but not one within it', async () => {
    await expect(verifier.verify(await bearer({ exp: now - 120, iat: now - 600 }))).resolves.toEqual({ ok: false, status: 401, reason: 'expired' });
    await expect(verifier.verify(await bearer({ exp: now - 5 }))).resolves.toMatchObject({ ok: true });
  });

  it('refuses a token without exp', async () => {
    await expect(verifier.verify(await bearer({ exp: undefined }))).resolves.toEqual({ ok: false, status: 401, reason: 'claims' });
  });

  it('refuses a token not yet valid (nbf)', async () => {
    await expect(verifier.verify(await bearer({ nbf: now + 600 }))).resolves.toEqual({ ok: false, status: 401, reason: 'claims' });
  });

  it('refuses the wrong audience or issuer, or none', async () => {
    for (const claims of [{ aud: 'urn:other' }, { aud: ['urn:other', 'urn:more'] }, { aud: undefined }, { iss: 'https://evil.example/' }, { iss: undefined }]) {
      await expect(verifier.verify(await bearer(claims))).resolves.toEqual({ ok: false, status: 401, reason: 'claims' });
    }
    // one of several audiences is enough
    await expect(verifier.verify(await bearer({ aud: ['urn:other', AUDIENCE] }))).resolves.toMatchObject({ ok: true });
  });

  it('refuses a token signed by another key, under a known or unknown key id', async () => {
    await expect(verifier.verify(await bearer({}, { key: stranger.privateKey }))).resolves.toEqual({ ok: false, status: 401, reason: 'signature' });
    await expect(verifier.verify(await bearer({}, { key: stranger.privateKey, kid: 'made-up' }))).resolves.toEqual({ ok: false, status: 401, reason: 'unknown_key' });
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = (await token()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: READ_API_SCOPE, sub: 'admin' })).toString('base64url');
    await expect(verifier.verify(`Bearer ${h}.${forged}.${s}`)).resolves.toEqual({ ok: false, status: 401, reason: 'signature' });
  });

  it('refuses algorithms outside the allow-list: RS256 here, HS256, none', async () => {
    // RS256 with a key of the set, but the allow-list is ES256 and EdDSA
    await expect(verifier.verify(await bearer({}, { key: rsa.privateKey, alg: 'RS256', kid: 'rsa' }))).resolves.toEqual({ ok: false, status: 401, reason: 'algorithm' });
    const secret = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    await expect(verifier.verify(await bearer({}, { key: secret, alg: 'HS256' }))).resolves.toEqual({ ok: false, status: 401, reason: 'algorithm' });
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: READ_API_SCOPE })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    await expect(verifier.verify(`Bearer ${none}`)).resolves.toMatchObject({ ok: false, status: 401 });
  });

  it('answers 403 for a valid token without the read scope', async () => {
    for (const claims of [
      { scope: 'openid profile' },
      { scope: `${READ_API_SCOPE}x` },
      { scope: undefined },
      { scope: undefined, scopes: 'proctoring:attempts:read' },
      { scope: [READ_API_SCOPE] },
    ]) {
      await expect(verifier.verify(await bearer(claims))).resolves.toEqual({ ok: false, status: 403, reason: 'insufficient_scope' });
    }
  });

  it('hasReadScope reads a space-separated scope or a scopes array only', () => {
    expect(hasReadScope({ scope: `a ${READ_API_SCOPE} b` })).toBe(true);
    expect(hasReadScope({ scopes: [READ_API_SCOPE] })).toBe(true);
    expect(hasReadScope({ scope: 'a b' })).toBe(false);
    expect(hasReadScope({ scopes: 'x' })).toBe(false);
  });
});
