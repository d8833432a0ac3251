import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArrivalLog } from './stats';

/**
 * A lean local endpoint that speaks SendGrid's v3 `POST /v3/mail/send` well enough for the real
 * `@sendgrid/mail` client: it answers 202 with an `X-Message-Id` at once and only counts (unlike
 * test/support/sendgrid-stub.ts, which records every request for assertions and would grow without
 * bound under load). A request without a JSON body naming `personalizations` gets 400.
 */
export class SendGridSink {
  readonly arrivals = new ArrivalLog();
  rejected = 0;
  private readonly eventIds = new Set<string>();
  duplicates = 0;
  private server: Server | null = null;
  baseUrl = '';

  get accepted(): number {
    return this.arrivals.total;
  }

  async start(): Promise<this> {
    let counter = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.method !== 'POST' || req.url !== '/v3/mail/send' || !body.includes('"personalizations"')) {
          this.rejected++;
          res.writeHead(400, { 'Content-Type': 'application/json' });
          res.end('{"errors":[{"message":"bad request","field":null,"help":null}]}');
          return;
        }
        const eventId = /"event_id":"([^"]+)"/.exec(body)?.[1];
        if (eventId !== undefined) {
          if (this.eventIds.has(eventId)) this.duplicates++;
          else this.eventIds.add(eventId);
        }
        this.arrivals.add(1, performance.now());
        res.writeHead(202, { 'X-Message-Id': `bench-${++counter}`, 'Content-Length': 0 });
        res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
