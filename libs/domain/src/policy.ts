import { err, ok, type Result } from './result';
import { REVIEW_POLICY_DEFAULTS, type ReviewPolicy } from './review';
import { DEFAULT_CASCADE_STATUSES, isStatus, STATUSES, type Status } from './statuses';

/** One block of the providers file (SPEC §6). Every key is optional; absent keys fall through. */
export interface ProviderSettings {
  ALLOW_TIMED_OUT_STATE?: boolean;
  CASCADE_STATUSES?: Status[];
  SITE_NAME?: string;
  PLATFORM_NAME?: string;
  CONTACT_EMAIL?: string;
  FROM_EMAIL?: string;
  HTTPS?: boolean;
  COURSE_INFO_PATH?: string;
  /** SPEC §8.1 rule 3: a later review of an attempt replaces the stored one (default true). */
  ALLOW_REVIEW_UPDATES?: boolean;
  /** SPEC §8.1 rule 4: a suspicious review waits for a person's second review (default true). */
  REQUIRE_FAILURE_SECOND_REVIEWS?: boolean;
}

/** The providers file: `{ "defaults": { … }, "providers": { "<name>": { … } } }`. */
export interface ProvidersConfig {
  defaults: ProviderSettings;
  providers: Record<string, ProviderSettings>;
}

/** What the status email needs from the provider's settings, fully resolved. */
export interface EmailSettings {
  siteName: string;
  platformName: string;
  contactEmail: string;
  fromEmail: string;
  https: boolean;
  courseInfoPath: string;
}

/** The settings of one exam's provider, resolved against the defaults and the rules' own defaults. */
export interface Policy {
  /** undefined: absent at both levels, which SPEC §2 rule 2 reads as "true only from `created`". */
  allowTimedOutState: boolean | undefined;
  cascadeStatuses: readonly Status[];
  email: EmailSettings;
}

/** The placeholder in `COURSE_INFO_PATH` that the course id replaces. */
export const COURSE_ID_PLACEHOLDER = '{courseId}';

/** The value of each key when neither the provider nor the defaults set it (see ADR 0001). */
export const RULE_DEFAULTS = Object.freeze({
  cascadeStatuses: DEFAULT_CASCADE_STATUSES,
  siteName: 'localhost',
  platformName: 'Open edX',
  fromEmail: 'no-reply@example.com',
  https: true,
  courseInfoPath: `/courses/${COURSE_ID_PLACEHOLDER}/info`,
});

// ---------------------------------------------------------------------------------------------------
// Validation of the providers file

type Parsed<K extends keyof ProviderSettings> = Result<Required<ProviderSettings>[K], string>;
type KeyParser<K extends keyof ProviderSettings> = (value: unknown, path: string) => Parsed<K>;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_PROVIDER_NAME = 255;
const MAX_EMAIL = 320;
/** `addr@domain` or `Display Name <addr@domain>`; no whitespace or brackets inside the address. */
const EMAIL = /^(?:[^<>]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;
/** host or host:port, no scheme, path, credentials or whitespace. */
const SITE_NAME = /^[^\s/?#@\\]+$/;
/** empty, or an absolute path without whitespace. */
const COURSE_INFO_PATH = /^(?:\/\S*)?$/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function booleanKey(value: unknown, path: string): Result<boolean, string> {
  return typeof value === 'boolean' ? ok(value) : err(`${path}: must be a boolean, got ${typeName(value)}`);
}

function textKey(value: unknown, path: string, pattern: RegExp, what: string): Result<string, string> {
  if (typeof value !== 'string') return err(`${path}: must be a string, got ${typeName(value)}`);
  if (CONTROL_CHARS.test(value) || !pattern.test(value)) return err(`${path}: must be ${what}`);
  return ok(value);
}

/** Email values are never echoed, not even in part. */
function emailKey(value: unknown, path: string): Result<string, string> {
  if (typeof value === 'string' && value.length > MAX_EMAIL) return err(`${path}: must be an email address`);
  return textKey(value, path, EMAIL, 'an email address');
}

/** A value quoted for an error message: escaped, bounded, and never something that looks like an email. */
function quote(value: string): string {
  if (value.includes('@')) return "'<redacted>'";
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `'${JSON.stringify(shown).slice(1, -1)}'`;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
    }
    previous = current;
  }
  return previous[b.length];
}

