/**
 * The supervisor's half of loading a generation: fetch every plugin (file, HTTP, OCI) and compile
 * it once, rewritten for its limits (interrupt check, memory cap). Workers then only instantiate
 * the shared WebAssembly.Module — no worker ever downloads or compiles.
 * @module
 */
import { LogLevel, WasmgateError } from '@wasmgate/host';
import { mibToPages, pluginLimits } from '../config/limits.js';
import type { Config, WasmPluginConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import { compileCached } from '../plugins/module-cache.js';
import { fetchPlugin, type FetchOptions } from '../plugins/sources/index.js';
import type { PreparedPlugin } from './protocol.js';

export interface PreparedPlugins {
  readonly plugins: PreparedPlugin[];
  /** FAIL_CLOSE plugins that could not be fetched or compiled: the generation must not serve. */
  readonly errors: WasmgateError[];
  /** FAIL_OPEN plugins that could not be fetched or compiled (they are left out of every chain). */
  readonly skipped: Map<string, WasmgateError>;
}

export interface PrepareOptions {
  /**
   * Compile the plugins exactly as built, with no interrupt checks and no memory cap (`--inspect`):
   * the rewrite moves code offsets, so it drops DWARF sections, and a debugger needs them.
   */
  readonly asBuilt?: boolean;
}

/**
 * Fetches and compiles every plugin of `config` concurrently. A FAIL_CLOSE plugin that fails is in
 * `errors` (located at the WasmPlugin manifest that declared it): the generation must not serve, but
 * the caller may still start the others to report their problems too.
 */
export async function preparePlugins(config: Config, fetchOptions: FetchOptions, logger: Logger, opts: PrepareOptions = {}): Promise<PreparedPlugins> {
  const settled = await Promise.allSettled(config.plugins.map((p) => prepareOne(p, config, fetchOptions, opts)));
  const plugins: PreparedPlugin[] = [];
  const skipped = new Map<string, WasmgateError>();
  const errors: WasmgateError[] = [];
  settled.forEach((s, i) => {
    const p = config.plugins[i]!;
    if (s.status === 'fulfilled') {
      plugins.push(s.value);
      return;
    }
    const err = locatePluginError(p, s.reason);
    if (p.failStrategy === 'FAIL_OPEN') {
      skipped.set(p.key, err);
      logger.log(LogLevel.warn, `plugin ${p.key} skipped (FAIL_OPEN): ${err.message}`, { code: err.code });
    } else errors.push(err);
  });
  return { plugins, skipped, errors };
}

async function prepareOne(p: WasmPluginConfig, config: Config, fetchOptions: FetchOptions, opts: PrepareOptions): Promise<PreparedPlugin> {
  // file URLs were resolved against the manifest's folder by the config pipeline.
  const url = p.scheme === 'file' && p.resolvedPath ? `file://${p.resolvedPath}` : p.url;
  const fetched = await fetchPlugin(url, { ...fetchOptions, pluginName: p.key, sha256: p.sha256, imagePullPolicy: p.imagePullPolicy });
  const limits = pluginLimits(p, config.gateway);
  const mod = await compileCached(fetched.bytes, fetched.sha256, `plugin ${p.key} (${p.url})`, opts.asBuilt ? {} : {
    interrupt: true, maxMemoryPages: mibToPages(limits.maxMemoryMiB),
  });
  return {
    key: p.key, module: mod.module, abiVersion: mod.abiVersion, report: mod.report, sha256: mod.sha256, limits: mod.limits,
    ...(fetched.digest ? { digest: fetched.digest } : {}),
    ...(fetched.localPath ? { localPath: fetched.localPath } : {}),
  };
}

/** The plugin's error, as a WasmgateError that points at the WasmPlugin manifest when it has no location. */
export function locatePluginError(p: WasmPluginConfig, e: unknown): WasmgateError {
  if (e instanceof WasmgateError && e.location) return e;
  if (e instanceof WasmgateError) return new WasmgateError(e.code, e.message, { hint: e.hint, details: e.details, location: p.location, cause: e });
  return new WasmgateError('WG_PLUGIN_START_FAILED', `plugin ${p.key}: ${String(e)}`, { location: p.location, cause: e });
}
