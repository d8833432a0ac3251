import type { EmailSettings } from './policy';
import { STATUSES } from './statuses';
import {
  buildStatusEmail,
  courseInfoUrl,
  encodeCourseIdSegment,
  escapeHtml,
  shouldSendStatusEmail,
  stripBidiControls,
  type StatusEmailInput,
} from './status-email';

const SETTINGS: EmailSettings = {
  siteName: 'lms.example.com',
  platformName: 'Open edX',
  contactEmail: 'info@edx.org',
  fromEmail: 'no-reply@example.com',
  https: true,
  courseInfoPath: '/courses/{courseId}/info',
};

const INPUT: StatusEmailInput = {
  toEmail: 'learner@example.com',
  examName: 'Test Exam',
  courseName: 'edx demo',
  courseId: 'course-v1:edX+DemoX+Demo_2024',
  status: 'submitted',
  settings: SETTINGS,
};

const SUBJECT = 'Proctoring Session Results Update';
const BODY = 'the status of your proctoring session review';

describe('shouldSendStatusEmail', () => {
  it('only for rejected, submitted and verified, taken as proctored, not a sample attempt', () => {
    const sending = STATUSES.filter((toStatus) =>
      shouldSendStatusEmail({ takingAsProctored: true, isSampleAttempt: false, toStatus }),
    );
    expect(sending).toEqual(['submitted', 'verified', 'rejected']);
    for (const toStatus of sending) {
      expect(shouldSendStatusEmail({ takingAsProctored: false, isSampleAttempt: false, toStatus })).toBe(
        false,
      );
      expect(shouldSendStatusEmail({ takingAsProctored: true, isSampleAttempt: true, toStatus })).toBe(false);
    }
  });
});

describe('buildStatusEmail (SPEC §5)', () => {
  it.each([
    ['submitted', 'pending'],
    ['verified', 'satisfactory'],
    ['rejected', 'unsatisfactory'],
  ] as const)('test_send_email %s: subject, body, alias and course name', (status, alias) => {
    const mail = buildStatusEmail({ ...INPUT, status });
    expect(mail.subject).toBe('Proctoring Session Results Update for edx demo Test Exam');
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain(BODY);
      expect(body).toContain(` is ${alias}.`);
      expect(body).toContain('edx demo');
    }
  });

  it('renders the original sentence with the course linked, and a plain-text twin', () => {
    const mail = buildStatusEmail(INPUT);
    const url = 'https://lms.example.com/courses/course-v1:edX+DemoX+Demo_2024/info';
    expect(mail).toMatchObject({ from: 'no-reply@example.com', to: 'learner@example.com', courseUrl: url });
    expect(mail.html).toContain(
      'This email is to let you know that the status of your proctoring session review for Test Exam in\n' +
        `<a href="${url}">edx demo</a> is pending. If you have any questions about proctoring,\n` +
        'contact Open edX support at info@edx.org.',
    );
    expect(mail.text).toBe(
      'This email is to let you know that the status of your proctoring session review for Test Exam in ' +
        `edx demo (${url}) is pending. If you have any questions about proctoring, contact Open edX support at info@edx.org.\n`,
    );
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
    expect(mail.html).toContain('<meta charset="utf-8">');
  });

  it('test_send_email_unicode: a unicode course name survives subject and body intact', () => {
    const courseName = 'अआईउऊऋऌ अआईउऊऋऌ';
    const mail = buildStatusEmail({ ...INPUT, courseName });
    expect(mail.subject).toContain(SUBJECT);
    expect(mail.subject).toContain(courseName);
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain(BODY);
      expect(body).toContain('pending');
      expect(body).toContain(courseName);
    }
  });

  it('a missing or empty course name reads "your course"', () => {
    for (const courseName of [null, '', '   ']) {
      const mail = buildStatusEmail({ ...INPUT, courseName });
      expect(mail.subject).toBe('Proctoring Session Results Update for your course Test Exam');
      expect(mail.html).toContain('>your course</a>');
      expect(mail.text).toContain(' in your course (');
    }
  });

  it('escapes every value put into the HTML; the plain text keeps them as written', () => {
    const evil = '<script>alert("x")</script> & \'q\'';
    const mail = buildStatusEmail({
      ...INPUT,
      examName: evil,
      courseName: evil,
      settings: { ...SETTINGS, platformName: evil, contactEmail: 'Help <help@example.com>' },
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<help@');
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;';
    expect(mail.html.split(escaped)).toHaveLength(4); // exam name, course name, platform
    expect(mail.html).toContain('Help &lt;help@example.com&gt;');
    expect(mail.text).toContain(evil);
    expect(mail.subject).toBe(`Proctoring Session Results Update for ${evil} ${evil}`);
  });

  it('the course URL cannot break out of the href attribute', () => {
    const mail = buildStatusEmail({
      ...INPUT,
      settings: { ...SETTINGS, courseInfoPath: "/x\"onclick='y'/{courseId}" },
    });
    expect(mail.html).toContain(
      'href="https://lms.example.com/x&quot;onclick=&#39;y&#39;/course-v1:edX+DemoX+Demo_2024"',
    );
  });

  it('keeps the subject on one line', () => {
    const mail = buildStatusEmail({ ...INPUT, examName: 'Exam\r\nBcc: someone@example.com' });
    expect(mail.subject).toBe('Proctoring Session Results Update for edx demo Exam Bcc: someone@example.com');
  });

  it('removes bidi controls from names: "Passed \u202Edeliaf\u202C exam" cannot read "Passed failed exam"', () => {
    const mail = buildStatusEmail({ ...INPUT, examName: 'Passed \u202Edeliaf\u202C exam' });
    expect(mail.subject).toBe('Proctoring Session Results Update for edx demo Passed deliaf exam');
    expect(mail.html).toContain('review for Passed deliaf exam in\n');
    expect(mail.text).toContain('review for Passed deliaf exam in ');
    for (const part of [mail.subject, mail.html, mail.text]) expect(part).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  });

  it('removes every embedding, override and isolate control (U+202A–U+202E, U+2066–U+2069) from course and platform names', () => {
    const controls = '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069';
    const mail = buildStatusEmail({
      ...INPUT,
      examName: `Final${controls} Exam`,
      courseName: `ק${controls}ורס`,
      settings: { ...SETTINGS, platformName: `Open${controls} edX` },
    });
    expect(mail.subject).toBe('Proctoring Session Results Update for קורס Final Exam');
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain('review for Final Exam in');
      expect(body).toContain('קורס');
      expect(body).toContain('contact Open edX support');
    }
    for (const part of [mail.subject, mail.html, mail.text]) expect(part).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    // A course name made only of controls is no name.
    expect(buildStatusEmail({ ...INPUT, courseName: '\u202E\u202C' }).subject).toContain('for your course ');
  });

  it('keeps other Unicode format characters and right-to-left text as they are', () => {
    expect(stripBidiControls('\u200Fשלום\u200E ZWJ\u200D')).toBe('\u200Fשלום\u200E ZWJ\u200D');
  });

  it('falls back to the raw status for a status without an alias', () => {
    expect(buildStatusEmail({ ...INPUT, status: 'error' }).text).toContain(' is error.');
  });

  it('uses http when HTTPS is off', () => {
    expect(buildStatusEmail({ ...INPUT, settings: { ...SETTINGS, https: false } }).courseUrl).toMatch(
      /^http:\/\/lms\.example\.com\//,
    );
  });
});

