import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: SendGridMailBody | undefined;
  rawBody: string;
  /** `Date.now()` when the request was fully received. */
  receivedAt: number;
  /** The status the stub answered (null when the script dropped the connection). */
  answeredStatus: number | null;
}

/** The v3 `mail/send` JSON body, as far as the notifier uses it. */
export interface SendGridMailBody {
  from: { email: string; name?: string };
  subject?: string;
  personalizations: Array<{ to: Array<{ email: string; name?: string }>; subject?: string }>;
  content?: Array<{ type: string; value: string }>;
  custom_args?: Record<string, string>;
  [key: string]: unknown;
}

/** How the stub answers one request. */
export type StubResponse =
  | { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number }
  /** Accept the request and never answer (the client's timeout fires). */
  | { hang: true }
  /** Destroy the connection without an answer. */
  | { drop: true };

export const accepted = (messageId?: string): StubResponse => ({
  status: 202,
  headers: messageId ? { 'X-Message-Id': messageId } : {},
});
export const rateLimited = (headers: Record<string, string>): StubResponse => ({
  status: 429,
  headers,
  body: { errors: [{ message: 'too many requests', field: null, help: null }] },
});
export const serverError = (status = 500): StubResponse => ({
  status,
  body: { errors: [{ message: 'internal error', field: null, help: null }] },
});
export const badRequest = (message = 'The from object must be provided for every email send.', field = 'from'): StubResponse => ({
  status: 400,
  body: { errors: [{ message, field, help: 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html' }] },
});

/** A responder that accepts every request after a random delay in [minDelayMs, maxDelayMs], each with its own `X-Message-Id`. */
export function acceptAfterRandomDelay(minDelayMs: number, maxDelayMs: number, idPrefix = 'fault'): () => StubResponse {
  let counter = 0;
  return () => ({
    status: 202,
    headers: { 'X-Message-Id': `${idPrefix}-${++counter}` },
    delayMs: minDelayMs + Math.floor(Math.random() * (maxDelayMs - minDelayMs + 1)),
  });
}

/**
 * A local stand-in for SendGrid's v3 API (`POST /v3/mail/send`) for the real `@sendgrid/mail` client:
 * records every request and answers from a script — a queue of responses consumed in order, or a
 * function of the request — then 202 with an `X-Message-Id`.
 */
export class SendGridStub {
  readonly requests: RecordedRequest[] = [];
  /**
   * Called with each request once it is answered (or dropped, or left hanging); with `keep: false`
   * the stub hands requests only to it and keeps none (a long run in a thread of its own).
   */
  constructor(private readonly o: { keep?: boolean; onRequest?: (r: RecordedRequest) => void } = {}) {}
  private readonly queue: StubResponse[] = [];
  private responder: ((req: RecordedRequest, index: number) => StubResponse | undefined) | null = null;
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();
  private counter = 0;
  private counted = 0;

  /** The base URL to give `client.setDefaultRequest('baseUrl', …)`, e.g. `http://127.0.0.1:43567/`. */
  baseUrl = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Queues responses for the next requests, in order. */
  enqueue(...responses: StubResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  /**
   * Answers by function (after the queue is empty); returning undefined falls back to 202. `index`
   * counts every request received so far, from 0.
   */
  respondWith(fn: ((req: RecordedRequest, index: number) => StubResponse | undefined) | null): this {
    this.responder = fn;
    return this;
  }

  /** Every request answered so far is in `requests` already (the threaded stub's needs a round trip). */
  async flush(): Promise<void> {}

  reset(): void {
    this.requests.length = 0;
    this.counted = 0;
    this.queue.length = 0;
    this.responder = null;
  }

  /** Requests whose `custom_args.event_id` is `eventId`. */
  requestsFor(eventId: string): RecordedRequest[] {
    return this.requests.filter((r) => r.body?.custom_args?.event_id === eventId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: SendGridMailBody | undefined;
    try {
      body = JSON.parse(rawBody) as SendGridMailBody;
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      rawBody,
      receivedAt: Date.now(),
      answeredStatus: null,
    };
    const index = this.counted++;
    if (this.o.keep !== false) this.requests.push(recorded);
    try {
      await this.answer(req, res, recorded, index);
    } finally {
      this.o.onRequest?.(recorded);
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest, index: number): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
      recorded.answeredStatus = 404;
      this.reply(res, { status: 404, body: { errors: [{ message: 'not found', field: null, help: null }] } });
      return;
    }
    const script = this.queue.shift() ?? this.responder?.(recorded, index) ?? accepted(`stub-${++this.counter}`);
    if ('hang' in script) {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if ('drop' in script) {
      req.socket.destroy();
      return;
    }
    if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
    recorded.answeredStatus = script.status;
    this.reply(res, script);
  }

  private reply(res: ServerResponse, script: { status: number; headers?: Record<string, string>; body?: unknown }): void {
    if (res.destroyed) return;
    const payload = script.body === undefined ? '' : JSON.stringify(script.body);
    res.writeHead(script.status, {
      ...(payload ? { 'Content-Type': 'application/json' } : {}),
      'Content-Length': Buffer.byteLength(payload),
      ...script.headers,
    });
    res.end(payload);
  }
}

/** Starts a stub on a free port. */
export async function startSendGridStub(): Promise<SendGridStub> {
  return new SendGridStub().start();
}
