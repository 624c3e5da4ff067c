/**
 * Stage 1 of the config pipeline: turn `--config` arguments into source texts. A directory
 * contributes its `*.yaml`/`*.yml`/`*.json` files in sorted order, not recursively (as
 * `kubectl apply -f dir`); any other file in it is named in a `WG_CONFIG_SKIPPED_FILE` warning.
 * @module
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { WasmgateError } from '@wasmgate/host';
import { configError } from './errors.js';

/** One config file's text, named by its absolute path. */
export interface ConfigSource {
  readonly file: string;
  readonly text: string;
}

/**
 * What reading produced: the texts that could be read, a `WG_CONFIG_READ` for each that could not,
 * and a `WG_CONFIG_SKIPPED_FILE` warning for each file of a folder that is not read.
 */
export interface ReadResult {
  readonly sources: ConfigSource[];
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
}

/** Extensions read from a config folder (JSON is YAML, as for `kubectl apply -f dir`). */
export const MANIFEST_EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml', '.json']);

/** True for a folder entry the config reader reads (and the hot-reload watcher reacts to). */
export function isManifestFileName(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * Files of a config folder skipped without a word: dot-files (editor swap files, the `..data` links
 * of a mounted ConfigMap), backups, documentation, and plugin binaries kept next to their manifests.
 */
const QUIET_EXTENSIONS = new Set(['.md', '.markdown', '.txt', '.rst', '.wasm', '.wat', '.swp', '.swo']);
function isQuietFileName(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || QUIET_EXTENSIONS.has(extname(name).toLowerCase()) ||
    /^(readme|license|licence|notice|changelog)(\.|$)/i.test(name);
}

/**
 * Reads files and directories; relative paths are resolved against `cwd` (default: the working
 * directory). A file named explicitly is
 * read whatever its extension; the same file named twice is read once.
 */
export function readConfigSources(paths: readonly string[], cwd?: string): ReadResult {
  const sources: ConfigSource[] = [];
  const errors: WasmgateError[] = [];
  const warnings: WasmgateError[] = [];
  const seen = new Set<string>();
  const readOne = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    try {
      sources.push({ file, text: readFileSync(file, 'utf8') });
    } catch (cause) {
      errors.push(configError('WG_CONFIG_READ', `cannot read ${file}: ${describe(cause)}`, { file }, { cause }));
    }
  };
  for (const given of paths) {
    // Without a cwd, path.resolve falls back to the process's working directory.
    const path = cwd === undefined ? resolve(given) : resolve(cwd, given);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (cause) {
      errors.push(configError('WG_CONFIG_READ', `cannot read ${path}: ${describe(cause)}`, { file: path }, { cause }));
      continue;
    }
    if (!isDir) {
      readOne(path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (cause) {
      errors.push(configError('WG_CONFIG_READ', `cannot list ${path}: ${describe(cause)}`, { file: path }, { cause }));
      continue;
    }
    // Plain code-unit order, not locale order: the same on every machine.
    for (const name of [...names].sort()) {
      const file = join(path, name);
      // Sub-directories are skipped rather than reported (not recursive, as kubectl apply -f dir).
      let dir = false;
      try {
        dir = statSync(file).isDirectory();
      } catch {
        // Unreadable entries are reported by readOne below (or skipped when not manifests).
      }
      if (dir) continue;
      if (isManifestFileName(name)) {
        readOne(file);
      } else if (!isQuietFileName(name)) {
        // Anything else might be a manifest under the wrong name.
        warnings.push(configError('WG_CONFIG_SKIPPED_FILE', `${name} is not read: only *.yaml, *.yml and *.json files of a folder are`, { file },
          { hint: extname(name) === '' ? 'Rename it to .yaml if it holds manifests, or move it out of the config folder.' : `Rename it to .yaml if it holds manifests, or move it out of the config folder (${extname(name)} files are not read).` }));
      }
    }
  }
  return { sources, errors, warnings };
}

function describe(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return cause instanceof Error ? cause.message : String(cause);
}
