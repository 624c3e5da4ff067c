/**
 * Skipping the immediates of every instruction the rewriter knows: WebAssembly 1.0, sign
 * extension, saturating truncation, bulk memory, reference types and typed function references,
 * tail calls, multi-value block types, exception handling (legacy try/catch/delegate and
 * try_table/throw_ref), SIMD (incl. relaxed SIMD) and threads. Finding `loop` and `memory.grow`
 * needs every instruction decoded from the start of a body: a byte 0x03 inside an immediate is not
 * a loop. An opcode outside this set throws rather than guessing its length (GC, stringref and
 * anything newer), so a module is never rewritten at a wrong offset.
 */
import { type ByteReader, DecodeError } from './bytes.js';

// How the immediates of a one-byte opcode are laid out (a plain const object: no `enum` here).
const K = {
  bad: 0, none: 1, block: 2, idx: 3, idx2: 4, brTable: 5, memarg: 6, leb: 7, f32: 8, f64: 9,
  selectT: 10, tryTable: 11, heapType: 12, fc: 13, fd: 14, fe: 15,
} as const;

const KINDS = new Uint8Array(256); // K.bad everywhere not set below
function set(kind: number, ...ops: number[]): void {
  for (const op of ops) KINDS[op] = kind;
}
function range(kind: number, from: number, to: number): void {
  for (let op = from; op <= to; op++) KINDS[op] = kind;
}
set(K.none, 0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x19, 0x1a, 0x1b, 0xd1, 0xd3, 0xd4);
set(K.block, 0x02, 0x03, 0x04, 0x06); // block loop if try
// catch throw rethrow br br_if call return_call call_ref return_call_ref delegate
// local.get/set/tee global.get/set table.get/set memory.size memory.grow ref.func br_on_null br_on_non_null
set(K.idx, 0x07, 0x08, 0x09, 0x0c, 0x0d, 0x10, 0x12, 0x14, 0x15, 0x18, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3f, 0x40, 0xd2, 0xd5, 0xd6);
set(K.idx2, 0x11, 0x13); // call_indirect, return_call_indirect: type index, table index
set(K.brTable, 0x0e);
range(K.memarg, 0x28, 0x3e); // loads and stores
set(K.leb, 0x41, 0x42); // i32.const, i64.const
set(K.f32, 0x43);
set(K.f64, 0x44);
range(K.none, 0x45, 0xc4); // numeric operators, then the sign-extension ones (0xc0–0xc4)
set(K.selectT, 0x1c);
set(K.tryTable, 0x1f);
set(K.heapType, 0xd0); // ref.null
set(K.fc, 0xfc);
set(K.fd, 0xfd);
set(K.fe, 0xfe);

/** Byte offset where each function's decoding began, for error messages. */
export interface Where {
  readonly funcIndex: number;
}

function unknown(r: ByteReader, at: number, what: string, where: Where): never {
  throw new DecodeError(`unknown opcode ${what} in function ${where.funcIndex} at byte offset ${at}`, at);
}

/** A block type: empty (0x40), a value type, or a type index (s33, multi-value). */
export function skipBlockType(r: ByteReader): void {
  const t = r.s33();
  // (ref null ht) / (ref ht) are two-part value types: the heap type follows.
  if (t === -29 || t === -28) r.s33();
}

/** A value type: one byte, or a reference type with a heap type after it. */
export function skipValType(r: ByteReader): void {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.s33();
}

/** memarg: alignment flags, the memory index when bit 6 of the flags is set (multi-memory), offset. */
export function skipMemarg(r: ByteReader): void {
  const flags = r.u32();
  if (flags & 0x40) r.u32();
  r.skipLeb(); // u64 for memory64
}

/**
 * Skips the immediates of the instruction whose opcode byte `op` was just read at `at` (the
 * reader sits right after it).
 */
export function skipImmediates(r: ByteReader, op: number, at: number, where: Where): void {
  switch (KINDS[op]) {
    case K.none: return;
    case K.block: return skipBlockType(r);
    case K.idx: r.u32(); return;
    case K.idx2: r.u32(); r.u32(); return;
    case K.brTable: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32(); // n targets, then the default
      return;
    }
    case K.memarg: return skipMemarg(r);
    case K.leb: return r.skipLeb();
    case K.f32: return r.skip(4);
    case K.f64: return r.skip(8);
    case K.selectT: {
      const n = r.u32();
      for (let i = 0; i < n; i++) skipValType(r);
      return;
    }
    case K.tryTable: {
      skipBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const kind = r.byte();
        if (kind > 3) throw new DecodeError(`unknown try_table catch kind ${kind} in function ${where.funcIndex}`, r.pos - 1);
        if (kind < 2) r.u32(); // catch / catch_ref carry a tag index before the label
        r.u32();
      }
      return;
    }
    case K.heapType: r.s33(); return;
    case K.fc: return skipFc(r, at, where);
    case K.fd: return skipFd(r, at, where);
    case K.fe: return skipFe(r, at, where);
    default: return unknown(r, at, hex(op), where);
  }
}

function hex(...b: number[]): string {
  return b.map((x) => `0x${x.toString(16).padStart(2, '0')}`).join(' ');
}

/** 0xFC: saturating truncation (0–7), bulk memory and table operations (8–17). */
function skipFc(r: ByteReader, at: number, where: Where): void {
  const sub = r.u32();
  if (sub <= 7) return;
  switch (sub) {
    case 8: r.u32(); r.u32(); return; // memory.init data, memory
    case 9: r.u32(); return; // data.drop
    case 10: r.u32(); r.u32(); return; // memory.copy dst, src
    case 11: r.u32(); return; // memory.fill
    case 12: r.u32(); r.u32(); return; // table.init elem, table
    case 13: r.u32(); return; // elem.drop
    case 14: r.u32(); r.u32(); return; // table.copy dst, src
    case 15: case 16: case 17: r.u32(); return; // table.grow / size / fill
    default: return unknown(r, at, hex(0xfc, sub), where);
  }
}

/** 0xFD: SIMD and relaxed SIMD. */
function skipFd(r: ByteReader, at: number, where: Where): void {
  const sub = r.u32();
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) return skipMemarg(r); // v128 loads/stores, load*_zero
  if (sub === 0x0c || sub === 0x0d) return r.skip(16); // v128.const, i8x16.shuffle
  if (sub >= 0x15 && sub <= 0x22) return r.skip(1); // extract_lane / replace_lane
  if (sub >= 0x54 && sub <= 0x5b) {
    skipMemarg(r); // v128.load*_lane / store*_lane: memarg, then the lane
    return r.skip(1);
  }
  // Everything else up to the last relaxed-SIMD opcode has no immediate. The few unassigned
  // numbers in that range are rejected by V8 when it compiles the rewritten module.
  if (sub <= 0x113) return;
  return unknown(r, at, `${hex(0xfd)} ${sub}`, where);
}

/** 0xFE: threads. Every atomic access has a memarg; atomic.fence has one reserved byte. */
function skipFe(r: ByteReader, at: number, where: Where): void {
  const sub = r.u32();
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) return skipMemarg(r);
  if (sub === 0x03) return r.skip(1);
  return unknown(r, at, hex(0xfe, sub), where);
}
