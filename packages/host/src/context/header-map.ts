/**
 * An ordered header/trailer map: lower-cased names, duplicates kept as separate entries, pseudo
 * headers (`:method`, `:path`, `:authority`, `:scheme`, `:status`) stored like any other entry.
 * This is the neutral data model the host speaks; the gateway and the harness convert to it.
 */
import type { HeaderPair } from '../abi/pairs.js';
import { utf8Length } from '../abi/utf8.js';

export class HeaderMap {
  /** Entries as [lower-case name, value]. Mutated in place by hostcalls. */
  readonly pairs: HeaderPair[];
  /** Bumped on every mutation: the gateway uses it to know whether to re-route. */
  version = 0;

  constructor(pairs: Iterable<readonly [string, string]> = []) {
    this.pairs = [];
    for (const [k, v] of pairs) this.pairs.push([k.toLowerCase(), v]);
  }

  get size(): number {
    return this.pairs.length;
  }

  /** First value of `name` (lower-cased by the caller or here). */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    for (const p of this.pairs) if (p[0] === key) return p[1];
    return undefined;
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.pairs.filter((p) => p[0] === key).map((p) => p[1]);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): void {
    this.pairs.push([name.toLowerCase(), value]);
    this.version++;
  }

  /**
   * {@link add} for a name the caller already lower-cased (the header hostcalls decode names
   * lower-cased).
   * @internal
   */
  addLower(key: string, value: string): void {
    this.pairs.push([key, value]);
    this.version++;
  }

  /** Overwrites the first occurrence and drops the others; adds when absent. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    let found = false;
    for (let i = 0; i < this.pairs.length; i++) {
      if (this.pairs[i]![0] !== key) continue;
      if (!found) {
        this.pairs[i] = [key, value];
        found = true;
      } else {
        this.pairs.splice(i--, 1);
      }
    }
    if (!found) this.pairs.push([key, value]);
    this.version++;
  }

  /** Removes every occurrence (no error when absent). */
  remove(name: string): void {
    const key = name.toLowerCase();
    let w = 0;
    for (let r = 0; r < this.pairs.length; r++) {
      const p = this.pairs[r]!;
      if (p[0] !== key) this.pairs[w++] = p;
    }
    if (w !== this.pairs.length) {
      this.pairs.length = w;
      this.version++;
    }
  }

  /**
   * {@link remove} for a lower-case name whose first occurrence is known to be at `first`.
   * @internal
   */
  removeLowerFrom(key: string, first: number): void {
    const pairs = this.pairs;
    const n = key.length;
    let w = first;
    for (let r = first + 1; r < pairs.length; r++) {
      const p = pairs[r]!;
      const k = p[0];
      if (k.length !== n || k !== key) pairs[w++] = p;
    }
    pairs.length = w;
    this.version++;
  }

  /** Replaces the whole content (proxy_set_header_map_pairs). */
  replaceAll(pairs: readonly HeaderPair[]): void {
    this.pairs.length = 0;
    for (const [k, v] of pairs) this.pairs.push([k.toLowerCase(), v]);
    this.version++;
  }

  /** Envoy's proxy_get_header_map_size: the byte size of names and values. */
  byteSize(): number {
    return pairsByteSize(this.pairs);
  }

  /** Pseudo headers first (Envoy's order), then the rest in insertion order. */
  ordered(): HeaderPair[] {
    const pseudo = this.pairs.filter((p) => p[0].startsWith(':'));
    if (pseudo.length === 0 || pseudo.length === this.pairs.length) return this.pairs.slice();
    return [...pseudo, ...this.pairs.filter((p) => !p[0].startsWith(':'))];
  }

  clone(): HeaderMap {
    return new HeaderMap(this.pairs);
  }

  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.pairs) o[k] = k in o ? `${o[k]}, ${v}` : v;
    return o;
  }
}

/** The UTF-8 byte size of every name and value in `pairs` (what proxy_get_header_map_size reports). */
export function pairsByteSize(pairs: readonly (readonly [string, string])[]): number {
  let n = 0;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    n += utf8Length(p[0]) + utf8Length(p[1]);
  }
  return n;
}
