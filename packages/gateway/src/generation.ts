/**
 * A Generation is one loaded configuration: the frozen Config plus a started PluginInstance per
 * WasmPlugin. Reloads build a whole new generation off the request path and swap it in; the old
 * one is released once its in-flight exchanges have drained (see RATIONALE.md, "Hot reload").
 */
import { LogLevel, WasmgateError, type ChainFilter, type HostPorts } from '@wasmgate/host';
import { hostMatches } from './config/match-route.js';
import type { Config, RouteConfig, WasmPluginConfig } from './config/types.js';
import type { Logger } from './logger.js';
import { PluginInstance } from './plugins/plugin-instance.js';
import { Upstream } from './proxy/upstream.js';
import type { FetchOptions } from './plugins/sources/index.js';

let nextGenerationId = 1;

export class Generation {
  /** 1 for the generation `start` loaded, then one more per successful reload (per process). */
  readonly id: number;
  readonly config: Config;
  readonly plugins: ReadonlyMap<string, PluginInstance>;
  /** Load errors of FAIL_OPEN plugins that were skipped. */
  readonly skipped: ReadonlyMap<string, WasmgateError>;
  /** Pooled keep-alive connections to the upstreams. */
  readonly upstream: Upstream;
  readonly loadedAt: string;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #released: Promise<void> | undefined;
  #done = false;
  #retiredAt: number | undefined;

  private constructor(config: Config, plugins: Map<string, PluginInstance>, skipped: Map<string, WasmgateError>) {
    this.id = nextGenerationId++;
    this.config = config;
    this.plugins = plugins;
    this.skipped = skipped;
    this.loadedAt = new Date().toISOString();
    this.upstream = new Upstream();
  }

  /**
   * Loads every plugin (concurrently: fetch and compile overlap). A FAIL_CLOSE plugin that cannot
   * load fails the whole generation, and whatever did load is closed again; a FAIL_OPEN one is
   * skipped with its error recorded. The thrown error carries every plugin error in `cause` (an
   * array), each located at the WasmPlugin manifest that declared it.
   */
  static async load(config: Config, ports: HostPorts, logger: Logger, fetchOptions: FetchOptions): Promise<Generation> {
    const settled = await Promise.allSettled(config.plugins.map((p) => PluginInstance.load(p, ports, logger, fetchOptions)));
    const plugins = new Map<string, PluginInstance>();
    const skipped = new Map<string, WasmgateError>();
    const errors: WasmgateError[] = [];
    settled.forEach((s, i) => {
      const p = config.plugins[i]!;
      if (s.status === 'fulfilled') {
        plugins.set(p.key, s.value);
        return;
      }
      const err = locate(p, s.reason);
      if (p.failStrategy === 'FAIL_OPEN') {
        skipped.set(p.key, err);
        logger.log(LogLevel.warn, `plugin ${p.key} skipped (FAIL_OPEN): ${err.message}`, { code: err.code });
      } else errors.push(err);
    });
    if (errors.length > 0) {
      for (const inst of plugins.values()) inst.close();
      const first = errors[0]!;
      const message = errors.length === 1 ? first.message : `${errors.length} plugins failed to load: ${errors.map((e) => e.message).join('; ')}`;
      throw new WasmgateError(first.code, message, { cause: errors, details: errors.flatMap((e) => e.details) });
    }
    return new Generation(config, plugins, skipped);
  }

  chainFor(route: RouteConfig | undefined, host: string): ChainFilter[] | { unavailable: string } {
    const out: ChainFilter[] = [];
    for (const p of this.config.plugins) {
      if (!inScope(p, route, host)) continue;
      const inst = this.plugins.get(p.key);
      if (inst) out.push(inst.filter());
      else if (p.failStrategy === 'FAIL_CLOSE') return { unavailable: `plugin ${p.key} is not loaded` };
    }
    return out;
  }

  /** An exchange starts on this generation; it keeps it (config, agent, VMs) until `leave()`. */
  enter(): void {
    this.#inFlight++;
  }

  leave(): void {
    if (--this.#inFlight === 0) this.#drained?.();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** True once `release()` has closed the VMs. */
  get released(): boolean {
    return this.#done;
  }

  /** When the generation stopped taking new exchanges (ms since the epoch); undefined while serving. */
  get retiredAt(): number | undefined {
    return this.#retiredAt;
  }

  /**
   * Waits until no exchange runs on this generation, then releases its VMs and upstream sockets.
   * The caller has already swapped it out, so `inFlight` only goes down. Idempotent.
   */
  release(): Promise<void> {
    this.#retiredAt ??= Date.now();
    this.#released ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((r) => (this.#drained = r));
      for (const inst of this.plugins.values()) inst.close();
      await this.upstream.close();
      this.#done = true;
    })();
    return this.#released;
  }
}

/** The plugin's error, as a WasmgateError that points at the WasmPlugin manifest when it has no location. */
function locate(p: WasmPluginConfig, e: unknown): WasmgateError {
  if (e instanceof WasmgateError && e.location) return e;
  if (e instanceof WasmgateError) return new WasmgateError(e.code, e.message, { hint: e.hint, details: e.details, location: p.location, cause: e });
  return new WasmgateError('WG_PLUGIN_START_FAILED', `plugin ${p.key}: ${String(e)}`, { location: p.location, cause: e });
}

/** wasmgate's host-side scope (spec.wasmgate.scope): the plugin runs where a listed route or domain matches. */
function inScope(p: WasmPluginConfig, route: RouteConfig | undefined, host: string): boolean {
  const routes = p.scope?.routes ?? [];
  const domains = p.scope?.domains ?? [];
  if (routes.length === 0 && domains.length === 0) return true;
  return (route !== undefined && routes.includes(route.name)) || domains.some((d) => hostMatches(d, host));
}
