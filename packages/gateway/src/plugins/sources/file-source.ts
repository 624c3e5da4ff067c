/**
 * Local plugin files: `file:///abs/plugin.wasm`, `file://relative/plugin.wasm` or a plain path;
 * relative paths are resolved against `baseDir` (the config's folder). A given sha256 is checked
 * against the file's bytes.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { assertWasm, normalizeSha256, sha256Hex } from './digest.js';
import { sourceError, type SourceContext } from './errors.js';
import type { FetchedPlugin, FetchOptions } from './types.js';

/** The absolute path a file URL or plain path names. */
export function filePath(url: string, baseDir: string | undefined, ctx: SourceContext): string {
  let path = url;
  if (url.startsWith('file://')) {
    path = url.slice('file://'.length);
    if (path.startsWith('localhost/')) path = path.slice('localhost'.length);
    try {
      path = decodeURIComponent(path);
    } catch (cause) {
      throw sourceError('WG_SOURCE_BAD_URL', ctx, 'the file URL has a broken %-escape', { cause });
    }
  }
  if (path === '') throw sourceError('WG_SOURCE_BAD_URL', ctx, 'the file URL names no path');
  return isAbsolute(path) ? path : resolve(baseDir ?? '.', path);
}

/** Reads a plugin from disk. */
export async function fetchFilePlugin(url: string, opts: FetchOptions): Promise<FetchedPlugin> {
  const ctx: SourceContext = { url, pluginName: opts.pluginName };
  const expected = opts.sha256 ? normalizeSha256(opts.sha256, ctx) : undefined;
  const path = filePath(url, opts.baseDir, ctx);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path, { signal: opts.signal }));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (cause as Error).message;
    throw sourceError('WG_SOURCE_FILE', ctx, `cannot read ${path}: ${why}`, { cause });
  }
  const sha256 = sha256Hex(bytes);
  if (expected && sha256 !== expected) {
    throw sourceError('WG_SOURCE_DIGEST_MISMATCH', ctx, `${path} has sha256 ${sha256}, expected ${expected}`, {
      details: [`expected: ${expected}`, `actual:   ${sha256}`],
    });
  }
  assertWasm(bytes, ctx, path);
  return { bytes, sha256, url, fromCache: false, localPath: path };
}
