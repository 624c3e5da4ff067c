/**
 * What a reload attempt reports: kept as `Gateway.lastReload`, answered by POST /reload, shown on
 * /ready and /config_dump, and logged by `serve`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WasmgateError } from '@wasmgate/host';
import type { ConfigSource } from './config/index.js';
import type { Config } from './config/types.js';
import { redact } from './redact.js';

/** One problem of a reload, in the form the admin endpoints show. */
export interface ReloadProblem {
  readonly code: string;
  readonly message: string;
  /** `file:line:col  path`: the config position, or the WasmPlugin manifest of a plugin that failed. */
  readonly location?: string;
  readonly hint?: string;
  /** Extra lines, e.g. the plugin's last log lines before it rejected its configuration. */
  readonly details?: readonly string[];
}

export interface ReloadOutcome {
  /** True when the new generation serves (with `skipped`: what the previous attempt reported). */
  readonly ok: boolean;
  /** When the attempt finished (ISO 8601). */
  readonly at: string;
  /** What asked for it: `start`, `POST /reload`, `file changed: <paths>`, or several joined by `; `. */
  readonly trigger: string;
  /** The generation serving after the attempt (the previous one when it failed). */
  readonly generation: number;
  readonly durationMs: number;
  /** Why it failed: every config error, or every plugin that failed to load. Empty when ok. */
  readonly errors: readonly ReloadProblem[];
  /** Config warnings and FAIL_OPEN plugins that were skipped. */
  readonly warnings: readonly ReloadProblem[];
  /**
   * Set when the attempt did nothing and the rest of the outcome is the previous one's: `unchanged`
   * (a file-change reload found the files as the last attempt read them) or `shutting down`.
   */
  readonly skipped?: 'unchanged' | 'shutting down';
}

/** Every WasmgateError packed in `e` (an aggregate carries its list in `cause`), as problems. */
export function problemsOf(e: unknown): ReloadProblem[] {
  const err = e instanceof WasmgateError ? e : new WasmgateError('WG_PLUGIN_START_FAILED', e instanceof Error ? e.message : String(e), { cause: e });
  const list = Array.isArray(err.cause) && err.cause.every((x) => x instanceof WasmgateError) ? (err.cause as WasmgateError[]) : [err];
  return list.map(toProblem);
}

export function toProblem(x: WasmgateError): ReloadProblem {
  // Masked once here, so every place an outcome goes (admin API, dashboard, logs) shows no secret.
  return redact({
    code: x.code, message: x.message,
    ...(x.location ? { location: x.formatLocation() } : {}),
    ...(x.hint ? { hint: x.hint } : {}),
    ...(x.details.length > 0 ? { details: [...x.details] } : {}),
  });
}

/**
 * A digest of what a reload reads from disk: the config texts and the bytes of each file:// plugin
 * the config names. A file-change reload whose digest equals the last attempt's does nothing, so
 * `touch`, a save without edits, or the watcher firing after POST /reload already loaded the change
 * cost no VM restarts.
 */
export function fingerprint(sources: readonly ConfigSource[], config: Config | undefined): string {
  const h = createHash('sha256');
  for (const s of sources) h.update(`${s.file}\0${s.text}\0`);
  for (const p of config?.plugins ?? []) {
    if (p.scheme !== 'file' || !p.resolvedPath) continue;
    h.update(`${p.resolvedPath}\0`);
    try {
      h.update(readFileSync(p.resolvedPath));
    } catch (e) {
      h.update(`unreadable: ${(e as Error).message}`);
    }
  }
  return h.digest('hex');
}
