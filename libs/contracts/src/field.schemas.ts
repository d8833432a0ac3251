import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/*
 * Field-level building blocks shared by the envelope, command and event schemas.
 *
 * Lengths: JSON Schema counts string length in Unicode code points, and so does ajv (its `unicode`
 * option is on by default) and PostgreSQL's `char_length`. Patterns are ECMA-262 regular expressions
 * compiled with the `u` flag (ajv's default `unicodeRegExp`), so `{1,255}` in a pattern also counts
 * code points, and a character class like `[^\uD800-\uDFFF]` matches any well-formed code point
 * (including emoji) but not an unpaired surrogate. Length limits and patterns therefore agree.
 *
 * Every string in the contract rejects U+0000 (PostgreSQL refuses it in `text` and `jsonb`) and
 * unpaired surrogates (they cannot be encoded as UTF-8: node-postgres would silently store U+FFFD,
 * so two different ids would collide, and PostgreSQL rejects them in `jsonb`). Identifiers also reject
 * every Unicode control character (C0, DEL, C1).
 */

/** Characters no string in the contract may contain: NUL and unpaired UTF-16 surrogates. */
const UNSAFE_CHARS = '\\u0000\\uD800-\\uDFFF';
/** Characters no identifier may contain: all Unicode control characters (Cc) and unpaired surrogates. */
const ID_UNSAFE_CHARS = '\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF';

export const ID_MAX_LENGTH = 255;
export const NAME_MAX_LENGTH = 1000;
export const REASON_MAX_LENGTH = 1000;
export const STATUS_MAX_LENGTH = 64;
export const MINUTES_MAX = 100_000;
export const DATE_TIME_MAX_LENGTH = 64;

/** Pattern of an identifier: 1–255 code points, no control characters. */
export const ID_PATTERN = `^[^${ID_UNSAFE_CHARS}]{1,${ID_MAX_LENGTH}}$`;
/** Pattern of any other string: no NUL, no unpaired surrogates (length is checked separately). */
export const SAFE_TEXT_PATTERN = `^[^${UNSAFE_CHARS}]*$`;
/**
 * Non-ASCII code points an e-mail address may not contain: C1 controls and no-break space,
 * invisible and format characters (soft hyphen, zero-width and bidi controls, fillers, variation
 * selectors, byte-order mark), Unicode spaces and punctuation (U+2000–U+206F, U+2E00–U+2E7F,
 * U+3000–U+3003), the vertical, small and full-width forms of ASCII punctuation (`﹫`, `，`, `＜`, …)
 * and specials, and unpaired surrogates. Letters, marks and digits of every script stay allowed.
 */
const MAILBOX_UNSAFE_NON_ASCII =
  '\\u0080-\\u00A0\\u00AD\\u034F\\u061C\\u115F\\u1160\\u1680\\u17B4\\u17B5\\u180B-\\u180F' +
  '\\u2000-\\u206F\\u2E00-\\u2E7F\\u3000-\\u3003\\u3164\\uFE00-\\uFE6F\\uFEFF\\uFF00-\\uFF65\\uFFA0' +
  '\\uFFF0-\\uFFFF\\uD800-\\uDFFF';
/**
 * A character of the local part (RFC 5322 `atext`, plus non-ASCII): not a control character, space,
 * `"` `(` `)` `,` `.` `:` `;` `<` `>` `?` `@` `[` `\` `]`. `?` is refused so that no RFC 2047 encoded word
 * (`=?utf-8?q?…?=`) can hide another address; `.` only separates atoms.
 */