/** ` (did you mean 'x'?)` when one candidate is close enough, else ''. */
function suggestion(value: string, candidates: readonly string[]): string {
  if (value.length > 64) return '';
  const folded = value.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = levenshtein(folded, candidate.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best === undefined ? '' : ` (did you mean '${best.candidate}'?)`;
}

function cascadeStatusesKey(value: unknown, path: string): Result<Status[], string> {
  if (!Array.isArray(value)) return err(`${path}: must be an array of statuses, got ${typeName(value)}`);
  const problems: string[] = [];
  const statuses: Status[] = [];
  value.forEach((item: unknown, index) => {
    const at = `${path}[${index}]`;
    if (typeof item !== 'string') problems.push(`${at}: must be a status string, got ${typeName(item)}`);
    else if (!isStatus(item))
      problems.push(`${at}: ${quote(item)} is not a status${suggestion(item, STATUSES)}`);
    else statuses.push(item);
  });
  return problems.length > 0 ? err(problems.join('\n')) : ok(statuses);
}

const KEY_PARSERS: { readonly [K in keyof Required<ProviderSettings>]: KeyParser<K> } = {
  ALLOW_TIMED_OUT_STATE: booleanKey,
  CASCADE_STATUSES: cascadeStatusesKey,
  SITE_NAME: (v, p) => textKey(v, p, SITE_NAME, 'a host name, optionally with :port (no scheme or path)'),
  PLATFORM_NAME: (v, p) => textKey(v, p, /\S/, 'a non-empty name'),
  CONTACT_EMAIL: emailKey,
  FROM_EMAIL: emailKey,
  HTTPS: booleanKey,
  COURSE_INFO_PATH: (v, p) =>
    textKey(v, p, COURSE_INFO_PATH, "a path starting with '/' (or empty), without spaces"),
  ALLOW_REVIEW_UPDATES: booleanKey,
  REQUIRE_FAILURE_SECOND_REVIEWS: booleanKey,
};

/** The keys a settings block may hold. */
export const PROVIDER_SETTING_KEYS = Object.freeze(
  Object.keys(KEY_PARSERS),
) as readonly (keyof ProviderSettings)[];

function isSettingKey(key: string): key is keyof ProviderSettings {
  return Object.hasOwn(KEY_PARSERS, key);
}

function setKey<K extends keyof ProviderSettings>(
  out: ProviderSettings,
  key: K,
  value: unknown,
  path: string,
  errors: string[],
): void {
  const parser: KeyParser<K> = KEY_PARSERS[key];
  const parsed = parser(value, path);
  if (parsed.ok) out[key] = parsed.value;
  else errors.push(...parsed.error.split('\n'));
}

/** `.name` for plain names, `["a.b"]` for anything else, so a path is never ambiguous. */
function segment(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function parseSettings(value: unknown, path: string, errors: string[]): ProviderSettings {
  const out: ProviderSettings = {};
  if (!isPlainObject(value)) {
    errors.push(`${path}: must be an object of settings, got ${typeName(value)}`);
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}${segment(key)}`;
    if (isSettingKey(key)) setKey(out, key, item, at, errors);
    else errors.push(`${at}: unknown key${suggestion(key, PROVIDER_SETTING_KEYS)}`);
  }
  return out;
}

/**
 * Validates the providers file (already JSON-parsed). Unknown keys are errors, so a typo fails at start
 * instead of silently taking a default. Each error names the key path; email values are never echoed.
 * A missing `defaults` or `providers` block counts as empty.
 */
export function parseProvidersConfig(json: unknown): Result<ProvidersConfig, string[]> {
  const errors: string[] = [];
  if (!isPlainObject(json))
    return err([`(root): must be an object with 'defaults' and 'providers', got ${typeName(json)}`]);

  let defaults: ProviderSettings = {};
  const providers: Record<string, ProviderSettings> = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'defaults') {
      defaults = parseSettings(value, 'defaults', errors);
    } else if (key === 'providers') {
      if (!isPlainObject(value)) {
        errors.push(`providers: must be an object of provider blocks, got ${typeName(value)}`);
        continue;
      }
      for (const [name, settings] of Object.entries(value)) {
        const at = `providers${segment(name)}`;
        if (name.length === 0 || name.length > MAX_PROVIDER_NAME || CONTROL_CHARS.test(name)) {
          errors.push(
            `${at}: a provider name must be 1-${MAX_PROVIDER_NAME} characters without control characters`,
          );
          continue;
        }
        // defineProperty: a provider literally named "__proto__" stays an ordinary own key.
        Object.defineProperty(providers, name, {
          value: parseSettings(settings, at, errors),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    } else {
      errors.push(`${segment(key).replace(/^\./, '')}: unknown key (expected 'defaults' and 'providers')`);
    }
  }
  return errors.length > 0 ? err(errors) : ok({ defaults, providers });
}

// ---------------------------------------------------------------------------------------------------
// Resolution

function providerBlock(
  config: ProvidersConfig,
  provider: string | null | undefined,
): ProviderSettings | undefined {
  if (provider === null || provider === undefined) return undefined;
  return Object.hasOwn(config.providers, provider) ? config.providers[provider] : undefined;
}

/** True for a configured provider, and for "no provider" (null/undefined), which means the defaults. */
export function hasProvider(config: ProvidersConfig, provider: string | null | undefined): boolean {
  return provider === null || provider === undefined || Object.hasOwn(config.providers, provider);
}

/** `a@b` from `Name <a@b>`; a bare address unchanged. The contact address is shown in a sentence. */
function bareAddress(email: string): string {
  const match = /<([^<>]+)>\s*$/.exec(email);
  return match === null ? email : match[1];
}

/**
 * The resolved policy for an exam's provider: each key from the provider, else the defaults, else the
 * rule's own default. An unknown provider name resolves like no provider (callers check hasProvider).
 */
export function policyFor(config: ProvidersConfig, provider: string | null | undefined): Policy {
  const own = providerBlock(config, provider) ?? {};
  const defaults = config.defaults;
  const fromEmail = own.FROM_EMAIL ?? defaults.FROM_EMAIL ?? RULE_DEFAULTS.fromEmail;
  return {
    allowTimedOutState: own.ALLOW_TIMED_OUT_STATE ?? defaults.ALLOW_TIMED_OUT_STATE,
    cascadeStatuses: Object.freeze([
      ...(own.CASCADE_STATUSES ?? defaults.CASCADE_STATUSES ?? RULE_DEFAULTS.cascadeStatuses),
    ]),
    email: {
      siteName: own.SITE_NAME ?? defaults.SITE_NAME ?? RULE_DEFAULTS.siteName,
      platformName: own.PLATFORM_NAME ?? defaults.PLATFORM_NAME ?? RULE_DEFAULTS.platformName,
      contactEmail: own.CONTACT_EMAIL ?? defaults.CONTACT_EMAIL ?? bareAddress(fromEmail),
      fromEmail,
      https: own.HTTPS ?? defaults.HTTPS ?? RULE_DEFAULTS.https,
      courseInfoPath: own.COURSE_INFO_PATH ?? defaults.COURSE_INFO_PATH ?? RULE_DEFAULTS.courseInfoPath,
    },
  };
}

/** The review settings of an exam's provider (SPEC §8.1): the provider's, else the defaults', else true. */
export function reviewPolicyFor(config: ProvidersConfig, provider: string | null | undefined): ReviewPolicy {
  const own = providerBlock(config, provider) ?? {};
  const defaults = config.defaults;
  return {
    allowReviewUpdates: own.ALLOW_REVIEW_UPDATES ?? defaults.ALLOW_REVIEW_UPDATES ?? REVIEW_POLICY_DEFAULTS.allowReviewUpdates,
    requireFailureSecondReviews:
      own.REQUIRE_FAILURE_SECOND_REVIEWS ?? defaults.REQUIRE_FAILURE_SECOND_REVIEWS ?? REVIEW_POLICY_DEFAULTS.requireFailureSecondReviews,
  };
}
