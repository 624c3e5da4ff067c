/**
 * A small tar reader: ustar and old-style (v7) headers, GNU `././@LongLink` long names, pax
 * extended headers (`path`, `size`), base-256 sizes. Enough to find `plugin.wasm` in an image
 * layer, written here so the gateway needs no tar dependency.
 * @module
 */

/** One member of a tar archive (long-name and pax records are already applied). */
export interface TarEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'link' | 'other';
  /** The member's bytes (a view into the archive, empty for non-files). */
  readonly data: Uint8Array;
}

/** Thrown for a corrupt or truncated archive; callers wrap it into WG_SOURCE_ARCHIVE. */
export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const BLOCK = 512;
const decoder = new TextDecoder();

/** Reads the NUL-terminated string stored in `bytes`. */
function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end >= 0 ? bytes.subarray(0, end) : bytes);
}

/** Numeric header field: octal text, or GNU base-256 when the high bit of the first byte is set. */
function readNumber(field: Uint8Array, what: string): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + (field[i] ?? 0);
    return value;
  }
  const text = cString(field).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad ${what} field "${text}"`);
  return parseInt(text, 8);
}

/** The header checksum is the byte sum with the checksum field counted as spaces. */
function checksumOk(header: Uint8Array): boolean {
  const stored = readNumber(header.subarray(148, 156), 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b; // some old tars summed signed chars
  }
  return stored === unsigned || stored === signed;
}

/** Parses pax records: `"<len> key=value\n"` repeated. */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const space = data.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number(decoder.decode(data.subarray(off, space)));
    if (!Number.isInteger(len) || len <= 0 || off + len > data.length) throw new TarFormatError('bad pax record length');
    const record = decoder.decode(data.subarray(space + 1, off + len - 1)); // drop the trailing \n
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    off += len;
  }
  return out;
}

function isZeroBlock(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

function entryType(flag: number): TarEntry['type'] {
  switch (String.fromCharCode(flag)) {
    case '0': case '\0': case '7': return 'file';
    case '5': return 'directory';
    case '1': case '2': return 'link';
    default: return 'other';
  }
}

/** Lists the members of an (uncompressed) tar archive. Throws {@link TarFormatError} if corrupt. */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let longName: string | undefined;
  let pax = new Map<string, string>();
  let off = 0;
  while (off + BLOCK <= archive.length) {
    const header = archive.subarray(off, off + BLOCK);
    if (isZeroBlock(header)) break; // end-of-archive marker
    if (!checksumOk(header)) throw new TarFormatError(`header checksum mismatch at offset ${off}`);
    const paxSize = pax.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : readNumber(header.subarray(124, 136), 'size');
    const flag = header[156] ?? 0;
    const start = off + BLOCK;
    if (!Number.isSafeInteger(size) || size < 0 || start + size > archive.length) {
      throw new TarFormatError(`member at offset ${off} is truncated (needs ${size} bytes)`);
    }
    const data = archive.subarray(start, start + size);
    off = start + Math.ceil(size / BLOCK) * BLOCK;

    const kind = String.fromCharCode(flag);
    if (kind === 'L') { longName = cString(data); continue; } // GNU long name for the next member
    if (kind === 'K') continue; // GNU long link target: not needed
    if (kind === 'x') { pax = parsePax(data); continue; } // pax header for the next member
    if (kind === 'g') continue; // pax global header: no field we use

    const ustar = cString(header.subarray(257, 263)).startsWith('ustar');
    const prefix = ustar ? cString(header.subarray(345, 500)) : '';
    const short = cString(header.subarray(0, 100));
    const name = pax.get('path') ?? longName ?? (prefix ? `${prefix}/${short}` : short);
    const type = entryType(flag);
    entries.push({ name, type, data: type === 'file' ? data : new Uint8Array(0) });
    longName = undefined;
    pax = new Map();
  }
  return entries;
}

/** The basename of a member path (`./a/plugin.wasm` → `plugin.wasm`). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
