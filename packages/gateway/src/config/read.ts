/**
 * Stage 1 of the config pipeline: turn `--config` arguments into source texts. A directory
 * contributes its `*.yaml`/`*.yml` files in sorted order, not recursively (as `kubectl apply -f dir`).
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

/** What reading produced: the texts that could be read, and a `WG_CONFIG_READ` for each that could not. */
export interface ReadResult {
  readonly sources: ConfigSource[];
  readonly errors: WasmgateError[];
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/**
 * Reads files and directories; relative paths are resolved against `cwd` (default: the working
 * directory). A file named explicitly is
 * read whatever its extension; the same file named twice is read once.
 */
export function readConfigSources(paths: readonly string[], cwd?: string): ReadResult {
  const sources: ConfigSource[] = [];
  const errors: WasmgateError[] = [];
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
    for (const name of names.filter((n) => YAML_EXTENSIONS.has(extname(n))).sort()) {
      const file = join(path, name);
      // A sub-directory named like a YAML file is skipped rather than reported.
      try {
        if (statSync(file).isDirectory()) continue;
      } catch {
        // Unreadable entries are reported by readOne below.
      }
      readOne(file);
    }
  }
  return { sources, errors };
}

function describe(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return cause instanceof Error ? cause.message : String(cause);
}
