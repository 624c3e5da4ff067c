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

/** Throws WG_SOURCE_NOT_WASM, showing the first bytes, unless the bytes are a Wasm module. */
export function assertWasm(bytes: Uint8Array, ctx: SourceContext, what = 'the fetched file'): void {
  if (isWasm(bytes)) return;
  const head = Buffer.from(bytes.subarray(0, 16));
  const printable = head.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  throw sourceError('WG_SOURCE_NOT_WASM', ctx, `${what} is not a WebAssembly module (${bytes.length} bytes, starts with "${printable}")`, {
    details: [`first bytes: ${head.toString('hex')}`],
  });
}
