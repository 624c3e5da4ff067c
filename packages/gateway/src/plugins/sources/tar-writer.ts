/**
 * A small deterministic tar writer (ustar): mtime 0, uid/gid 0, mode 0644, no user names, so the
 * same files always give the same bytes and therefore the same image digest. Names longer than
 * 100 bytes get a pax `path` record.
 * @module
 */

/** A file to put in the archive. */
export interface TarFile {
  readonly name: string;
  readonly data: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();

function putString(header: Uint8Array, offset: number, length: number, value: string): void {
  header.set(encoder.encode(value).subarray(0, length), offset);
}

/** Octal field of `length` bytes: digits padded with zeros, then a NUL. */
function putOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  putString(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

function header(name: string, size: number, flag: string): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o644);
  putOctal(h, 108, 8, 0); // uid
  putOctal(h, 116, 8, 0); // gid
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, 0); // mtime: fixed for reproducible digests
  putString(h, 156, 1, flag);
  putString(h, 257, 6, 'ustar\0');
  putString(h, 263, 2, '00');
  putString(h, 148, 8, '        '); // checksum is computed with its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Record `"<len> path=<name>\n"`, where len counts itself. */
function paxPath(name: string): Uint8Array {
  const body = ` path=${name}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return encoder.encode(`${len}${body}`);
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % BLOCK;
  return rest === 0 ? [data] : [data, new Uint8Array(BLOCK - rest)];
}

/** Builds an uncompressed tar archive holding `files`, in order, ending with two zero blocks. */
export function writeTar(files: readonly TarFile[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const file of files) {
    const nameBytes = encoder.encode(file.name);
    if (nameBytes.length > 100) {
      const record = paxPath(file.name);
      parts.push(header('PaxHeaders/' + file.name.slice(-80), record.length, 'x'), ...padded(record));
    }
    parts.push(header(file.name, file.data.length, '0'), ...padded(file.data));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}
