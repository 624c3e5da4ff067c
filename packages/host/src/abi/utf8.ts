/**
 * UTF-8 helpers tuned for the hot path: header names and values are short and almost always
 * ASCII, where a plain loop beats TextDecoder's call overhead several times over.
 */
const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

export function utf8Decode(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n < 64) {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (c > 0x7f) return decoder.decode(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes);
}

export function utf8Encode(s: string): Uint8Array {
  const n = s.length;
  if (n < 64) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return encoder.encode(s);
      out[i] = c;
    }
    return out;
  }
  return encoder.encode(s);
}

/** Byte length of a string in UTF-8 without allocating. */
export function utf8Length(s: string): number {
  let len = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) len += 1;
    else if (c < 0x800) len += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { len += 4; i++; }
    else len += 3;
  }
  return len;
}
