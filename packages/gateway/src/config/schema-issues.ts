/**
 * Runs a TypeBox schema over a document and turns its findings into readable issues: one per path,
 * unknown fields as warnings, messages that say what was expected and what was found.
 * @module
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Errors, ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { pointerToPath, type PathSegment } from './locate.js';

/** One schema finding. `unknownField` issues are warnings; all others are errors. */
export interface SchemaIssue {
  readonly path: PathSegment[];
  readonly message: string;
  readonly unknownField: boolean;
  /** For an unknown field: the known field it is probably a misspelling of. */
  readonly suggestion?: string;
}

/**
 * Kubernetes drops `null` fields of a structured schema before validating (`annotations:` with no
 * value is common), so we do the same. Free-form objects (plugin configuration) keep their nulls:
 * they reach the plugin as JSON `null`.
 */
export function stripNulls(schema: TSchema, value: unknown): unknown {
  if (schema[Kind] === 'Union' && Array.isArray(schema.anyOf)) return value;
  if (schema[Kind] === 'Object' && isPlainObject(value)) {
    const props = (schema.properties ?? {}) as Record<string, TSchema>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null) continue;
      const sub = props[k];
      out[k] = sub ? stripNulls(sub, v) : v;
    }
    return out;
  }
  if (schema[Kind] === 'Array' && Array.isArray(value) && schema.items) {
    return value.map((v) => stripNulls(schema.items as TSchema, v));
  }
  return value;
}

/** Every problem of `value` against `schema`, the first per path, in document order of discovery. */
export function schemaIssues(schema: TSchema, value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of Errors(schema, value)) {
    // A missing required property is reported twice by TypeBox (required + wrong type); keep one.
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const path = pointerToPath(error.path);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const field = String(path.at(-1));
      const suggestion = didYouMean(field, Object.keys((error.schema.properties ?? {}) as Record<string, unknown>));
      issues.push({
        path,
        message: `unknown field "${field}" is ignored${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
        unknownField: true,
        ...(suggestion ? { suggestion } : {}),
      });
    } else {
      issues.push({ path, message: messageFor(error), unknownField: false });
    }
  }
  return issues;
}

/**
 * The known key an unknown one is most likely a misspelling of: the same but for case, or within a
 * small edit distance (insertions, deletions, substitutions, swapped neighbours), ignoring case.
 */
export function didYouMean(field: string, known: readonly string[]): string | undefined {
  const lower = field.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = Math.min(2, Math.floor(field.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function messageFor(error: ValueError): string {
  const s = error.schema;
  const got = describeValue(error.value);
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.StringPattern:
      return `${typeof s.errorMessage === 'string' ? s.errorMessage : `must match ${String(s.pattern)}`}, got ${got}`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.StringMaxLength:
      return `must be at most ${String(s.maxLength)} characters long`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${String(s.minItems)} item${s.minItems === 1 ? '' : 's'}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be at least ${String(s.minimum)}, got ${got}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be at most ${String(s.maximum)}, got ${got}`;
    case ValueErrorType.Union:
      return `${typeof s.errorMessage === 'string' ? s.errorMessage : `must be ${expected(s)}`}, got ${got}`;
    case ValueErrorType.String:
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object:
      return `must be ${expected(s)}, got ${got}`;
    default:
      return error.message;
  }
}

/** What a schema accepts, in words. */
function expected(schema: TSchema): string {
  const literals = Array.isArray(schema.anyOf)
    ? (schema.anyOf as TSchema[]).map((v) => v.const).filter((c): c is string => typeof c === 'string')
    : [];
  if (literals.length > 0) return `one of ${literals.join(', ')}`;
  switch (schema[Kind]) {
    case 'String':
      return 'a string';
    case 'Integer':
      return 'an integer';
    case 'Number':
      return 'a number';
    case 'Boolean':
      return 'true or false';
    case 'Array':
      return 'a list';
    case 'Object':
    case 'Record':
      return 'a mapping';
    default:
      return 'a valid value';
  }
}

/** A short description of a found value: `"FAIL_SOMETIMES"`, `8080 (a number)`, `a list`. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number') return Number.isInteger(value) ? `${value} (a number)` : `${value}`;
  if (typeof value === 'boolean') return `${value}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
