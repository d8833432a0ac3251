import { createHash } from 'node:crypto';
import type { OutgoingEmail } from './email-sender.port';

const CRLF = '\r\n';

/**
 * Renders an email as an RFC 5322 / MIME message: `multipart/alternative` with a text/plain and a
 * text/html part, UTF-8, base64 bodies, CRLF line endings, non-ASCII headers as RFC 2047 encoded words.
 * Deterministic for a given email and date (the boundary and Message-ID derive from the event id).
 */
export function buildMimeMessage(email: OutgoingEmail, date: Date, messageIdDomain = 'proctoring-notifier.invalid'): string {
  const digest = createHash('sha256').update(email.eventId, 'utf8').digest('hex');
  const boundary = `=_alt_${digest.slice(0, 32)}`;
  const headers = [
    header('Date', rfc5322Date(date)),
    header('From', encodeAddressHeader(email.from)),
    header('To', encodeAddressHeader(email.to)),
    header('Subject', encodeUnstructured(email.subject)),
    header('Message-ID', `<${messageIdLocalPart(email.eventId, digest)}@${messageIdDomain}>`),
    header('MIME-Version', '1.0'),
    header('Content-Type', `multipart/alternative; boundary="${boundary}"`),
  ];
  const parts = [
    part('text/plain', email.text, boundary),
    part('text/html', email.html, boundary),
  ];
  return `${headers.join('')}${CRLF}${parts.join('')}--${boundary}--${CRLF}`;
}

function header(name: string, value: string): string {
  return `${name}: ${value}${CRLF}`;
}

function part(contentType: string, body: string, boundary: string): string {
  return (
    `--${boundary}${CRLF}` +
    `Content-Type: ${contentType}; charset=UTF-8${CRLF}` +
    `Content-Transfer-Encoding: base64${CRLF}${CRLF}` +
    base64Lines(body) +
    CRLF
  );
}

function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines.join(CRLF) + (lines.length > 0 ? CRLF : '');
}

/** Message-ID local part: the event id when it is a plain dot-atom, otherwise its digest. */
function messageIdLocalPart(eventId: string, digest: string): string {
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(eventId) && eventId.length <= 200
    ? eventId
    : digest;
}

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/** Unstructured header text (Subject): as is when printable ASCII, else RFC 2047 `B` encoded words. */
export function encodeUnstructured(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  if (ASCII_PRINTABLE.test(flat) && flat.length <= 900) return flat;
  return encodedWords(flat).join(`${CRLF} `);
}

/**
 * An address header (`Name <addr>` or a bare address): the display name is encoded when it is not
 * ASCII; the address itself is left as it is (SMTPUTF8 addresses are passed through unchanged).
 */
function encodeAddressHeader(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ').trim();
  const match = /^(.*?)\s*<([^<>]+)>$/.exec(flat);
  if (!match) return flat;
  const [, name, address] = match;
  if (!name) return `<${address}>`;
  const unquoted = name.replace(/^"(.*)"$/, '$1');
  if (ASCII_PRINTABLE.test(unquoted)) {
    return /^[A-Za-z0-9 !#$%&'*+/=?^_`{|}~-]*$/.test(unquoted)
      ? `${unquoted} <${address}>`
      : `"${unquoted.replace(/["\\]/g, '\\$&')}" <${address}>`;
  }
  return `${encodedWords(unquoted).join(`${CRLF} `)} <${address}>`;
}

/** Splits text into `=?UTF-8?B?…?=` words of at most 75 characters, never splitting a character. */
function encodedWords(text: string): string[] {
  const maxBytes = 45; // 45 bytes → 60 base64 chars; with `=?UTF-8?B?` and `?=` that is 72 ≤ 75
  const words: string[] = [];
  let chunk: Buffer[] = [];
  let size = 0;
  for (const ch of text) {
    const bytes = Buffer.from(ch, 'utf8');
    if (size + bytes.length > maxBytes && chunk.length > 0) {
      words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
      chunk = [];
      size = 0;
    }
    chunk.push(bytes);
    size += bytes.length;
  }
  if (chunk.length > 0) words.push(`=?UTF-8?B?${Buffer.concat(chunk).toString('base64')}?=`);
  return words.length > 0 ? words : ['=?UTF-8?B??='];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Tue, 25 Nov 2025 20:48:00 +0000` (RFC 5322 §3.3, in UTC). */
export function rfc5322Date(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
