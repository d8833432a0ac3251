/**
 * Which of our ids the Open edX LMS can read as opaque keys (the `opaque-keys` library it parses
 * `course_key` and `usage_key` with: `CourseKey.from_string`, `UsageKey.from_string`). Only the forms
 * a current Open edX site uses are accepted: `course-v1:Org+Num+Run` (and the deprecated `Org/Num/Run`),
 * `block-v1:Org+Num+Run+type@T+block@B` (and the deprecated `i4x://Org/Num/T/B`). Each part uses the
 * characters opaque-keys allows in ids: letters, digits, `_`, `-`, `~`, `.`, `:`.
 */
const ID = String.raw`[\p{L}\p{N}_\-~.:]+`;
const COURSE_V1 = new RegExp(String.raw`^course-v1:(${ID})\+(${ID})\+(${ID})$`, 'u');
const COURSE_DEPRECATED = new RegExp(String.raw`^(${ID})/(${ID})/(${ID})$`, 'u');
const BLOCK_V1 = new RegExp(
  String.raw`^block-v1:(${ID})\+(${ID})\+(${ID})\+type@(${ID})\+block@(${ID})$`,
  'u',
);
const BLOCK_DEPRECATED = new RegExp(String.raw`^i4x://(${ID})/(${ID})/(${ID})/(${ID})$`, 'u');

export interface CourseParts {
  org: string;
  course: string;
  /** Absent in a deprecated `i4x://` usage key, which does not name the run. */
  run?: string;
}

export function parseCourseKey(id: string): CourseParts | null {
  const m = COURSE_V1.exec(id) ?? COURSE_DEPRECATED.exec(id);
  return m ? { org: m[1], course: m[2], run: m[3] } : null;
}

export function parseUsageKey(id: string): CourseParts | null {
  const v1 = BLOCK_V1.exec(id);
  if (v1) return { org: v1[1], course: v1[2], run: v1[3] };
  const old = BLOCK_DEPRECATED.exec(id);
  return old ? { org: old[1], course: old[2] } : null;
}

/** The usage key names the same course as the course key (org, number and, when it says, run). */
export function sameCourse(course: CourseParts, usage: CourseParts): boolean {
  return (
    course.org === usage.org &&
    course.course === usage.course &&
    (usage.run === undefined || usage.run === course.run)
  );
}

/**
 * The LMS user id (`UserData.id`, an Avro long) of one of our user ids: a decimal integer, no sign, no
 * leading zeros, up to 2^53 − 1 (Open edX ids are Django auto ids, far below).
 */
export function lmsUserId(userId: string): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(userId)) return null;
  const n = Number(userId);
  return Number.isSafeInteger(n) ? n : null;
}
