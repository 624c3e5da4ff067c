/**
 * Checksums and the Wasm magic check shared by every source.
 * @module
 */
import { createHash } from 'node:crypto';
import { sourceError, type SourceContext } from './errors.js';

/** Lowercase hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** An OCI content digest split into its parts (`sha256:ab…` → `{ algorithm: 'sha256', hex: 'ab…' }`). */
export interface ParsedDigest {
  readonly algorithm: 'sha256' | 'sha512';
  readonly hex: string;
}

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Parses `sha256:<64 hex>` / `sha512:<128 hex>`; undefined for anything else. */
export function parseDigest(digest: string): ParsedDigest | undefined {
  if (!DIGEST_RE.test(digest)) return undefined;
  const [algorithm, hex] = digest.split(':') as ['sha256' | 'sha512', string];
  return { algorithm, hex };
}

/** `sha256:<hex>` (or sha512) of `bytes`, the OCI digest form. */
export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * Normalises a user-supplied sha256 (Higress writes bare hex; `sha256:` prefixes and upper case are
 * accepted too) to 64 lowercase hex digits.
 */
export function normalizeSha256(value: string, ctx: SourceContext): string {
  const hex = value.trim().toLowerCase().replace(/^sha256:/, '');
  if (!/^[a-f0-9]{64}$/.test(hex)) {
    throw sourceError('WG_SOURCE_BAD_SHA256', ctx, `sha256 "${value}" is not 64 hex digits`);
  }
  return hex;
}

/** True when the bytes start with the WebAssembly magic `\0asm`. */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/**
 * What kind of non-Wasm bytes these are, from well-known signatures only. Never the bytes
 * themselves: a plugin path or URL may name any file, and errors are shown on the admin API.
 */
export function describeBytes(bytes: Uint8Array): string {
  const b = bytes;
  const at = (i: number, ...xs: number[]) => xs.every((x, j) => b[i + j] === x);
  if (b.length === 0) return 'empty';
  if (at(0, 0x00, 0x61, 0x73, 0x6d)) return 'a truncated WebAssembly module';
  if (at(0, 0x1f, 0x8b)) return 'gzip data';
  if (at(0, 0x50, 0x4b, 0x03, 0x04)) return 'a zip archive';
  if (at(257, 0x75, 0x73, 0x74, 0x61, 0x72)) return 'a tar archive';
  if (at(0, 0x7f, 0x45, 0x4c, 0x46)) return 'an ELF executable';
  if (at(0, 0x28, 0xb5, 0x2f, 0xfd)) return 'zstd data';
  const head = b.subarray(0, 512);
  const text = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 0x20 && c !== 0x7f));
  if (!text) return 'binary data';
  const start = Buffer.from(head).toString('latin1').trimStart().slice(0, 15).toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) return 'an HTML page';
  if (start.startsWith('<')) return 'XML or HTML text';
  if (start.startsWith('{') || start.startsWith('[')) return 'JSON text';
  if (start.startsWith('(module')) return 'WebAssembly text (.wat), not a binary module';
  return 'text';
}

/** Throws WG_SOURCE_NOT_WASM, with the size and kind of the bytes (never the bytes), unless they are a Wasm module. */
export function assertWasm(bytes: Uint8Array, ctx: SourceContext, what = 'the fetched file'): void {
  if (isWasm(bytes)) return;
  throw sourceError('WG_SOURCE_NOT_WASM', ctx, `${what} is not a WebAssembly module (${bytes.length} bytes, ${describeBytes(bytes)})`);
}
