import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { EMAIL_PATTERN, ID_PATTERN, SAFE_TEXT_PATTERN, SEQUENCE_PATTERN, UUID_PATTERN } from './field.schemas';

/*
 * The one ajv instance of the contract. Each schema is compiled once, on first use.
 * `allErrors: false`: validation stops at the first problem, which is all a rejection reports.
 * `verbose: true` gives errors their parent schema (used to word `anyOf` failures); error objects
 * then also carry the offending value, which is never copied into a message.
 */
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true });
addFormats(ajv, ['date-time', 'uuid']);

const compiled = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

export type CheckResult = { ok: true } | { ok: false; error: string };

/** Validates `value` against `schema`; the error names the field path and never contains a value. */
export function check(schema: TSchema, value: unknown): CheckResult {
  const validate = validatorFor(schema);
  if (validate(value)) return { ok: true };
  return { ok: false, error: describeErrors(validate.errors ?? []) };
}

/** Compiles every given schema now (start-up check and warm-up). Throws if one is not valid. */
export function compileAll(schemas: Iterable<TSchema>): void {
  for (const schema of schemas) validatorFor(schema);
}

/**
 * One line describing the failure. With `allErrors: false` ajv reports a single error, except for a
 * failed `anyOf`, where the errors of each branch come first and the `anyOf` error last: the last
 * error is the one to report.
 */
function describeErrors(errors: ErrorObject[]): string {
  const last = errors[errors.length - 1];
  return last ? describeError(last) : 'invalid';
}

const PATTERN_MESSAGES: Record<string, string> = {
  [ID_PATTERN]: 'must not contain control characters or unpaired surrogates',
  [SAFE_TEXT_PATTERN]: 'must not contain NUL characters or unpaired surrogates',
  [EMAIL_PATTERN]: 'must be an e-mail address: one mailbox, no display name, list, quotes, brackets, spaces or control characters',
  [UUID_PATTERN]: 'must be a UUID (8-4-4-4-12 hexadecimal digits)',
  [SEQUENCE_PATTERN]: 'must be a decimal integer without leading zeros',
};

const FORMAT_MESSAGES: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time with a time zone',
  uuid: 'must be a UUID',
};

function describeError(e: ErrorObject): string {
  const path = e.instancePath === '' ? '(message)' : e.instancePath;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${e.instancePath}/${String(p.missingProperty)} is required`;
    case 'type':
      return `${path} must be ${String(p.type).split(',').join(' or ')}`;
    case 'minLength':
      return Number(p.limit) === 1 ? `${path} must not be empty` : `${path} must be at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `${path} must be at most ${String(p.limit)} characters`;
    case 'pattern':
      return `${path} ${PATTERN_MESSAGES[String(p.pattern)] ?? 'has an invalid format'}`;
    case 'format':
      return `${path} ${FORMAT_MESSAGES[String(p.format)] ?? `must be a valid ${String(p.format)}`}`;
    case 'const':
      return `${path} must be ${JSON.stringify(p.allowedValue)}`;
    case 'enum':
      return `${path} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${path} must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'anyOf':
      return `${path} ${describeAnyOf(e.parentSchema)}`;
    default:
      return `${path} is invalid (${e.keyword})`;
  }
}

/** "must include attemptId, or attemptCode, or examId and userId" from the branches' `required`. */
function describeAnyOf(parentSchema: unknown): string {
  const branches = (parentSchema as { anyOf?: { required?: string[] }[] } | undefined)?.anyOf ?? [];
  const alternatives = branches.map((b) => (b.required ?? []).join(' and ')).filter((s) => s !== '');
  return alternatives.length === branches.length && alternatives.length > 0
    ? `must include ${alternatives.join(', or ')}`
    : 'does not match any of the allowed shapes';
}

type SchemaNode = { properties?: Record<string, SchemaNode>; required?: string[]; default?: unknown };

/**
 * The value as the schema describes it: only the properties the schema declares (unknown fields
 * dropped, at every level the schema describes), optional properties that are `null` left out,
 * and `default`s filled in for absent ones. Call it on values that passed validation.
 */
export function normalize(schema: TSchema, value: unknown): unknown {
  return pick(schema, value);
}

function pick(schema: SchemaNode, value: unknown): unknown {
  const properties = schema.properties;
  if (!properties || typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const required = new Set(schema.required ?? []);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(properties)) {
    const v = Object.prototype.hasOwnProperty.call(source, key) ? source[key] : undefined;
    if (v === undefined || (v === null && !required.has(key))) {
      if (sub.default !== undefined) out[key] = sub.default;
      continue;
    }
    out[key] = pick(sub, v);
  }
  return out;
}
