import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK, type CryptoKey } from 'jose';
import { KeySetUnavailableError, RemoteJwksClient } from './remote-jwks.client';

const URL = 'https://idp.example.org/.well-known/jwks.json';

describe('RemoteJwksClient', () => {
  let a: { privateKey: CryptoKey; jwk: JWK };
  let b: { privateKey: CryptoKey; jwk: JWK };
  let clock: number;
  let served: { status: number; body: string } | Error;
  let fetchSpy: jest.SpyInstance;

  beforeAll(async () => {
    const ka = await generateKeyPair('ES256');
    const kb = await generateKeyPair('ES256');
    a = { privateKey: ka.privateKey, jwk: { ...(await exportJWK(ka.publicKey)), kid: 'a', alg: 'ES256' } };
    b = { privateKey: kb.privateKey, jwk: { ...(await exportJWK(kb.publicKey)), kid: 'b', alg: 'ES256' } };
  });

  beforeEach(() => {
    clock = 1_000_000;
    served = { status: 200, body: JSON.stringify({ keys: [a.jwk] }) };
    fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => {
      if (served instanceof Error) throw served;
      return new Response(served.body, { status: served.status, headers: { 'content-type': 'application/json' } });
    });
  });

  afterEach(() => fetchSpy.mockRestore());

  const client = () => new RemoteJwksClient(URL, { now: () => clock });
  const sign = (key: CryptoKey, kid: string) => new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(key);
  const verify = (c: RemoteJwksClient, t: string) => jwtVerify(t, c.getKey, { algorithms: ['ES256'] });

  it('fetches once, then serves keys from memory (no redirects followed)', async () => {
    const c = client();
    const t = await sign(a.privateKey, 'a');
    await verify(c, t);
    await verify(c, t);
    expect(c.fetches).toBe(1);
    expect(fetchSpy).toHaveBeenCalledWith(URL, expect.objectContaining({ redirect: 'error' }));
  });

  it('refetches for an unknown key id at most once a minute (a rotation is picked up)', async () => {
    const c = client();
    await verify(c, await sign(a.privateKey, 'a'));
    const rotated = await sign(b.privateKey, 'b');
    // made-up key ids do not make it fetch again within the minute
    clock += 10_000;
    await expect(verify(c, rotated)).rejects.toThrow();
    await expect(verify(c, rotated)).rejects.toThrow();
    expect(c.fetches).toBe(1);
    served = { status: 200, body: JSON.stringify({ keys: [a.jwk, b.jwk] }) };
    clock += 50_000;
    await expect(verify(c, rotated)).resolves.toMatchObject({ payload: { sub: 'x' } });
    expect(c.fetches).toBe(2);
  });

  it('refetches a key set older than ten minutes; fails closed (503) when that is impossible', async () => {
    const c = client();
    const t = await sign(a.privateKey, 'a');
    await verify(c, t);
    served = new Error('connect ECONNREFUSED');
    clock += 600_000;
    await expect(verify(c, t)).rejects.toBeInstanceOf(KeySetUnavailableError);
    // an unreachable endpoint is not hammered: no new fetch within the minute
    clock += 30_000;
    await expect(verify(c, t)).rejects.toBeInstanceOf(KeySetUnavailableError);
    expect(c.fetches).toBe(2);
    served = { status: 200, body: JSON.stringify({ keys: [a.jwk] }) };
    clock += 30_000;
    await expect(verify(c, t)).resolves.toBeDefined();
    expect(c.fetches).toBe(3);
  });

  it('refuses a document that is not a set of public keys, or an error answer', async () => {
    const t = await sign(a.privateKey, 'a');
    for (const bad of [
      { status: 200, body: JSON.stringify({ keys: [{ ...a.jwk, d: 'private' }] }) },
      { status: 200, body: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }) },
      { status: 200, body: 'not json' },
      { status: 200, body: JSON.stringify({ keys: [a.jwk], pad: 'x'.repeat(300 * 1024) }) },
      { status: 404, body: '{}' },
    ]) {
      served = bad;
      await expect(verify(client(), t)).rejects.toBeInstanceOf(KeySetUnavailableError);
    }
  });

  it('shares one fetch between concurrent requests', async () => {
    const c = client();
    const t = await sign(a.privateKey, 'a');
    await Promise.all([verify(c, t), verify(c, t), verify(c, t)]);
    expect(c.fetches).toBe(1);
  });
});
