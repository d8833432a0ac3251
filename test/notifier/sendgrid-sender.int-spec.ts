import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SendGridSender } from '../../apps/notifier/src/email/sendgrid.sender';
import type { OutgoingEmail } from '../../apps/notifier/src/email/email-sender.port';
import { accepted, badRequest, rateLimited, serverError, startSendGridStub, type SendGridStub } from '../support/sendgrid-stub';

/** The real @sendgrid/mail client against the local v3 stub: request shape and outcome mapping. */
describe('SendGridSender (real @sendgrid/mail client, local v3 stub)', () => {
  const apiKey = 'SG.sender-spec-key-42';
  let stub: SendGridStub;
  let sender: SendGridSender;
  const now = () => Date.parse('2025-11-25T12:00:00Z');
  const email: OutgoingEmail = {
    eventId: 'evt-0001',
    from: 'no-reply@example.com',
    to: 'learner@learners.example.com',
    subject: 'Proctoring Session Results Update for edx demo Final Exam',
    html: '<p>html</p>',
    text: 'text',
  };

  beforeAll(async () => {
    stub = await startSendGridStub();
    sender = new SendGridSender({ apiKey, baseUrl: stub.baseUrl, timeoutMs: 500, now });
  });
  afterEach(() => stub.reset());
  afterAll(() => stub.stop());

  it('POSTs /v3/mail/send with the key, the email and custom_args carrying only the event id', async () => {
    stub.enqueue(accepted('msg-123'));
    await expect(sender.send(email)).resolves.toEqual({ kind: 'sent', providerMessageId: 'msg-123' });
    expect(stub.requests).toHaveLength(1);
    const [req] = stub.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v3/mail/send');
    expect(req.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      from: { email: 'no-reply@example.com' },
      subject: email.subject,
      personalizations: [{ to: [{ email: 'learner@learners.example.com' }] }],
      content: [
        { type: 'text/plain', value: 'text' },
        { type: 'text/html', value: '<p>html</p>' },
      ],
      custom_args: { event_id: 'evt-0001' },
    });
  });

  it('maps 429 with Retry-After (seconds) to a retry after that long', async () => {
    stub.enqueue(rateLimited({ 'Retry-After': '7' }));
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', retryAfterMs: 7000, statusCode: 429 });
  });

  it('maps 429 with Retry-After (HTTP date) and X-RateLimit-Reset (epoch seconds)', async () => {
    stub.enqueue(rateLimited({ 'Retry-After': 'Tue, 25 Nov 2025 12:00:30 GMT' }));
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', retryAfterMs: 30_000 });
    stub.enqueue(rateLimited({ 'X-RateLimit-Reset': String(now() / 1000 + 45) }));
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', retryAfterMs: 45_000 });
    stub.enqueue(rateLimited({}));
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', retryAfterMs: null });
  });

  it.each([500, 502, 503, 504])('maps %i to a retry with no provider-given wait', async (status) => {
    stub.enqueue(serverError(status));
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', retryAfterMs: null, statusCode: status });
  });

  it('maps 400 to a permanent failure whose reason has SendGrid message but no address or key', async () => {
    stub.enqueue(badRequest('Does not contain a valid address: learner@learners.example.com', 'personalizations.0.to'));
    const outcome = await sender.send(email);
    expect(outcome).toMatchObject({ kind: 'permanent', statusCode: 400 });
    const reason = outcome.kind === 'permanent' ? outcome.reason : '';
    expect(reason).toContain('400');
    expect(reason).toContain('Does not contain a valid address');
    expect(reason).not.toContain('learner@');
    expect(reason).not.toContain(apiKey);
  });

  it.each([401, 403, 413])('maps %i to a permanent failure', async (status) => {
    stub.enqueue({ status, body: { errors: [{ message: 'nope', field: null, help: null }] } });
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'permanent', statusCode: status });
  });

  it('maps a timeout to a retry', async () => {
    stub.enqueue({ hang: true });
    const outcome = await sender.send(email);
    expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: null, statusCode: null });
  });

  it('maps a dropped connection and a refused connection to a retry', async () => {
    stub.enqueue({ drop: true });
    await expect(sender.send(email)).resolves.toMatchObject({ kind: 'retry', statusCode: null });

    const port = await closedPort();
    const nowhere = new SendGridSender({ apiKey, baseUrl: `http://127.0.0.1:${port}/`, timeoutMs: 500 });
    const outcome = await nowhere.send(email);
    expect(outcome).toMatchObject({ kind: 'retry', statusCode: null });
    expect(outcome.kind === 'retry' ? outcome.reason : '').toContain('ECONNREFUSED');
  });

  it('uses a dedicated client: the module-level @sendgrid/mail singleton is untouched', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const singleton = require('@sendgrid/mail') as { client: { auth: string } };
    expect(singleton.client.auth).toBe('');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
