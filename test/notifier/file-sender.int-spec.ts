import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { buildStatusEmail, policyFor } from '../../libs/domain/src';
import { FileSender } from '../../apps/notifier/src/email/file.sender';
import { loadProviders } from './notifier.fixture';

describe('FileSender (.eml outbox, used when no SendGrid key is set)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'notifier-outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const rendered = buildStatusEmail({
    toEmail: 'learner@learners.example.com',
    examName: 'Final <script>alert(1)</script>',
    courseName: 'अआईउऊऋऌ अआईउऊऋऌ',
    courseId: 'course-v1:edX+DemoX+Demo_Course',
    status: 'verified',
    settings: policyFor(loadProviders(), null).email,
  });
  const email = { eventId: 'c0a80101-0000-4000-8000-000000000003', ...rendered };

  it('writes <eventId>.eml that parses back to the same subject, from, to, html and text', async () => {
    const sender = new FileSender({ outboxDir: join(dir, 'nested', 'emails') });
    await expect(sender.send(email)).resolves.toEqual({ kind: 'sent', providerMessageId: null });

    const path = join(dir, 'nested', 'emails', `${email.eventId}.eml`);
    const raw = await readFile(path);
    expect(raw.toString('latin1').replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF only
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(rendered.subject);
    expect(parsed.subject).toContain('अआईउऊऋऌ अआईउऊऋऌ');
    expect(parsed.from?.value[0].address).toBe('no-reply@example.com');
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value[0].address).toBe('learner@learners.example.com');
    expect(parsed.html).toBe(rendered.html);
    expect(parsed.text).toBe(rendered.text);
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.headers.get('mime-version')).toBe('1.0');
    expect(parsed.date).toBeInstanceOf(Date);
  });

  it('is idempotent: the same event id keeps one file, left as first written', async () => {
    const sender = new FileSender({ outboxDir: dir, now: () => new Date('2025-11-25T10:00:00Z') });
    await sender.send(email);
    const first = await readFile(join(dir, `${email.eventId}.eml`), 'utf8');
    const firstStat = await stat(join(dir, `${email.eventId}.eml`));

    const later = new FileSender({ outboxDir: dir, now: () => new Date('2025-11-26T10:00:00Z') });
    await expect(later.send(email)).resolves.toEqual({ kind: 'sent', providerMessageId: null });
    expect(await readFile(join(dir, `${email.eventId}.eml`), 'utf8')).toBe(first);
    expect((await stat(join(dir, `${email.eventId}.eml`))).mtimeMs).toBe(firstStat.mtimeMs);
    expect(await readdir(dir)).toEqual([`${email.eventId}.eml`]); // no temporary file left behind
  });

  it('never lets an event id escape the outbox folder', async () => {
    const sender = new FileSender({ outboxDir: dir });
    await sender.send({ ...email, eventId: '../../etc/passwd' });
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^etc_passwd-[0-9a-f]{32}\.eml$/);
  });

  it('reports an unwritable folder as the driver unavailable, without the path or address in the reason', async () => {
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const sender = new FileSender({ outboxDir: join(dir, 'a-file', 'emails') });
    const outcome = await sender.send(email);
    expect(outcome.kind).toBe('unavailable');
    expect(outcome).toMatchObject({ reason: 'writing the .eml file failed: ENOTDIR' });
    expect(JSON.stringify(outcome)).not.toContain('@');
    expect(JSON.stringify(outcome)).not.toContain(dir);
  });
});
