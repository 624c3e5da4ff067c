/**
 * The module level: split a binary into sections and read the few facts the rewriter needs from
 * the type, import, function, memory and export sections. Section bodies that do not change are
 * copied as they are.
 */
import { ByteReader, DecodeError, ByteWriter } from './bytes.js';
import { skipValType } from './opcodes.js';

export interface Section {
  readonly id: number;
  /** Offset of the id byte. */
  readonly start: number;
  /** Offset of the first byte of the body (after the size). */
  readonly bodyStart: number;
  readonly end: number;
}

export const SEC = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13 } as const;

/** Where each known section goes in a module: the tag section sits between memory and global. */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export function splitSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new DecodeError('not a WebAssembly module', 0);
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new DecodeError('not a WebAssembly 1.0 module (a component or an unknown version)', 4);
  const r = new ByteReader(bytes, 8);
  const out: Section[] = [];
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const bodyStart = r.pos;
    if (bodyStart + size > bytes.length) throw new DecodeError(`section ${id} runs past the end of the module`, start);
    if (id !== SEC.custom && ORDER[id] === undefined) throw new DecodeError(`unknown section id ${id}`, start);
    out.push({ id, start, bodyStart, end: bodyStart + size });
    r.pos = bodyStart + size;
  }
  return out;
}

/** Index at which a new section with this id goes so the known sections stay in order. */
export function insertionIndex(sections: readonly { readonly id: number }[], id: number): number {
  const rank = ORDER[id]!;
  const i = sections.findIndex((s) => s.id !== SEC.custom && ORDER[s.id]! > rank);
  return i < 0 ? sections.length : i;
}

/** A custom section's name. */
export function customName(bytes: Uint8Array, s: Section): string {
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  const n = r.u32();
  r.skip(n);
  return new TextDecoder().decode(bytes.subarray(r.pos - n, r.pos));
}

export interface ImportFacts {
  readonly funcs: number;
  readonly memories: number;
  /** Memory 0 comes from an import. */
  readonly memory0Imported: boolean;
}

/** Skips limits (flags, min, optional max) and returns the flags. */
function skipLimits(r: ByteReader): number {
  const flags = r.u32();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
  return flags;
}

export function readImports(bytes: Uint8Array, s: Section | undefined): ImportFacts {
  if (!s) return { funcs: 0, memories: 0, memory0Imported: false };
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  let funcs = 0;
  let memories = 0;
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.skip(r.u32()); // module
    r.skip(r.u32()); // name
    const kind = r.byte();
    if (kind === 0x00) {
      r.u32();
      funcs++;
    } else if (kind === 0x01) {
      skipValType(r); // table: reference type, then limits
      skipLimits(r);
    } else if (kind === 0x02) {
      skipLimits(r);
      memories++;
    } else if (kind === 0x03) {
      skipValType(r);
      r.byte(); // mutability
    } else if (kind === 0x04) {
      r.byte(); // tag attribute
      r.u32();
    } else {
      throw new DecodeError(`unknown import kind ${kind}`, r.pos - 1);
    }
  }
  return { funcs, memories, memory0Imported: memories > 0 };
}

/** The number of entries of a section that starts with a count (function, memory, export, code). */
export function readCount(bytes: Uint8Array, s: Section | undefined): number {
  return s ? new ByteReader(bytes, s.bodyStart, s.end).u32() : 0;
}

/** Memory limits as declared. */
export interface Limits {
  readonly flags: number;
  readonly min: number;
  readonly max: number | undefined;
}

/** The limits of the first memory defined by the memory section, and where they end. */
export function readFirstMemory(bytes: Uint8Array, s: Section): { limits: Limits; start: number; end: number } {
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  r.u32();
  const start = r.pos;
  const flags = r.u32();
  if (flags & 0x04) {
    // memory64: 64-bit limits, which the caller refuses anyway; only their extent matters here.
    r.skipLeb();
    if (flags & 1) r.skipLeb();
    return { limits: { flags, min: 0, max: undefined }, start, end: r.pos };
  }
  const min = r.u32();
  const max = flags & 1 ? r.u32() : undefined;
  if (flags & 0x08) r.u32(); // custom page size (log2), which the caller refuses
  return { limits: { flags, min, max }, start, end: r.pos };
}

/**
 * The index of a type `(func (param i32) (result i32))` in the type section, or undefined.
 * Also returns how many types there are (the index a new one gets). Only plain function types
 * are understood: a module with GC type definitions (rec groups, subtypes) is refused.
 */
export function findI32ToI32(bytes: Uint8Array, s: Section | undefined): { index: number | undefined; count: number } {
  if (!s) return { index: undefined, count: 0 };
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  const count = r.u32();
  let index: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    if (r.byte() !== 0x60) throw new DecodeError('GC type definitions (rec groups, subtypes) are not supported', at);
    const params = readValTypes(r);
    const results = readValTypes(r);
    if (index === undefined && params === '7f' && results === '7f') index = i;
  }
  return { index, count };
}

function readValTypes(r: ByteReader): string {
  const n = r.u32();
  const from = r.pos;
  for (let i = 0; i < n; i++) skipValType(r);
  return [...r.bytes.subarray(from, r.pos)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** True when some export already has this name. */
export function hasExport(bytes: Uint8Array, s: Section | undefined, name: string): boolean {
  if (!s) return false;
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  const count = r.u32();
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    const n = r.u32();
    r.skip(n);
    if (dec.decode(bytes.subarray(r.pos - n, r.pos)) === name) return true;
    r.byte();
    r.u32();
  }
  return false;
}

/** A whole section: id, size, body. */
export function writeSection(out: ByteWriter, id: number, body: Uint8Array): void {
  out.byte(id).u32(body.length).bytes(body);
}

/** A counted section body: the new count, the old entries, the appended entries. */
export function appendEntries(bytes: Uint8Array, s: Section | undefined, added: number, entries: Uint8Array): Uint8Array {
  const w = new ByteWriter((s ? s.end - s.bodyStart : 0) + entries.length + 8);
  if (!s) return w.u32(added).bytes(entries).finish();
  const r = new ByteReader(bytes, s.bodyStart, s.end);
  const count = r.u32();
  return w.u32(count + added).bytes(bytes.subarray(r.pos, s.end)).bytes(entries).finish();
}
