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

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function bytesToString(b: ArrayBuffer): string {
  return String.UTF8.decode(b);
}
