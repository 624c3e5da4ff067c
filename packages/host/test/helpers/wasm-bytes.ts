/**
 * Hand-made Wasm binaries for the rewriter's tests: a module around function bodies given as
 * bytes, and a reader that takes sections and bodies back out of a rewritten module, so a test can
 * compare a body byte for byte with what it expects.
 */

/** The parts of the WebAssembly JS API the tests use (the test build has Node's types, not the DOM's). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { readonly exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
}
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...leb(b.length), ...b];
}

export interface ModuleSpec {
  /** Function types as raw entries after 0x60 (default: one `() -> ()`). */
  readonly types?: number[][];
  /** Imports as raw entries (module, name, kind, description). */
  readonly imports?: number[][];
  /** Memories as raw limits (default: one `(memory 1)`); `[]` for none. */
  readonly memories?: number[][];
  /** Bodies as instruction bytes, without local declarations or the final `end`. */
  readonly bodies: number[][];
  /** Type index of each body (default 0). */
  readonly funcTypes?: number[];
  /** Extra custom sections: name and payload. */
  readonly customs?: [string, number[]][];
  /** Exports as raw entries. */
  readonly exports?: number[][];
}

/** A module with the given functions, in section order. */
export function buildModule(spec: ModuleSpec): Uint8Array {
  const types = spec.types ?? [[0x00, 0x00]];
  const memories = spec.memories ?? [[0x00, 0x01]];
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  bytes.push(...section(1, vec(types.map((t) => [0x60, ...t]))));
  if (spec.imports) bytes.push(...section(2, vec(spec.imports)));
  bytes.push(...section(3, vec(spec.bodies.map((_, i) => leb(spec.funcTypes?.[i] ?? 0)))));
  if (memories.length > 0) bytes.push(...section(5, vec(memories)));
  if (spec.exports) bytes.push(...section(7, vec(spec.exports)));
  const code = spec.bodies.map((b) => {
    const body = [0x00, ...b, 0x0b];
    return [...leb(body.length), ...body];
  });
  bytes.push(...section(10, vec(code)));
  for (const [n, payload] of spec.customs ?? []) bytes.push(...section(0, [...name(n), ...payload]));
  return Uint8Array.from(bytes);
}

/** An export entry: name, kind (0 func, 2 memory), index. */
export function exportEntry(n: string, kind: number, index: number): number[] {
  return [...name(n), kind, ...leb(index)];
}

/** An import entry of a function with the given type index. */
export function importFunc(module: string, n: string, type: number): number[] {
  return [...name(module), ...name(n), 0x00, ...leb(type)];
}

/** An import entry of a memory with the given raw limits. */
export function importMemory(module: string, n: string, limits: number[]): number[] {
  return [...name(module), ...name(n), 0x02, ...limits];
}

function readLeb(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[pos++]!;
    v += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return [v, pos];
    shift += 7;
  }
}

export interface RawSection {
  readonly id: number;
  readonly body: Uint8Array;
  /** The custom section's name (custom sections only). */
  readonly name?: string;
}

export function sections(b: Uint8Array): RawSection[] {
  const out: RawSection[] = [];
  let pos = 8;
  while (pos < b.length) {
    const id = b[pos]!;
    const [size, start] = readLeb(b, pos + 1);
    const body = b.subarray(start, start + size);
    if (id === 0) {
      const [n, p] = readLeb(body, 0);
      out.push({ id, body, name: new TextDecoder().decode(body.subarray(p, p + n)) });
    } else out.push({ id, body });
    pos = start + size;
  }
  return out;
}

/** The entries of a counted section, each as the raw bytes of a body for the code section. */
export function codeBodies(b: Uint8Array): number[][] {
  const code = sections(b).find((s) => s.id === 10);
  if (!code) return [];
  let [count, pos] = readLeb(code.body, 0);
  const out: number[][] = [];
  while (count-- > 0) {
    const [size, start] = readLeb(code.body, pos);
    out.push([...code.body.subarray(start, start + size)]);
    pos = start + size;
  }
  return out;
}

/** The count and raw bytes after the count of a counted section. */
export function counted(b: Uint8Array, id: number): { count: number; rest: number[] } | undefined {
  const s = sections(b).find((x) => x.id === id);
  if (!s) return undefined;
  const [count, pos] = readLeb(s.body, 0);
  return { count, rest: [...s.body.subarray(pos)] };
}