const LOCAL_CHAR = `[^\\u0000-\\u0020\\u0022\\u0028\\u0029\\u002C\\u002E\\u003A-\\u003C\\u003E-\\u0040\\u005B-\\u005D\\u007F${MAILBOX_UNSAFE_NON_ASCII}]`;
/** A letter or digit of a domain label: ASCII `A–Z a–z 0–9` or an allowed non-ASCII code point. */
const DOMAIN_CHAR = `[^\\u0000-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007F${MAILBOX_UNSAFE_NON_ASCII}]`;
/** As DOMAIN_CHAR, or a hyphen. */
const DOMAIN_CHAR_OR_HYPHEN = `[^\\u0000-\\u002C\\u002E\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007F${MAILBOX_UNSAFE_NON_ASCII}]`;
const DOMAIN_LABEL = `${DOMAIN_CHAR}(?:${DOMAIN_CHAR_OR_HYPHEN}*${DOMAIN_CHAR})?`;
/**
 * Exactly one mailbox, `local@domain` (SPEC §8.5): a dot-atom local part (`first.last+tag`, `o'brien`,
 * Unicode letters), one `@`, and a domain of one or more labels (letters, digits, inner hyphens)
 * separated by single dots; single-label domains (`localhost`) are allowed. No display name, group,
 * comment, quoted string, domain literal, comma, semicolon, colon, angle bracket, bracket,
 * backslash, whitespace, invisible or control character, so an address can never add a recipient or
 * a display name to a `To:` header. Internationalised addresses pass; the mail provider validates
 * deliverability. Atoms and labels are separated by a literal `.` or `@` that no repeated class
 * matches, so a failing match backtracks within one label at most: linear in the length.
 * libs/domain keeps the same rule (`checkRecipient`) for the notifier's last check before a send.
 */
export const EMAIL_PATTERN = `^${LOCAL_CHAR}+(?:\\.${LOCAL_CHAR}+)*@${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*$`;
/** Lower- or upper-case hexadecimal UUID with hyphens and nothing else (no `urn:uuid:`, no braces). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** CloudEvents `sequence`: a non-negative decimal integer without leading zeros that fits a PostgreSQL bigint. */
export const SEQUENCE_PATTERN = '^(0|[1-9][0-9]{0,18})$';

/** An identifier chosen by a publisher (exam, user, course, content, provider, external ids). */
export function Id(options: SchemaOptions = {}) {
  return Type.String({ minLength: 1, maxLength: ID_MAX_LENGTH, pattern: ID_PATTERN, ...options });
}

/** A free-text string: no NUL, no unpaired surrogates, bounded length. */
export function Text(minLength: number, maxLength: number, options: SchemaOptions = {}) {
  return Type.String({ minLength, maxLength, pattern: SAFE_TEXT_PATTERN, ...options });
}

/** An attempt id: a UUID assigned by the attempt-service. */
export function Uuid(options: SchemaOptions = {}) {
  return Type.String({ format: 'uuid', pattern: UUID_PATTERN, ...options });
}

/** An RFC 3339 timestamp with a time zone offset (`2025-11-25T10:00:00.000Z`). */
export function DateTime(options: SchemaOptions = {}) {
  return Type.String({ format: 'date-time', maxLength: DATE_TIME_MAX_LENGTH, ...options });
}

export function Email(options: SchemaOptions = {}) {
  return Type.String({ minLength: 3, maxLength: 254, pattern: EMAIL_PATTERN, ...options });
}

export function Minutes(options: SchemaOptions = {}) {
  return Type.Integer({ minimum: 0, maximum: MINUTES_MAX, ...options });
}

/** A closed set of strings, as a JSON Schema `enum` (clearer errors than an `anyOf` of constants). */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A single string constant. */
export function StringConst<const T extends string>(value: T, options: SchemaOptions = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, type: 'string', const: value });
}

/**
 * `schema` or `null`, written as a JSON Schema type array (`"type": ["string", "null"]`) so that
 * keywords like `pattern` and `format` keep applying to the non-null branch and an error is one line.
 */
export function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnsafe<Static<T> | null> {
  const plain = toPlainSchema(schema);
  const type: unknown = plain.type;
  if (typeof type !== 'string') throw new Error('Nullable() needs a schema with a single `type`');
  const nullable: Record<string, unknown> = { ...plain, ...options, type: [type, 'null'] };
  // `const` and `enum` apply whatever the type, so `null` has to be one of the allowed values too.
  if ('const' in plain) {
    delete nullable.const;
    nullable.enum = [plain.const, null];
  } else if (Array.isArray(plain.enum)) {
    nullable.enum = [...(plain.enum as unknown[]), null];
  }
  return Type.Unsafe<Static<T> | null>(nullable);
}

/**
 * An optional field of a command: it may be absent, or `null`, which the parser treats exactly as
 * absent (the parsed command never contains it).
 */
export function OptionalInput<T extends TSchema>(schema: T, options: SchemaOptions = {}) {
  return Type.Optional(Nullable(schema, options));
}

/** The schema as plain JSON (TypeBox's symbol keys dropped, shared sub-objects copied). */
export function toPlainSchema(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
