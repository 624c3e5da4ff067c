/**
 * GuestMemory: every access to a plugin's linear memory goes through here. It bounds-checks each
 * read and write and re-fetches the buffer whenever the guest may have grown it (a grown
 * WebAssembly.Memory detaches the old ArrayBuffer), so no view is ever kept across a guest call.
 */
import { WasmResult } from './abi/constants.js';
import { utf8Decode } from './abi/utf8.js';

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
  #buffer: ArrayBuffer;
  #u8: Uint8Array;
  #dv: DataView;
  /** The guest allocator (proxy_on_memory_allocate or malloc); set once the instance exists. */
  allocator: ((size: number) => number) | undefined;

  constructor(memory: WebAssembly.Memory) {
    this.#memory = memory;
    this.#buffer = memory.buffer as ArrayBuffer;
    this.#u8 = new Uint8Array(this.#buffer);
    this.#dv = new DataView(this.#buffer);
  }

  /** Current byte length of linear memory. */
  get size(): number {
    this.#refresh();
    return this.#u8.length;
  }

  #refresh(): void {
    const b = this.#memory.buffer as ArrayBuffer;
    if (b !== this.#buffer) {
      this.#buffer = b;
      this.#u8 = new Uint8Array(b);
      this.#dv = new DataView(b);
    }
  }

  /** True when [ptr, ptr+len) lies inside memory. Pointers arrive as signed i32: use `>>> 0` first. */
  inBounds(ptr: number, len: number): boolean {
    this.#refresh();
    return ptr >= 0 && len >= 0 && ptr + len <= this.#u8.length;
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
    const v = this.view(ptr, len);
    return v === undefined ? undefined : utf8Decode(v);
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
    if (!this.inBounds(ptrOut >>> 0, 4) || !this.inBounds(sizeOut >>> 0, 4)) return WasmResult.InvalidMemoryAccess;
    if (bytes.length === 0) {
      this.writeU32(ptrOut, 0);
      this.writeU32(sizeOut, 0);
      return WasmResult.Ok;
    }
    const alloc = this.allocator;
    if (!alloc) return WasmResult.InvalidMemoryAccess;
    const p = alloc(bytes.length) >>> 0;
    // The allocator may have grown memory: every access below re-fetches the buffer.
    if (p === 0 || !this.write(p, bytes)) return WasmResult.InvalidMemoryAccess;
    this.writeU32(ptrOut, p);
    this.writeU32(sizeOut, bytes.length);
    return WasmResult.Ok;
  }
}
