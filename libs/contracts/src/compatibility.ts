import type { TSchema } from '@sinclair/typebox';
import { messageSchemas, type MessageKind } from './schema-registry';

/*
 * The v1 compatibility rules, checked against the committed snapshot `v1-baseline.json`:
 * within v1, fields may be added but never removed, renamed or retyped. Commands are read by us and
 * written by others, so a new command field must be optional and an optional one must stay
 * optional. Events and dead letters are written by us and read by others, so a required field
 * there must stay required (a consumer relies on it being there).
 */

export interface MessageCatalogue {
  kind: MessageKind;
  /** Dotted field path (`data.user.email`) → JSON type (`string`, `string|null`, `integer`, …). */
  fields: Record<string, string>;
  /** Paths required in their parent object. */
  required: string[];
}

export type ContractCatalogue = Record<string, MessageCatalogue>;

type SchemaNode = { type?: string | string[]; properties?: Record<string, SchemaNode>; required?: string[] };

/** The fields of every message of the current contract (sorted, so that it serialises stably). */
export function describeContract(): ContractCatalogue {
  const catalogue: ContractCatalogue = {};
  for (const { name, kind, schema } of [...messageSchemas()].sort((a, b) => compare(a.name, b.name))) {
    const fields: Record<string, string> = {};
    const required: string[] = [];
    walk(schema, '', fields, required);
    catalogue[name] = {
      kind,
      fields: Object.fromEntries(Object.entries(fields).sort(([a], [b]) => compare(a, b))),
      required: required.sort(compare),
    };
  }
  return catalogue;
}

function walk(schema: TSchema, prefix: string, fields: Record<string, string>, required: string[]): void {
  const node = schema as SchemaNode;
  const requiredHere = new Set(node.required ?? []);
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    fields[path] = typeName(sub);
    if (requiredHere.has(key)) required.push(path);
    walk(sub as TSchema, path, fields, required);
  }
}

function typeName(node: SchemaNode): string {
  if (Array.isArray(node.type)) return node.type.join('|');
  return node.type ?? 'any';
}

/** Every way `current` breaks `baseline` (empty when it is a compatible evolution). */
export function breakingChanges(baseline: ContractCatalogue, current: ContractCatalogue): string[] {
  const problems: string[] = [];
  for (const [name, before] of Object.entries(baseline)) {
    const after = current[name];
    if (!after) {
      problems.push(`${name}: message removed`);
      continue;
    }
    const requiredBefore = new Set(before.required);
    const requiredAfter = new Set(after.required);
    for (const [path, type] of Object.entries(before.fields)) {
      if (!(path in after.fields)) problems.push(`${name}: field ${path} removed or renamed`);
      else if (after.fields[path] !== type) problems.push(`${name}: field ${path} changed type from ${type} to ${after.fields[path]}`);
      if (!requiredBefore.has(path) && requiredAfter.has(path)) problems.push(`${name}: optional field ${path} became required`);
      if (before.kind !== 'command' && requiredBefore.has(path) && path in after.fields && !requiredAfter.has(path)) {
        problems.push(`${name}: required ${before.kind} field ${path} became optional`);
      }
    }
    if (before.kind === 'command') {
      for (const path of after.required) {
        if (!(path in before.fields) && effectivelyRequired(path, requiredAfter)) {
          problems.push(`${name}: new command field ${path} is required (old publishers do not send it)`);
        }
      }
    }
  }
  return problems;
}

/** Required at message level: the field and every object above it are required (`a.b.c` needs `a`, `a.b`, `a.b.c`). */
function effectivelyRequired(path: string, required: ReadonlySet<string>): boolean {
  const parts = path.split('.');
  return parts.every((_, i) => required.has(parts.slice(0, i + 1).join('.')));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
