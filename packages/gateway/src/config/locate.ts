/**
 * Maps a path inside a document (`['spec', 'matchRules', 0, 'ingress', 1]`) to its `file:line:col`,
 * walking the kept YAML syntax tree. When the path does not exist (a missing required field), the
 * nearest existing parent is located instead, which is where the field has to be added.
 * @module
 */
import { isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { SourceLocation } from '@wasmgate/host';
import { linePos, type ParsedDocument } from './parse.js';

/** A path inside a document: keys and list indexes. */
export type PathSegment = string | number;

/** `spec.matchRules[0].ingress[1]`; keys that are not identifiers are quoted (`metadata.annotations["a/b"]`). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Splits an RFC 6901 JSON pointer (`/spec/rules/0`) into segments; digit-only segments become indexes. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/**
 * Locates a path. `at: 'key'` points at the key of the last segment (for "unknown field" warnings)
 * rather than its value.
 */
export function locate(
  parsed: ParsedDocument,
  path: readonly PathSegment[],
  at: 'value' | 'key' = 'value',
): SourceLocation {
  let node: Node | null = parsed.doc.contents;
  let found: Node | null = node;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isAlias(node)) node = node.resolve(parsed.doc) ?? null;
    let next: Node | null = null;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (pair) {
        const key = pair.key as Node | null;
        next = last && at === 'key' && key ? key : ((pair.value as Node | null) ?? key);
      }
    } else if (isSeq(node) && typeof seg === 'number') {
      next = (node.items[seg] as Node | undefined) ?? null;
    }
    if (!next) break;
    node = next;
    found = next;
  }
  const offset = found?.range?.[0] ?? 0;
  return { file: parsed.file, ...linePos(parsed.lineCounter, offset), path: formatPath(path) };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string' || typeof key === 'number') return String(key);
  return undefined;
}