describe('course URL', () => {
  it('percent-encodes the course id as one path segment, keeping : + @ literal', () => {
    expect(encodeCourseIdSegment('course-v1:edX+DemoX+Demo_2024')).toBe('course-v1:edX+DemoX+Demo_2024');
    expect(encodeCourseIdSegment('block-v1:a+b+type@c')).toBe('block-v1:a+b+type@c');
    expect(encodeCourseIdSegment('a/b c?d#e%f&g')).toBe('a%2Fb%20c%3Fd%23e%25f%26g');
    expect(encodeCourseIdSegment("x!'()*y")).toBe('x%21%27%28%29%2Ay');
    expect(encodeCourseIdSegment('-_.~')).toBe('-_.~');
    expect(encodeCourseIdSegment('कोर्स')).toBe('%E0%A4%95%E0%A5%8B%E0%A4%B0%E0%A5%8D%E0%A4%B8');
  });

  it('does not throw on a lone surrogate', () => {
    expect(encodeCourseIdSegment('a\uD800b')).toBe('a%EF%BF%BDb');
  });

  it('replaces every {courseId} and takes $ patterns literally', () => {
    const settings = { ...SETTINGS, courseInfoPath: '/c/{courseId}/x/{courseId}' };
    expect(courseInfoUrl(settings, "$&$'")).toBe('https://lms.example.com/c/%24%26%24%27/x/%24%26%24%27');
  });

  it('the old default layout: edX/DemoX/2014 ids have their slashes encoded', () => {
    expect(courseInfoUrl(SETTINGS, 'edX/DemoX/2014')).toBe(
      'https://lms.example.com/courses/edX%2FDemoX%2F2014/info',
    );
  });

  it('an empty path gives the site root', () => {
    expect(courseInfoUrl({ ...SETTINGS, courseInfoPath: '' }, 'x')).toBe('https://lms.example.com');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters and nothing else', () => {
    expect(escapeHtml(`&<>"' अ é 😀`)).toBe('&amp;&lt;&gt;&quot;&#39; अ é 😀');
  });
});
