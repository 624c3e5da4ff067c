/**
 * A body buffer as a plugin sees it (buffer types 0 and 1): the bytes exposed to the current body
 * callback. proxy_set_buffer_bytes follows Envoy:
 *   start = 0, length = 0      prepend
 *   start = 0, length > 0      drop the first `length` bytes (all if larger), then prepend = replace
 *   start ≥ size               append
 *   0 < start < size           BadArgument
 */
import { WasmResult } from '../abi/constants.js';

export class BodyBuffer {
  bytes: Uint8Array;
  /** Set once a plugin changed the bytes. */
  modified = false;
  /** Whether the stream ends with this buffer (EndOfStream flag of get_buffer_status). */
  endOfStream: boolean;

  constructor(bytes: Uint8Array, endOfStream: boolean) {
    this.bytes = bytes;
    this.endOfStream = endOfStream;
  }

  slice(start: number, max: number): Uint8Array {
    if (start >= this.bytes.length) return new Uint8Array(0);
    return this.bytes.subarray(start, Math.min(this.bytes.length, start + max));
  }

  set(start: number, length: number, data: Uint8Array): WasmResult {
    const size = this.bytes.length;
    if (start === 0) {
      const rest = this.bytes.subarray(Math.min(length, size));
      this.bytes = concat(data, rest);
    } else if (start >= size) {
      this.bytes = concat(this.bytes, data);
    } else {
      return WasmResult.BadArgument;
    }
    this.modified = true;
    return WasmResult.Ok;
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function concatAll(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
