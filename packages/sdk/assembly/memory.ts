// The allocator export and helpers for buffers the host hands back.
//
// Memory the host asks for is unmanaged (heap.alloc): the garbage collector never sees it; the SDK copies
// the bytes into managed objects and frees the block with heap.free.

/** Called by the host to place hostcall outputs in this module's memory. */
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

/** Out-slots: (ptr, size) for hostcalls returning a buffer, plus one u32/u64 slot. */
export const OUT_PTR: usize = memory.data(16, 8);
export const OUT_SIZE: usize = OUT_PTR + 4;
export const OUT_WORD: usize = OUT_PTR + 8;

/** Clears the out-slots before a hostcall, so "not written" reads as empty. */
export function clearOut(): void {
  store<u64>(OUT_PTR, 0);
  store<u64>(OUT_WORD, 0);
}

/** Copies the buffer the host stored in the out-slots and frees it. */
export function takeOutBytes(): ArrayBuffer {
  const ptr = load<usize>(OUT_PTR);
  const size = load<usize>(OUT_SIZE);
  const out = new ArrayBuffer(<i32>size);
  if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
  if (ptr != 0) heap.free(ptr);
  return out;
}

/** Decodes the buffer the host stored in the out-slots as UTF-8 and frees it. */
export function takeOutString(): string {
  const ptr = load<usize>(OUT_PTR);
  const size = load<usize>(OUT_SIZE);
  const out = size > 0 ? String.UTF8.decodeUnsafe(ptr, size) : "";
  if (ptr != 0) heap.free(ptr);
  return out;
}

/** Frees whatever the host stored in the out-slots without reading it. */
export function dropOut(): void {
  const ptr = load<usize>(OUT_PTR);
  if (ptr != 0) heap.free(ptr);
}

/** Pointer of a buffer for a hostcall: 0 for an empty one (the ABI's "empty = (0, 0)"). */
export function ptrOf(buf: ArrayBuffer): usize {
  return buf.byteLength > 0 ? changetype<usize>(buf) : 0;
}

/**
 * A reused unmanaged area for the UTF-8 bytes of hostcall string arguments (header names and
 * values, log lines). `String.UTF8.encode` made a managed ArrayBuffer per argument per call, which
 * the garbage collector then had to trace and sweep: on the add/get/remove-20-headers benchmark
 * that was most of the SDK's own cost. The area is valid until the next argArea call; a hostcall
 * only calls back into the plugin through the allocator, which never touches it.
 */
let argBuf: usize = 0;
let argCap: usize = 0;

/** The argument area, at least `n` bytes. */
export function argArea(n: usize): usize {
  if (n > argCap) {
    if (argBuf != 0) heap.free(argBuf);
    argCap = n < 256 ? 256 : (n + 255) & ~<usize>255;
    argBuf = heap.alloc(argCap);
  }
  return argBuf;
}

/** Room {@link encodeAt} may need for `s`: 3 bytes per UTF-16 unit. */
export function utf8Room(s: string): usize {
  return <usize>s.length * 3;
}

/** Writes `s` as UTF-8 at `at` (same bytes as String.UTF8.encode); returns the byte count. */
export function encodeAt(s: string, at: usize): usize {
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at);
}

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function bytesToString(b: ArrayBuffer): string {
  return String.UTF8.decode(b);
}
