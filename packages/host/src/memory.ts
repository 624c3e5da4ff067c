/**
 * GuestMemory: every access to a plugin's linear memory goes through here. It bounds-checks each
 * read and write and re-fetches the buffer whenever the guest may have grown it (a grown
 * WebAssembly.Memory detaches the old ArrayBuffer), so no view is ever kept across a guest call.
 */
import { WasmResult } from './abi/constants.js';
import type { HeaderPair } from './abi/pairs.js';
import { asciiLowerAt, utf8DecodeAt, utf8Encode } from './abi/utf8.js';

const encoder = new TextEncoder();

/** Thrown to unwind the guest on purpose (proc_exit, abort, a trap in the allocator). */
export class GuestUnwind extends Error {
  readonly kind: 'exit' | 'abort' | 'trap';
  readonly exitCode: number;
  constructor(message: string, kind: 'exit' | 'abort' | 'trap', exitCode = 0) {
    super(message);
    this.kind = kind;
    this.exitCode = exitCode;
  }
}

export class GuestMemory {
  readonly #memory: WebAssembly.Memory;
  /** A shared memory never detaches its old buffer on growth, so it is re-fetched on every access. */
  readonly #shared: boolean;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #dv: DataView;
  #size: number;
  /** The guest allocator (proxy_on_memory_allocate or malloc); set once the instance exists. */
  allocator: ((size: number) => number) | undefined;

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
    this.#buffer = memory.buffer as ArrayBuffer;
    this.#shared = typeof SharedArrayBuffer !== 'undefined' && (this.#buffer as unknown) instanceof SharedArrayBuffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#dv = new DataView(this.#buffer);
    this.#size = this.#u8.length;
  }

  /** Current byte length of linear memory. */
  get size(): number {
    this.#refresh();
    return this.#size;
  }

  // Growing a (non-shared) WebAssembly.Memory detaches the ArrayBuffer handed out before, and a
  // detached buffer has byteLength 0. Checking that is a plain field load, while `memory.buffer`
  // is a call into the engine: the hot path only pays for the re-fetch after a growth.
  #refresh(): void {
    if (this.#buffer.byteLength !== 0 && !this.#shared) return;
    const b = this.#memory.buffer as ArrayBuffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#u8 = new Uint8Array(b);
      this.#dv = new DataView(b);
      this.#size = this.#u8.length;
    }
  }

  /** True when [ptr, ptr+len) lies inside memory. Pointers arrive as signed i32: use `>>> 0` first. */
  inBounds(ptr: number, len: number): boolean {
    this.#refresh();
    return ptr >= 0 && len >= 0 && ptr + len <= this.#size;
  }

  /**
   * All of linear memory as bytes, for hot paths that bounds-checked a range with {@link inBounds}
   * and read it in place. Valid only until the next call into the guest (it may grow memory).
   */
  bytes(): Uint8Array {
    this.#refresh();
    return this.#u8;
  }

  /** A view of guest bytes, valid only until the next call into the guest; undefined when out of bounds. */
  view(ptr: number, len: number): Uint8Array | undefined {
    ptr >>>= 0;
    len >>>= 0;
    if (!this.inBounds(ptr, len)) return undefined;
    return this.#u8.subarray(ptr, ptr + len);
  }

  /** A copy of guest bytes (safe to keep), or undefined when out of bounds. */
  copy(ptr: number, len: number): Uint8Array | undefined {
    const v = this.view(ptr, len);
    return v === undefined ? undefined : v.slice();
  }

  /** Decodes a UTF-8 string from guest memory, or undefined when out of bounds. */
  string(ptr: number, len: number): string | undefined {
    ptr >>>= 0;
    len >>>= 0;
    if (!this.inBounds(ptr, len)) return undefined;
    return utf8DecodeAt(this.#u8, ptr, len);
  }

  /** Like {@link string}, lower-cased (header names). */
  lowerString(ptr: number, len: number): string | undefined {
    ptr >>>= 0;
    len >>>= 0;
    if (!this.inBounds(ptr, len)) return undefined;
    return asciiLowerAt(this.#u8, ptr, len) ?? utf8DecodeAt(this.#u8, ptr, len).toLowerCase();
  }

  readU32(ptr: number): number | undefined {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return undefined;
    return this.#dv.getUint32(ptr, true);
  }

  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    this.#dv.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    this.#dv.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  write(ptr: number, bytes: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, bytes.length)) return false;
    this.#u8.set(bytes, ptr);
    return true;
  }

  /**
   * Hands bytes to the guest the Proxy-Wasm way: allocate `bytes.length` in the guest, copy, store
   * (ptr, size) at the two out-pointers. Empty output is (0, 0) without calling the allocator —
   * both Go SDKs panic on a zero-size allocation.
   *
   *   ptr_out ──► [u32 ptr]      size_out ──► [u32 size]
   *                  │
   *                  ▼
   *               [bytes … size]   (inside the guest heap)
   */
  giveBytes(bytes: Uint8Array, ptrOut: number, sizeOut: number): WasmResult {
    const n = bytes.length;
    const p = this.#reserve(n, ptrOut, sizeOut);
    if (p < 0) return WasmResult.InvalidMemoryAccess;
    if (n > 0) this.#u8.set(bytes, p);
    return this.#finishGive(p, n, ptrOut, sizeOut);
  }

  /** {@link giveBytes} for a string, encoded as UTF-8 straight into the guest's allocation. */
  giveString(s: string, ptrOut: number, sizeOut: number): WasmResult {
    const n = s.length;
    // Header values are almost always ASCII: then the UTF-8 length is the string length and the
    // bytes are the char codes, written without an intermediate Uint8Array.
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) return this.giveBytes(utf8Encode(s), ptrOut, sizeOut);
    const p = this.#reserve(n, ptrOut, sizeOut);
    if (p < 0) return WasmResult.InvalidMemoryAccess;
    const u8 = this.#u8;
    for (let i = 0; i < n; i++) u8[p + i] = s.charCodeAt(i);
    return this.#finishGive(p, n, ptrOut, sizeOut);
  }

  /**
   * Hands a header list to the guest in the pairs format (see abi/pairs.ts), serialised straight
   * into the guest's allocation: one size pass, one allocation, one write pass, no intermediate
   * buffer (`encodePairs` + {@link giveBytes} built and copied one per call). With `pseudoFirst`,
   * names starting with ':' go first in their order, then the rest in theirs (Envoy's order).
   * An empty list is (0, 0).
   */
  givePairs(pairs: readonly HeaderPair[], pseudoFirst: boolean, ptrOut: number, sizeOut: number): WasmResult {
    const count = pairs.length;
    if (count === 0) return this.giveBytes(EMPTY, ptrOut, sizeOut);
    // The guest must get an allocation of exactly the encoded size (Rust frees it as a Vec of that
    // length), which is known only once the strings are encoded: encode into a reused host buffer in
    // one pass, then allocate and copy it in with one memcpy.
    let bound = 4 + count * 8;
    for (let i = 0; i < count; i++) bound += 3 * (pairs[i]![0].length + pairs[i]![1].length) + 2;
    if (pairsScratch.length < bound) {
      pairsScratch = new Uint8Array(Math.max(bound, pairsScratch.length * 2));
      pairsView = new DataView(pairsScratch.buffer);
    }
    pairsView.setUint32(0, count, true);
    let slot = 4;
    let off = 4 + count * 8;
    if (pseudoFirst) {
      for (let i = 0; i < count; i++) if (pairs[i]![0].charCodeAt(0) === 0x3a) { off = encodePairAt(pairs[i]!, slot, off); slot += 8; }
      for (let i = 0; i < count; i++) if (pairs[i]![0].charCodeAt(0) !== 0x3a) { off = encodePairAt(pairs[i]!, slot, off); slot += 8; }
    } else {
      for (let i = 0; i < count; i++) { off = encodePairAt(pairs[i]!, slot, off); slot += 8; }
    }
    return this.giveBytes(pairsScratch.subarray(0, off), ptrOut, sizeOut);
  }

  /** Checks the out-slots and allocates n bytes (0 allocates nothing); -1 when that fails. */
  #reserve(n: number, ptrOut: number, sizeOut: number): number {
    if (!this.inBounds(ptrOut >>> 0, 4) || !this.inBounds(sizeOut >>> 0, 4)) return -1;
    if (n === 0) return 0;
    const alloc = this.allocator;
    if (!alloc) return -1;
    const p = alloc(n) >>> 0;
    // The allocator may have grown memory: refresh before touching the bytes.
    if (p === 0 || !this.inBounds(p, n)) return -1;
    return p;
  }

  #finishGive(p: number, n: number, ptrOut: number, sizeOut: number): WasmResult {
    // The out-slots were checked before the allocation, and memory never shrinks.
    this.#refresh();
    this.#dv.setUint32(ptrOut >>> 0, p, true);
    this.#dv.setUint32(sizeOut >>> 0, n, true);
    return WasmResult.Ok;
  }
}

const EMPTY = new Uint8Array(0);

/** The host-side buffer givePairs encodes into (reused; calls are synchronous). */
let pairsScratch = new Uint8Array(4096);
let pairsView = new DataView(pairsScratch.buffer);

/** One pair into pairsScratch: its two lengths at `slot`, name and value (each NUL-terminated) at `off`; returns the next offset. */
function encodePairAt(p: HeaderPair, slot: number, off: number): number {
  const kl = encodeAt(p[0], off);
  off += kl;
  pairsScratch[off++] = 0;
  const vl = encodeAt(p[1], off);
  off += vl;
  pairsScratch[off++] = 0;
  pairsView.setUint32(slot, kl, true);
  pairsView.setUint32(slot + 4, vl, true);
  return off;
}

/** Writes `s` as UTF-8 into pairsScratch at `off` (room reserved: 3 bytes per UTF-16 unit); returns the byte count. */
function encodeAt(s: string, off: number): number {
  const n = s.length;
  const out = pairsScratch;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(s, out.subarray(off)).written;
    out[off + i] = c;
  }
  return n;
}
