import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
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
 * The file is synced before the rename: `sent` means the whole email is on disk, never a truncated one.
 *
 * A failure to write (the folder full, read-only or gone) is the driver's, not the email's: the
 * outcome is `unavailable`, the temporary file is removed, and the worker holds the email back
 * without using up its attempts until the folder takes files again (docs/reliability.md, scenario 11).
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
    // Outside the file-system guard: a throw here is a bug in the email, retried and then given up.
    const content = buildMimeMessage(email, this.now());
    try {
      this.dirReady ??= mkdir(this.options.outboxDir, { recursive: true });
      await this.dirReady;
      if (await exists(target)) return { kind: 'sent', providerMessageId: null };
      const temp = join(this.options.outboxDir, `.${fileStem(email.eventId)}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeSynced(temp, content);
        await rename(temp, target);
      } catch (e) {
        // A full disk fails the write after the file was created: never leave the partial file behind.
        await unlink(temp).catch(() => undefined);
        throw e;
      }
      return { kind: 'sent', providerMessageId: null };
    } catch (e) {
      this.dirReady = null;
      const code = (e as { code?: unknown }).code;
      return { kind: 'unavailable', reason: `writing the .eml file failed: ${typeof code === 'string' ? code : 'I/O error'}` };
    }
  }
}

/** Creates `path` (never an existing file), writes `content` and syncs it, so a write error surfaces here. */
async function writeSynced(path: string, content: string): Promise<void> {
  const file = await open(path, 'wx', 0o640);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
  } finally {
    await file.close();
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
