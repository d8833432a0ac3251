import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import type { EmailSender, OutgoingEmail, SendOutcome } from './email-sender.port';

export interface SendGridSenderOptions {
  apiKey: string;
  /** Base URL of the v3 API, e.g. `https://api.sendgrid.com/` (a local stub in tests). */
  baseUrl: string;
  timeoutMs: number;
  /** The clock used to turn `X-RateLimit-Reset` and HTTP dates into delays (tests pass their own). */
  now?: () => number;
}

/**
 * Sends through SendGrid's v3 `mail/send` with the official client, on a dedicated `MailService` and
 * `Client` (never the module-level singletons, so two senders never share a key or a base URL).
 *
 * Outcome mapping: 2xx → sent; 429 → retry after `Retry-After` / `X-RateLimit-Reset`; 5xx, timeouts,
 * connection errors → retry; every other status → permanent. Reasons never carry the recipient or the key.
 */
export class SendGridSender implements EmailSender {
  readonly name = 'sendgrid';
  private readonly mail: MailService;
  private readonly now: () => number;

  constructor(private readonly options: SendGridSenderOptions) {
    const client = new Client();
    client.setApiKey(options.apiKey); // resets baseUrl to the region host, so the base URL comes after
    client.setDefaultRequest('baseUrl', options.baseUrl);
    // mail/send never redirects; not following redirects also keeps the key from being sent elsewhere
    // and skips axios's follow-redirects wrapper on every request (the client's typings omit the key).
    client.setDefaultRequest({ maxRedirects: 0 } as unknown as Parameters<Client['setDefaultRequest']>[0]);
    this.mail = new MailService();
    this.mail.setClient(client);
    // = client.setDefaultRequest('timeout', ms) (the client's typings omit the axios `timeout` key)
    this.mail.setTimeout(options.timeoutMs);
    this.now = options.now ?? Date.now;
  }

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    try {
      const [response] = await this.mail.send({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        customArgs: { event_id: email.eventId },
      });
      const headers = normalizeHeaders(response.headers);
      return { kind: 'sent', providerMessageId: headers['x-message-id'] ?? null };
    } catch (error) {
      return this.classify(error, email);
    }
  }

  private classify(error: unknown, email: OutgoingEmail): SendOutcome {
    const redact = (text: string) => redactReason(text, [email.to, email.from, this.options.apiKey]);
    const status = responseStatus(error);
    if (status !== null) {
      const headers = normalizeHeaders(responseHeaders(error));
      const detail = redact(sendGridErrorDetail(error));
      const reason = `SendGrid answered ${status}${detail ? `: ${detail}` : ''}`;
      if (status === 429) {
        return { kind: 'retry', reason, retryAfterMs: retryAfterMs(headers, this.now()), statusCode: status };
      }
      if (status >= 500) return { kind: 'retry', reason, retryAfterMs: null, statusCode: status };
      if (status >= 200 && status < 300) return { kind: 'sent', providerMessageId: headers['x-message-id'] ?? null };
      return { kind: 'permanent', reason, statusCode: status };
    }
    if (isTransportError(error)) {
      const code = (error as { code?: unknown }).code;
      const what = typeof code === 'string' && code ? code : 'network error';
      return { kind: 'retry', reason: redact(`SendGrid request failed: ${what}`), retryAfterMs: null, statusCode: null };
    }
    // Neither an HTTP answer nor a transport failure: the client refused the message before sending
    // (e.g. an address it cannot parse). Sending it again cannot help.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'permanent', reason: redact(`SendGrid client rejected the message: ${message}`), statusCode: null };
  }
}

/** Status of a `ResponseError` from `@sendgrid/client` (it puts the HTTP status in `code`). */
function responseStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { code?: unknown; response?: unknown };
  if (typeof e.code === 'number' && typeof e.response === 'object' && e.response !== null) return e.code;
  return null;
}

function responseHeaders(error: unknown): unknown {
  return (error as { response?: { headers?: unknown } }).response?.headers;
}

/** axios marks its own failures (timeouts, refused or reset connections, DNS) with `isAxiosError`. */
function isTransportError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true;
}

/** SendGrid's `{ errors: [{ message, field }] }` body, flattened to one line. */
function sendGridErrorDetail(error: unknown): string {
  const body = (error as { response?: { body?: unknown } }).response?.body;
  if (typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)) {
    const parts = ((body as { errors: unknown[] }).errors)
      .map((item) => {
        if (typeof item !== 'object' || item === null) return '';
        const { message, field } = item as { message?: unknown; field?: unknown };
        const m = typeof message === 'string' ? message : '';
        const f = typeof field === 'string' && field ? ` (${field})` : '';
        return `${m}${f}`.trim();
      })
      .filter((s) => s.length > 0);
    return parts.join('; ').slice(0, 500);
  }
  if (typeof body === 'string') return body.slice(0, 200);
  return '';
}

/**
 * How long SendGrid asked us to wait: `Retry-After` (delta seconds or an HTTP date) or
 * `X-RateLimit-Reset` (unix epoch seconds), whichever is present; null when neither can be read.
 */
export function retryAfterMs(headers: Record<string, string>, nowMs: number): number | null {
  const retryAfter = headers['retry-after']?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers['x-ratelimit-reset']?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Math.max(0, Math.ceil(Number(reset) * 1000 - nowMs));
  return null;
}

function normalizeHeaders(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  // axios's AxiosHeaders has toJSON(); plain objects are used as they are.
  const source = typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(): unknown }).toJSON() : raw;
  for (const [key, value] of Object.entries(source as Record<string, unknown>)) {
    if (typeof value === 'string') out[key.toLowerCase()] = value;
    else if (typeof value === 'number') out[key.toLowerCase()] = String(value);
    else if (Array.isArray(value)) out[key.toLowerCase()] = value.map(String).join(', ');
  }
  return out;
}

const EMAIL_LIKE = /[^\s"'<>@,;:()[\]\\]+@[^\s"'<>@,;:()[\]\\]+/g;

/** Removes the given secrets and anything shaped like an email address from a reason text. */
export function redactReason(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('[redacted]');
  }
  return out.replace(EMAIL_LIKE, '[email]');
}
