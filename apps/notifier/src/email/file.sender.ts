import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmailSender, OutgoingEmail, SendOutcome } from './email-sender.port';
import { buildMimeMessage } from './mime-message.builder';

export interface FileSenderOptions {
  outboxDir: string;
  now?: () => Date;
}

/**
 * The local driver, used when no SendGrid key is configured: each email becomes
 * `<outboxDir>/<eventId>.eml`, written atomically (temporary file, then rename). The same event id
 * always maps to the same file, and a file that already exists is left alone, so a resend is a no-op.
 */
export class FileSender implements EmailSender {
  readonly name = 'file';
  private readonly now: () => Date;
  private dirReady: Promise<unknown> | null = null;

  constructor(private readonly options: FileSenderOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Where the email for `eventId` is (or will be) written. */
  pathFor(eventId: string): string {
    return join(this.options.outboxDir, `${fileStem(eventId)}.eml`);
  }

  /** Deletes the `.eml` files of these events (a retired learner's); a file that is not there is fine. */
  async forget(eventIds: readonly string[]): Promise<void> {
    for (const eventId of eventIds) {
      await unlink(this.pathFor(eventId)).catch((e: unknown) => {
        if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      });
    }
  }

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const target = this.pathFor(email.eventId);
    try {
      this.dirReady ??= mkdir(this.options.outboxDir, { recursive: true });
      await this.dirReady;
      if (await exists(target)) return { kind: 'sent', providerMessageId: null };
      const temp = join(this.options.outboxDir, `.${fileStem(email.eventId)}.${randomBytes(6).toString('hex')}.tmp`);
      await writeFile(temp, buildMimeMessage(email, this.now()), { encoding: 'utf8', mode: 0o640 });
      try {
        await rename(temp, target);
      } catch (e) {
        await unlink(temp).catch(() => undefined);
        throw e;
      }
      return { kind: 'sent', providerMessageId: null };
    } catch (e) {
      this.dirReady = null;
      const code = (e as { code?: unknown }).code;
      // A full disk or a permissions problem may be fixed by an operator: retry with backoff.
      return { kind: 'retry', reason: `writing the .eml file failed: ${typeof code === 'string' ? code : 'I/O error'}`, retryAfterMs: null, statusCode: null };
    }
  }
}

/** A file name for the event id: itself when it is safe, otherwise a readable prefix and a digest. */
function fileStem(eventId: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(eventId)) return eventId;
  const digest = createHash('sha256').update(eventId, 'utf8').digest('hex').slice(0, 32);
  const readable = eventId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80);
  return readable ? `${readable}-${digest}` : digest;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return false;
    throw e;
  }
}
