// Header-pair encoding of the ABI: u32 count, count × (u32 key size, u32 value size), then each key and
// value followed by one NUL byte. A header list is `string[][]`, each entry `[name, value]`.

/** Encodes pairs; an empty list encodes to an empty buffer (sent as (0, 0)). */
export function encodePairs(pairs: string[][]): ArrayBuffer {
  if (pairs.length == 0) return new ArrayBuffer(0);
  const parts = new Array<ArrayBuffer>(pairs.length * 2);
  let size = 4 + 8 * pairs.length;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const key = String.UTF8.encode(pair.length > 0 ? pair[0] : "");
    const value = String.UTF8.encode(pair.length > 1 ? pair[1] : "");
    parts[2 * i] = key;
    parts[2 * i + 1] = value;
    size += key.byteLength + value.byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, pairs.length);
  let data = base + 4 + 8 * <usize>pairs.length;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const n = <usize>part.byteLength;
    store<u32>(base + 4 + 4 * <usize>i, <u32>n);
    memory.copy(data, changetype<usize>(part), n);
    store<u8>(data + n, 0);
    data += n + 1;
  }
  return out;
}

/** A 4-byte zero count: an empty map where a pairs buffer is required (http_call trailers). */
export function emptyPairs(): ArrayBuffer {
  return new ArrayBuffer(4);
}

/** Decodes pairs at [ptr, ptr + size); stops at the first entry that would run past the end. */
export function decodePairs(ptr: usize, size: usize): string[][] {
  const out = new Array<string[]>();
  if (size < 4) return out;
  const end = ptr + size;
  const count = <usize>load<u32>(ptr);
  if (count > (size - 4) / 8) return out;
  let data = ptr + 4 + 8 * count;
  for (let i: usize = 0; i < count; i++) {
    const keySize = <usize>load<u32>(ptr + 4 + 8 * i);
    const valueSize = <usize>load<u32>(ptr + 8 + 8 * i);
    if (<u64>keySize + <u64>valueSize + 2 > <u64>(end - data)) break;
    const key = String.UTF8.decodeUnsafe(data, keySize);
    data += keySize + 1;
    const value = String.UTF8.decodeUnsafe(data, valueSize);
    data += valueSize + 1;
    out.push([key, value]);
  }
  return out;
}
