/**
 * Property values and their wire encoding (Envoy `serializeValue`): strings and bytes raw, integers
 * 8 bytes little-endian, bool 1 byte, maps as pairs, lists as pairs with empty values.
 */
import { encodePairs, type HeaderPair } from './abi/pairs.js';
import { utf8Encode } from './abi/utf8.js';

export type PropertyValue =
  | string
  | Uint8Array
  | bigint
  | boolean
  | { readonly double: number }
  | { readonly map: readonly HeaderPair[] }
  | { readonly list: readonly string[] };

export function encodeProperty(v: PropertyValue): Uint8Array {
  if (typeof v === 'string') return utf8Encode(v);
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'bigint') {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt.asIntN(64, v), true);
    return out;
  }
  if (typeof v === 'boolean') return new Uint8Array([v ? 1 : 0]);
  if ('double' in v) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setFloat64(0, v.double, true);
    return out;
  }
  if ('map' in v) return encodePairs(v.map);
  return encodePairs(v.list.map((s) => [s, ''] as [string, string]));
}

/** Splits a property path (segments joined by NUL, no trailing NUL) into its segments. */
export function splitPropertyPath(path: string): string[] {
  const parts = path.split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
