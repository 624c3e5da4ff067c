/**
 * Shared state of the resolve stage: where problems are collected, and which objects exist (or
 * exist but failed validation, so that references to them are not reported a second time).
 * @module
 */
import type { SourceLocation, WasmgateError } from '@wasmgate/host';
import { configError, type ConfigErrorCode } from './errors.js';
import { locate, type PathSegment } from './locate.js';
import type { ManifestKind } from './schema/index.js';
import type { Manifest } from './validate.js';

/** Collects problems while resolving. */
export class ResolveContext {
  readonly errors: WasmgateError[] = [];
  readonly warnings: WasmgateError[] = [];
  /** `kind/namespace/name` of documents that exist but did not validate. */
  readonly #broken: Set<string>;
  /** Whether local plugin files are checked for existence (the file-reading pipeline does). */
  readonly checkPluginFiles: boolean;
  /** Absolute paths of the local plugin files named, in manifest order. */
  readonly pluginFiles = new Set<string>();
  /**
   * Where local plugin files may be (resolve-plugins.ts checks): the config folders (--config
   * folders, the folders of --config files; a manifest's own folder is always allowed) and the
   * Gateway's `pluginDirs`; `strict` (pluginDirs set) confines absolute paths too.
   */
  pluginRoots: { readonly configDirs: readonly string[]; readonly pluginDirs?: readonly string[] } = { configDirs: [] };

  constructor(broken: Iterable<string>, checkPluginFiles = false) {
    this.#broken = new Set(broken);
    this.checkPluginFiles = checkPluginFiles;
  }

  /** True when a document with this identity exists but has errors of its own. */
  isBroken(kind: ManifestKind, namespace: string, name: string): boolean {
    return this.#broken.has(identityKey(kind, namespace, name));
  }

  /** Records an error at `path` of a manifest. */
  error(code: ConfigErrorCode, m: Manifest, path: readonly PathSegment[], message: string, hint?: string, details?: string[]): void {
    this.errors.push(configError(code, message, locate(m.parsed, path), { hint, ...(details ? { details } : {}) }));
  }

  /** Records a warning at `path` of a manifest. */
  warn(code: ConfigErrorCode, m: Manifest, path: readonly PathSegment[], message: string, hint?: string, details?: string[]): void {
    this.warnings.push(configError(code, message, locate(m.parsed, path), { hint, ...(details ? { details } : {}) }));
  }
}

/** The key duplicates are detected by. */
export function identityKey(kind: ManifestKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** `file:line:col`, for "first defined at" details. */
export function formatWhere(location: SourceLocation): string {
  return [location.file, location.line, location.col].filter((x) => x !== undefined).join(':');
}
