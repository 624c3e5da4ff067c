/**
 * `wasmgate validate --config <file|dir> [--config …] [--json] [--strict]`: runs the config
 * pipeline `serve` and hot reload run (`loadConfig`), prints every error and warning, never starts
 * a server. Exit 2 when there is any error (with `--strict`, any warning too), else 0.
 * `formatReport` is shared with `serve`, which refuses to start with the same report.
 * @module
 */
import { relative, isAbsolute } from 'node:path';
import { lookupSpec, type WasmgateError } from '@wasmgate/host';
import { loadConfig } from '../../config/index.js';
import type { CommandRunner } from '../io.js';
import { parseCommand, usageError, usageText } from '../options.js';
import { redactText } from '../../redact.js';
import { renderError } from '../render-error.js';
import { VALIDATE } from '../specs.js';

/** Options for {@link formatReport}. */
export interface ReportOptions {
  /** Number of files read, for the summary line; without it the summary leaves the files out. */
  readonly files?: number;
  /** Paths under this directory are printed relative to it. */
  readonly cwd?: string;
}

/**
 * The text report: each error as `file:line:col  path  WG_CODE  message` with `  hint: …` (and any
 * details) under it, then the warnings the same way, then `N errors, M warnings in K files`.
 */
export function formatReport(errors: readonly WasmgateError[], warnings: readonly WasmgateError[], options: ReportOptions = {}): string {
  const lines: string[] = [];
  for (const e of errors) lines.push(...formatProblem(e, false, options.cwd));
  for (const w of warnings) lines.push(...formatProblem(w, true, options.cwd));
  const files = options.files === undefined ? '' : ` in ${plural(options.files, 'file')}`;
  lines.push(`${plural(errors.length, 'error')}, ${plural(warnings.length, 'warning')}${files}`);
  // Masked like log lines and the admin API (redact.ts): a message may quote a URL with a password.
  return redactText(lines.join('\n'));
}

function formatProblem(e: WasmgateError, warning: boolean, cwd: string | undefined): string[] {
  const l = e.location;
  const where = l ? [displayPath(l.file, cwd), l.line, l.col].filter((x) => x !== undefined).join(':') : '';
  const head = [where, l?.path ?? '', e.code, `${warning ? 'warning: ' : ''}${e.message}`].filter((x) => x !== '').join('  ');
  const lines = [head];
  // A warning's stock hint would repeat for every unknown field; print only hints specific to it.
  if (e.hint && (!warning || e.hint !== lookupSpec(e.code)?.hint)) lines.push(`  hint: ${e.hint}`);
  for (const d of e.details) lines.push(`  ${d}`);
  return lines;
}

function displayPath(file: string | undefined, cwd: string | undefined): string | undefined {
  if (file === undefined || cwd === undefined) return file;
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One problem in the `--json` report. */
export interface JsonProblem {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly details?: readonly string[];
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly path?: string;
}

/** The `--json` report. */
export interface JsonReport {
  readonly ok: boolean;
  readonly files: readonly string[];
  readonly errors: readonly JsonProblem[];
  readonly warnings: readonly JsonProblem[];
  /** Counts of what the config holds (only when it is valid). */
  readonly summary?: { readonly routes: number; readonly plugins: number; readonly services: number };
}

function toJson(e: WasmgateError): JsonProblem {
  return {
    code: e.code,
    message: redactText(e.message),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.details.length ? { details: e.details.map(redactText) } : {}),
    ...e.location,
  };
}

/** Runs `wasmgate validate`. */
export const run: CommandRunner = async (args, io) => {
  let values: { config?: string[]; json?: boolean; strict?: boolean };
  let positionals: readonly string[];
  try {
    const parsed = parseCommand(VALIDATE, args);
    if (parsed.help) {
      io.out(usageText(VALIDATE));
      return 0;
    }
    values = parsed.values as typeof values;
    positionals = parsed.positionals;
    // Bare paths are accepted too (`wasmgate validate deploy/`), as kubectl users expect.
    if ((values.config ?? []).length + positionals.length === 0) throw usageError(VALIDATE, 'no config given: wasmgate validate --config <file|dir>');
  } catch (e) {
    return renderError(io, e);
  }
  const paths = [...(values.config ?? []), ...positionals];
  // serve and dev start the echo backend on a free port; any address checks Services with `echo: true`.
  const loaded = loadConfig(paths, { cwd: io.cwd, echoBackend: '127.0.0.1:1' });
  // --strict: every warning counts as an error, in file order with the errors.
  const result = values.strict && loaded.warnings.length > 0
    ? { ...loaded, config: undefined, errors: inFileOrder([...loaded.errors, ...loaded.warnings], loaded.sources), warnings: [] }
    : loaded;
  const exit = result.errors.length > 0 ? 2 : 0;
  if (values.json) {
    const report: JsonReport = {
      ok: exit === 0,
      files: result.sources,
      errors: result.errors.map(toJson),
      warnings: result.warnings.map(toJson),
      ...(result.config
        ? { summary: { routes: result.config.routes.length, plugins: result.config.plugins.length, services: result.config.services.length } }
        : {}),
    };
    io.out(JSON.stringify(report, null, 2));
    return exit;
  }
  for (const line of formatReport(result.errors, result.warnings, { files: result.sources.length, cwd: io.cwd }).split('\n')) io.out(line);
  if (result.config) {
    const c = result.config;
    io.out(`config ok: ${plural(c.routes.length, 'route')}, ${plural(c.plugins.length, 'plugin')}, ${plural(c.services.length, 'service')}`);
  }
  return exit;
};

/** Problems in the order a reader meets them: file (as read), line, column. */
function inFileOrder(problems: WasmgateError[], files: readonly string[]): WasmgateError[] {
  const rank = (e: WasmgateError) => (e.location?.file === undefined ? -1 : files.indexOf(e.location.file));
  return [...problems].sort((a, b) => rank(a) - rank(b) || (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0));
}
