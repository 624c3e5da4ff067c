/**
 * A Generation is one loaded configuration: the frozen Config plus a started PluginInstance per
 * WasmPlugin. Reloads build a whole new generation off the request path and swap it in; the old
 * one is released once its in-flight exchanges have drained.
 */
import { Agent } from 'node:http';
import { LogLevel, WasmgateError, type ChainFilter, type HostPorts } from '@wasmgate/host';
import { hostMatches } from './config/match-route.js';
import type { Config, RouteConfig, WasmPluginConfig } from './config/types.js';
import type { Logger } from './logger.js';
import { PluginInstance } from './plugins/plugin-instance.js';
import type { FetchOptions } from './plugins/sources/index.js';

export class Generation {
  readonly config: Config;
  readonly plugins: ReadonlyMap<string, PluginInstance>;
  /** Load errors of FAIL_OPEN plugins that were skipped. */
  readonly skipped: ReadonlyMap<string, WasmgateError>;
  readonly agent: Agent;
  #inFlight = 0;
  #drained: (() => void) | undefined;

  private constructor(config: Config, plugins: Map<string, PluginInstance>, skipped: Map<string, WasmgateError>) {
    this.config = config;
    this.plugins = plugins;
    this.skipped = skipped;
    this.agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  }

  /**
   * Loads every plugin. A FAIL_CLOSE plugin that cannot load fails the whole generation (the old
   * one keeps serving); a FAIL_OPEN one is skipped with its error recorded.
   */
  static async load(config: Config, ports: HostPorts, logger: Logger, fetchOptions: FetchOptions, reuse?: Generation): Promise<Generation> {
    const plugins = new Map<string, PluginInstance>();
    const skipped = new Map<string, WasmgateError>();
    const errors: WasmgateError[] = [];
    for (const p of config.plugins) {
      try {
        plugins.set(p.key, await PluginInstance.load(p, ports, logger, fetchOptions));
      } catch (e) {
        const err = e instanceof WasmgateError ? e : new WasmgateError('WG_PLUGIN_START_FAILED', `plugin ${p.key}: ${String(e)}`, { cause: e });
        if (p.failStrategy === 'FAIL_OPEN') {
          skipped.set(p.key, err);
          logger.log(LogLevel.warn, `plugin ${p.key} skipped (FAIL_OPEN): ${err.message}`, { code: err.code });
        } else errors.push(err);
      }
    }
    if (errors.length > 0) {
      for (const inst of plugins.values()) inst.close();
      if (errors.length === 1) throw errors[0]!;
      throw new WasmgateError(errors[0]!.code, `${errors.length} plugins failed to load: ${errors.map((e) => e.message).join('; ')}`, {
        details: errors.flatMap((e) => [`${e.code}: ${e.message}`, ...e.details]),
      });
    }
    void reuse;
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

  enter(): void {
    this.#inFlight++;
  }

  leave(): void {
    if (--this.#inFlight === 0) this.#drained?.();
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Waits until no exchange runs on this generation, then releases its VMs. */
  async release(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((r) => (this.#drained = r));
    for (const inst of this.plugins.values()) inst.close();
    this.agent.destroy();
  }
}

/** wasmgate's host-side scope (spec.wasmgate.scope): the plugin runs where a listed route or domain matches. */
function inScope(p: WasmPluginConfig, route: RouteConfig | undefined, host: string): boolean {
  const routes = p.scope?.routes ?? [];
  const domains = p.scope?.domains ?? [];
  if (routes.length === 0 && domains.length === 0) return true;
  return (route !== undefined && routes.includes(route.name)) || domains.some((d) => hostMatches(d, host));
}
