import { COURSE_ID_PLACEHOLDER, type EmailSettings } from './policy';
import { needsStatusEmail, statusAlias, type Status } from './statuses';

export interface StatusEmailInput {
  toEmail: string;
  examName: string;
  courseName: string | null;
  courseId: string;
  status: Status;
  settings: EmailSettings;
}

export interface StatusEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  courseUrl: string;
}

/** SPEC §5: taken as proctored, not a sample attempt, and a status that needs the email. */
export function shouldSendStatusEmail(e: {
  takingAsProctored: boolean;
  isSampleAttempt: boolean;
  toStatus: Status;
}): boolean {
  return e.takingAsProctored && !e.isSampleAttempt && needsStatusEmail(e.toStatus);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes `& < > " '` for HTML text and attribute values; everything else (Unicode included) is kept. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const KEPT_LITERAL: Readonly<Record<string, string>> = { '%3A': ':', '%2B': '+', '%40': '@' };

/**
 * A course id as one URL path segment: percent-encoded (UTF-8) except `:`, `+` and `@`, which stay
 * literal as in edX course URLs (`course-v1:edX+DemoX+2024`). `! ' ( ) *`, which encodeURIComponent
 * leaves alone, are encoded too, so the URL is safe inside parentheses and quotes in the plain text.
 * A lone surrogate becomes U+FFFD.
 */
export function encodeCourseIdSegment(courseId: string): string {
  return encodeURIComponent(courseId.replace(LONE_SURROGATE, '\uFFFD'))
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A|%2B|%40/g, (e) => KEPT_LITERAL[e]);
}

/** `{https|http}://{siteName}{courseInfoPath}`, every `{courseId}` in the path replaced by the encoded id. */
export function courseInfoUrl(settings: EmailSettings, courseId: string): string {
  const path = settings.courseInfoPath.split(COURSE_ID_PLACEHOLDER).join(encodeCourseIdSegment(courseId));
  return `${settings.https ? 'https' : 'http'}://${settings.siteName}${path}`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RUN = /[\u0000-\u001f\u007f-\u009f]+/g;

/** A subject is one header line: runs of control characters (CR, LF, …) become one space. */
function oneLine(value: string): string {
  return value.replace(CONTROL_RUN, ' ');
}

/** Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * A name as it may be shown to a learner (SPEC §8.5): without bidi embedding, override and isolate
 * controls, which would let "Passed \u202Edeliaf\u202C exam" read as "Passed failed exam".
 */
export function stripBidiControls(value: string): string {
  return value.replace(BIDI_CONTROLS, '');
}

/** The learner-facing course name: "your course" when there is none. */
function displayCourseName(courseName: string | null): string {
  const name = courseName === null ? '' : stripBidiControls(courseName);
  return name.trim() === '' ? 'your course' : name;
}

/**
 * The status email of SPEC §5: the original template's sentence, HTML with a plain-text alternative.
 * Every value put into the HTML is escaped; Unicode is kept as is, except bidi controls in names.
 */
export function buildStatusEmail(input: StatusEmailInput): StatusEmail {
  const { settings } = input;
  // Every name shown to the learner loses its bidi controls; the course id is percent-encoded.
  const courseName = displayCourseName(input.courseName);
  const examName = stripBidiControls(input.examName);
  const platformName = stripBidiControls(settings.platformName);
  const courseUrl = courseInfoUrl(settings, input.courseId);
  // Only submitted/verified/rejected send mail and all three have an alias; the raw status is a fallback.
  const status = statusAlias(input.status) || input.status;
  const h = escapeHtml;

  const html =
    '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n<p>' +
    `This email is to let you know that the status of your proctoring session review for ${h(examName)} in\n` +
    `<a href="${h(courseUrl)}">${h(courseName)}</a> is ${h(status)}. If you have any questions about proctoring,\n` +
    `contact ${h(platformName)} support at ${h(settings.contactEmail)}.` +
    '</p>\n</body>\n</html>\n';

  const text =
    `This email is to let you know that the status of your proctoring session review for ${examName} in ` +
    `${courseName} (${courseUrl}) is ${status}. If you have any questions about proctoring, ` +
    `contact ${platformName} support at ${settings.contactEmail}.\n`;

  return {
    from: settings.fromEmail,
    to: input.toEmail,
    subject: oneLine(`Proctoring Session Results Update for ${courseName} ${examName}`),
    html,
    text,
    courseUrl,
  };
}
