/**
 * The plain shapes tests write (header records, strings, numbers) and their conversion to what
 * the host speaks (ordered header pairs, bytes, property values).
 * @module
 */
import { HeaderMap, utf8Decode, utf8Encode, type HeaderPair, type PropertyValue } from '@wasmgate/host';

/**
 * Headers or trailers as a test writes them: a record (an array value repeats the header), a list
 * of `[name, value]` pairs (order and duplicates kept), or a host HeaderMap. Names are lower-cased.
 */
export type HeadersInput = Readonly<Record<string, string | readonly string[]>> | Iterable<readonly [string, string]> | HeaderMap;

/** A body as a test writes it: UTF-8 text or raw bytes. */
export type BodyInput = string | Uint8Array;

/**
 * A property value as a test writes it. Strings and bytes are sent raw, integers (number or
 * bigint) as 8 bytes little-endian, booleans as 1 byte, `{ double }` as a float64,
 * `{ map }`/`{ list }` as pairs, exactly as Envoy serialises them. `null` makes the property
 * absent (NotFound), hiding a harness default.
 */
export type PropertyInput = PropertyValue | number | null;

/** @internal */
export function toPairs(input: HeadersInput | undefined): HeaderPair[] {
  if (input === undefined) return [];
  if (input instanceof HeaderMap) return input.pairs.map(([k, v]) => [k, v]);
  if (isPairIterable(input)) return [...input].map(([k, v]) => [k.toLowerCase(), v]);
  const out: HeaderPair[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (typeof v === 'string') out.push([k.toLowerCase(), v]);
    else for (const one of v) out.push([k.toLowerCase(), one]);
  }
  return out;
}

function isPairIterable(x: object): x is Iterable<readonly [string, string]> {
  return typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

/** @internal */
export function toBytes(body: BodyInput | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? utf8Encode(body) : body;
}

/** @internal Plugin configuration: JSON-serialised unless already text or bytes. */
export function configBytes(config: unknown): Uint8Array {
  if (config === undefined) return new Uint8Array(0);
  if (config instanceof Uint8Array) return config;
  if (typeof config === 'string') return utf8Encode(config);
  return utf8Encode(JSON.stringify(config));
}

/** @internal undefined = not set here (look further); null = explicitly absent. */
export function toPropertyValue(v: PropertyInput | undefined): PropertyValue | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`property value ${v} is not an integer; pass { double: ${v} } for a float64`);
    return BigInt(v);
  }
  return v;
}

/** @internal A property value as text, the way a test usually wants to read it back. */
export function propertyText(v: PropertyValue): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8Decode(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if ('double' in v) return String(v.double);
  if ('map' in v) return JSON.stringify(Object.fromEntries(v.map));
  return JSON.stringify(v.list);
}
