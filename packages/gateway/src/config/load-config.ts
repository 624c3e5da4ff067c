/**
 * The config pipeline end to end: read → parse → validate → resolve → freeze. Every problem in every
 * file is collected; a `Config` is returned only when there is no error.
 * @module
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { WasmgateError } from '@wasmgate/host';
import { configError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { parseSource } from './parse.js';
import { readConfigSources, type ConfigSource } from './read.js';
import { resolveConfig } from './resolve.js';
import type { Config, ConfigOverrides } from './types.js';
import { validateDocument, type ValidateResult } from './validate.js';

/** The outcome of loading: a frozen `Config` when `errors` is empty. */
export interface LoadResult {
  readonly config?: Config;
  /** Sorted by file (in reading order), line and column. */
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
  /** Absolute paths of the files read. */
  readonly sources: readonly string[];
  /** The texts read ({@link loadConfig} only), for change detection. */
  readonly texts?: readonly ConfigSource[];
  /**
   * Absolute paths of every local (file://) plugin the manifests name, even when the config has
   * errors (a missing one among them): hot reload watches them.
   */
  readonly pluginFiles?: readonly string[];
}

/** Options of the pure pipeline ({@link loadConfigFromSources}). */
export interface PipelineOptions {
  /**
   * Check that local plugin files exist and are readable (`WG_CONFIG_PLUGIN_FILE`). {@link loadConfig}
   * (hence `validate`, `serve` and hot reload) always does; off by default for texts, whose plugin
   * paths are often made up.
   */
  readonly checkPluginFiles?: boolean;
  /**
   * Folders local plugin files may be in (besides each manifest's own folder and the Gateway's
   * `pluginDirs`): {@link loadConfig} passes the --config folders and the folders of --config files.
   */
  readonly configDirs?: readonly string[];
}

/** Options for {@link loadConfig}. */
export interface LoadOptions extends ConfigOverrides {
  /** Directory relative `--config` paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
}

/**
 * Reads and resolves config files and directories (directories: their `*.yaml`/`*.yml`/`*.json`
 * files in sorted order), and checks that local plugin files exist. `wasmgate validate`, `serve`
 * and hot reload all call this, so they report the same problems.
 * @example
 * const { config, errors, warnings } = loadConfig(['examples/mock-response']);
 * if (!config) console.error(formatReport(errors, warnings));
 */
export function loadConfig(paths: readonly string[] | string, overrides: LoadOptions = {}): LoadResult {
  const { cwd, ...flags } = overrides;
  const read = readConfigSources(typeof paths === 'string' ? [paths] : paths, cwd);
  const configDirs = (typeof paths === 'string' ? [paths] : paths).map((p) => {
    const abs = cwd === undefined ? resolve(p) : resolve(cwd, p);
    return isDirectory(abs) ? abs : dirname(abs);
  });
  const result = loadConfigFromSources(read.sources, flags, { checkPluginFiles: true, configDirs });
  const errors = sortProblems([...read.errors, ...result.errors], read.sources);
  const warnings = sortProblems([...read.warnings, ...result.warnings], read.sources);
  const { config, ...rest } = result;
  return { ...rest, ...(errors.length === 0 && config ? { config } : {}), errors, warnings, texts: read.sources };
}

/** The pure part of {@link loadConfig}: source texts in, frozen `Config` out. */
export function loadConfigFromSources(sources: readonly ConfigSource[], overrides: ConfigOverrides = {}, options: PipelineOptions = {}): LoadResult {
  const errors: WasmgateError[] = [];
  const warnings: WasmgateError[] = [];
  const documents: ValidateResult[] = [];
  for (const source of sources) {
    const parsed = parseSource(source);
    errors.push(...parsed.errors);
    warnings.push(...parsed.warnings);
    for (const doc of parsed.documents) {
      const result = validateDocument(doc);
      errors.push(...result.errors);
      warnings.push(...result.warnings);
      documents.push(result);
    }
  }
  const files = sources.map((s) => s.file);
  if (documents.length === 0 && errors.length === 0) {
    errors.push(
      configError('WG_CONFIG_EMPTY', sources.length === 0 ? 'no *.yaml, *.yml or *.json files to read' : `no manifests in ${files.join(', ')}`,
        sources.length === 1 ? { file: files[0]! } : undefined),
    );
  }
  const resolved = resolveConfig(documents, files, overrides, options);
  errors.push(...resolved.errors);
  warnings.push(...resolved.warnings);
  const sortedErrors = sortProblems(errors, sources);
  const sortedWarnings = sortProblems(warnings, sources);
  const pluginFiles = resolved.pluginFiles;
  if (sortedErrors.length > 0) return { errors: sortedErrors, warnings: sortedWarnings, sources: files, pluginFiles };
  return { config: deepFreeze(resolved.config) as Config, errors: sortedErrors, warnings: sortedWarnings, sources: files, pluginFiles };
}

/** Orders problems as a reader walks the files: file order, then line, then column (stable). */
function sortProblems(problems: WasmgateError[], sources: readonly ConfigSource[]): WasmgateError[] {
  const rank = new Map(sources.map((s, i) => [s.file, i]));
  const fileRank = (e: WasmgateError) => (e.location?.file === undefined ? -1 : (rank.get(e.location.file) ?? -1));
  return [...problems].sort(
    (a, b) =>
      fileRank(a) - fileRank(b) ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.col ?? 0) - (b.location?.col ?? 0),
  );
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
