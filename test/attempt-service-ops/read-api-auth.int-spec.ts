import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestTopics, type TestTopics } from '../support/kafka-fixture';
import { createReadApiTestKeys, type ReadApiTestKeys } from '../support/read-api-keys';
import { TEST_DATABASE_URL, TEST_KAFKA_BROKERS } from '../support/test-env';
import { getJson, ROOT, startOpsService, type OpsService } from './ops.support';

/** main.ts as a process (transpiled on the fly), with only the given environment. */
function startMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(ROOT, 'apps/attempt-service/src/main.ts')],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

describe('attempt-service: read API authentication at start', () => {
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    KAFKA_BROKERS: TEST_KAFKA_BROKERS,
    PROVIDERS_FILE: join(ROOT, 'config/providers.json'),
    HTTP_PORT: '0',
    MIGRATE_ON_START: 'false',
  };

  it('refuses to start with the read API on and no key set, naming the variables, before connecting anything', async () => {
    const { code, stderr } = await startMain(env);
    expect(code).toBe(1);
    expect(stderr).toContain('attempt-service failed to start');
    expect(stderr).toContain('READ_API_JWKS_FILE or READ_API_JWKS_URL must be set');
    expect(stderr).toContain('READ_API_AUTH=off');
  });

  it('refuses a JWKS URL that is neither https nor loopback http', async () => {
    const { code, stderr } = await startMain({
      ...env,
      READ_API_JWKS_URL: 'http://idp.example.org/jwks',
      READ_API_ISSUER: 'https://idp.example.org/',
      READ_API_AUDIENCE: 'urn:proctoring:attempts',
    });
    expect(code).toBe(1);
    expect(stderr).toContain('READ_API_JWKS_URL must be an https URL');
    expect(stderr).not.toContain('idp.example.org');
  });
});

describe('attempt-service: read API with a JWKS URL', () => {
  let topics: TestTopics;
  let keys: ReadApiTestKeys;
  let jwksServer: Server;
  let hits = 0;
  let service: OpsService;

  beforeAll(async () => {
    topics = await createTestTopics('ops-jwks');
    keys = await createReadApiTestKeys('EdDSA');
    jwksServer = createServer((req, res) => {
      hits++;
      res.setHeader('content-type', 'application/jwk-set+json');
      res.end(JSON.stringify(keys.jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    service = await startOpsService(topics, {
      ...keys.env,
      READ_API_JWKS_FILE: '',
      READ_API_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    });
  });

  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => jwksServer?.close(resolve));
    keys?.dispose();
  });

  it('fetches the key set once for many requests, and not again for unknown key ids within the minute', async () => {
    const url = `${service.url}/attempts/00000000-0000-4000-8000-000000000000`;
    expect(hits).toBe(0);
    const token = await keys.token();
    for (let i = 0; i < 3; i++) expect((await getJson(url, token)).status).toBe(404);
    expect(hits).toBe(1);
    for (let i = 0; i < 3; i++) expect((await getJson(url, await keys.token({ kid: `made-up-${i}` }))).status).toBe(401);
    expect(hits).toBe(1);
    expect((await getJson(url)).status).toBe(401);
  });
});
