import { simpleParser } from 'mailparser';
import { buildStatusEmail } from '../../../../libs/domain/src';
import { buildMimeMessage, encodeUnstructured, rfc5322Date } from './mime-message.builder';

const email = {
  eventId: '2f1c7c1e-0a63-4d0a-9a51-5b7c1f0e7a10',
  from: 'Open edX <no-reply@example.com>',
  to: 'learner@example.com',
  subject: 'Proctoring Session Results Update for अआईउऊऋऌ अआईउऊऋऌ Final Exam',
  html: '<p>Unicode अआईउऊऋऌ &amp; &lt;script&gt;</p>\n',
  text: 'Unicode अआईउऊऋऌ & <script>\n',
};

describe('buildMimeMessage', () => {
  const raw = buildMimeMessage(email, new Date('2025-11-25T20:48:05Z'));

  it('uses CRLF line endings only and keeps lines short', () => {
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(raw).toMatch(/^Date: Tue, 25 Nov 2025 20:48:05 \+0000\r\n/);
    expect(raw).toContain('MIME-Version: 1.0\r\n');
    expect(raw).toContain(`Message-ID: <${email.eventId}@`);
  });

  it('is ASCII on the wire: RFC 2047 subject, base64 bodies', () => {
    expect([...raw].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);
    expect(raw).toMatch(/Subject: =\?UTF-8\?B\?/);
  });

  it('parses back to the same fields', async () => {
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(email.subject);
    expect(parsed.from?.value[0]).toMatchObject({ address: 'no-reply@example.com', name: 'Open edX' });
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value[0].address).toBe('learner@example.com');
    expect(parsed.text).toBe(email.text);
    expect(parsed.html).toBe(email.html);
    expect(parsed.messageId).toBe(`<${email.eventId}@proctoring-notifier.invalid>`);
  });

  it('is deterministic for a given email and date', () => {
    expect(buildMimeMessage(email, new Date('2025-11-25T20:48:05Z'))).toBe(raw);
  });

  it('leaves a printable ASCII subject as it is and flattens line breaks', () => {
    expect(encodeUnstructured('Hello world')).toBe('Hello world');
    expect(encodeUnstructured('Hello\r\nBcc: x')).toBe('Hello Bcc: x');
    expect(rfc5322Date(new Date('2024-02-29T01:02:03Z'))).toBe('Thu, 29 Feb 2024 01:02:03 +0000');
  });

  it('renders a status email whose exam name carried bidi controls without them (SPEC §8.5)', async () => {
    const status = buildStatusEmail({
      toEmail: 'learner@example.com',
      examName: 'Passed \u202Edeliaf\u202C exam',
      courseName: 'edx demo',
      courseId: 'course-v1:edX+DemoX+Demo_2024',
      status: 'rejected',
      settings: {
        siteName: 'lms.example.com',
        platformName: 'Open edX',
        contactEmail: 'info@example.com',
        fromEmail: 'no-reply@example.com',
        https: true,
        courseInfoPath: '/courses/{courseId}/info',
      },
    });
    const parsed = await simpleParser(buildMimeMessage({ eventId: email.eventId, ...status }, new Date('2025-11-25T20:48:05Z')));
    expect(parsed.subject).toBe('Proctoring Session Results Update for edx demo Passed deliaf exam');
    expect(parsed.text).toContain('review for Passed deliaf exam in ');
    expect(parsed.html).toContain('review for Passed deliaf exam in\n');
    for (const part of [parsed.subject, parsed.text, parsed.html]) expect(part).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });
});
