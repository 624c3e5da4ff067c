/**
 * The Proxy-Wasm pairs format (headers, trailers, local-reply headers, http_call headers, map
 * properties):
 *
 *   u32 count | count × (u32 key_len, u32 value_len) | key0 \0 value0 \0 key1 \0 value1 \0 …
 *
 * All integers little-endian; lengths exclude the NUL. An empty list is either no bytes at all or a
 * 4-byte zero count (both are accepted; we emit no bytes).
 */
import { utf8Decode, utf8Encode } from './utf8.js';

export type HeaderPair = [name: string, value: string];

/** cpp-host's limits: beyond these a pairs buffer is treated as malformed. */
export const MAX_PAIRS_BYTES = 1 << 20;
export const MAX_PAIRS_COUNT = 1024;

/** Encodes pairs; returns an empty array for no pairs. */
export function encodePairs(pairs: readonly (readonly [string, string])[]): Uint8Array {
  if (pairs.length === 0) return new Uint8Array(0);
  const encoded: Uint8Array[] = [];
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    const kb = utf8Encode(k);
    const vb = utf8Encode(v);
    encoded.push(kb, vb);
    size += kb.length + vb.length + 2;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let off = 4 + pairs.length * 8;
  for (let i = 0; i < encoded.length; i += 2) {
    const kb = encoded[i]!;
    const vb = encoded[i + 1]!;
    dv.setUint32(4 + (i / 2) * 8, kb.length, true);
    dv.setUint32(8 + (i / 2) * 8, vb.length, true);
    out.set(kb, off);
    off += kb.length + 1;
    out.set(vb, off);
    off += vb.length + 1;
  }
  return out;
}

/**
 * Decodes pairs. Returns `undefined` when the bytes are malformed (wrong lengths, missing NULs,
 * trailing bytes, over the limits); callers treat that as an empty map, as cpp-host does.
 */
export function decodePairs(bytes: Uint8Array): HeaderPair[] | undefined {
  if (bytes.length === 0) return [];
  if (bytes.length < 4 || bytes.length > MAX_PAIRS_BYTES) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(0, true);
  if (count === 0) return bytes.length === 4 ? [] : undefined;
  if (count > MAX_PAIRS_COUNT || 4 + count * 8 > bytes.length) return undefined;
  const out: HeaderPair[] = [];
  let off = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = dv.getUint32(4 + i * 8, true);
    const vl = dv.getUint32(8 + i * 8, true);
    if (off + kl + 1 + vl + 1 > bytes.length) return undefined;
    if (bytes[off + kl] !== 0 || bytes[off + kl + 1 + vl] !== 0) return undefined;
    const k = utf8Decode(bytes.subarray(off, off + kl));
    off += kl + 1;
    const v = utf8Decode(bytes.subarray(off, off + vl));
    off += vl + 1;
    out.push([k, v]);
  }
  return off === bytes.length ? out : undefined;
}
