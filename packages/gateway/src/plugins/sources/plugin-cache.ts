/**
 * On-disk cache of pulled plugins, content-addressed by image manifest digest, plus a tag → digest
 * index so `IfNotPresent` can answer a tag without asking the registry. Layout:
 *
 * ```
 * <dir>/oci/blobs/sha256/<manifest hex>/plugin.wasm   the module
 * <dir>/oci/blobs/sha256/<manifest hex>/meta.json     { manifestDigest, wasmSha256, ref, storedAt }
 * <dir>/oci/tags/<sha256 of "registry/repo:tag">.json { ref, digest, updatedAt }
 * ```
 * Entries are written to a temporary name and renamed, so a crash never leaves a half file; a
 * module whose sha256 does not match its meta.json is treated as absent.
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseDigest, sha256Hex } from './digest.js';

/** A cached module. */
export interface CachedPlugin {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly path: string;
}

/** Default cache folder: `$XDG_CACHE_HOME/wasmgate` when set, else `.wasmgate-cache` under `cwd`. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'wasmgate') : join(cwd, '.wasmgate-cache');
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // absent or unreadable: a cache miss
  }
}

/** The plugin cache under one folder. */
export class PluginCache {
  readonly #root: string;

  constructor(dir: string) {
    this.#root = join(dir, 'oci');
  }

  #entryDir(digest: string): string | undefined {
    const d = parseDigest(digest);
    return d ? join(this.#root, 'blobs', d.algorithm, d.hex) : undefined;
  }

  #tagFile(refKey: string): string {
    return join(this.#root, 'tags', `${sha256Hex(new TextEncoder().encode(refKey))}.json`);
  }

  /** The module stored for a manifest digest, or undefined. */
  async get(digest: string): Promise<CachedPlugin | undefined> {
    const dir = this.#entryDir(digest);
    if (!dir) return undefined;
    const meta = await readJson(join(dir, 'meta.json'));
    if (!meta || meta.manifestDigest !== digest) return undefined;
    const path = join(dir, 'plugin.wasm');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch {
      return undefined;
    }
    const sha256 = sha256Hex(bytes);
    return sha256 === meta.wasmSha256 ? { bytes, sha256, path } : undefined;
  }

  /** Stores a module under its manifest digest. */
  async put(digest: string, bytes: Uint8Array, ref: string): Promise<void> {
    const dir = this.#entryDir(digest);
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    await writeAtomic(join(dir, 'plugin.wasm'), bytes);
    const meta = { manifestDigest: digest, wasmSha256: sha256Hex(bytes), ref, storedAt: new Date().toISOString() };
    await writeAtomic(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  }

  /** The digest last seen for `registry/repo:tag`, or undefined. */
  async digestForTag(refKey: string): Promise<string | undefined> {
    const entry = await readJson(this.#tagFile(refKey));
    return entry?.ref === refKey && typeof entry.digest === 'string' ? entry.digest : undefined;
  }

  /** Records which digest `registry/repo:tag` pointed at. */
  async setTag(refKey: string, digest: string): Promise<void> {
    const file = this.#tagFile(refKey);
    await mkdir(join(this.#root, 'tags'), { recursive: true });
    await writeAtomic(file, JSON.stringify({ ref: refKey, digest, updatedAt: new Date().toISOString() }, null, 2));
  }
}
