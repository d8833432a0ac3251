import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * OTLP export when configured (issue #22): a process with OTEL_EXPORTER_OTLP_ENDPOINT set posts its
 * spans to `<endpoint>/v1/traces`; without it, tracing is off and nothing is posted. The collector is
 * a local HTTP stand-in; the process is a plain Node child (see otlp-export.child.ts).
 */
describe('tracing: OTLP/HTTP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  const received: { path: string | undefined; contentType: string | undefined; body: string }[] = [];
  let collector: Server;
  let endpoint: string;

  beforeAll(async () => {
    collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => collector.close(resolve)));

  const child = (env: Record<string, string>) =>
    run(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'otlp-export.child.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 60_000,
    });

  it('posts the spans, in the trace of the given parent, to <endpoint>/v1/traces', async () => {
    received.length = 0;
    const traceId = randomBytes(16).toString('hex');
    const { stdout } = await child({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, TEST_TRACEPARENT: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(stdout).toContain('enabled=true');
    expect(stdout).toContain('sdkLoaded=true');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    expect(received[0].body).toContain('process UpdateAttemptStatus');
    expect(received[0].body).toContain('"attempt-service"');
    expect(received[0].body).toContain(traceId);
  });

  it('posts nothing when the variable is not set (tracing off, no SDK)', async () => {
    received.length = 0;
    const { stdout } = await child({ TEST_TRACEPARENT: `00-${randomBytes(16).toString('hex')}-00f067aa0ba902b7-01` });
    expect(stdout).toContain('enabled=false');
    expect(stdout).toContain('sdkLoaded=false');
    expect(received).toHaveLength(0);
  });
});
