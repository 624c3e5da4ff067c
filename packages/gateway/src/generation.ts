/**
 * A Generation is one loaded configuration inside one worker: the frozen Config, a started
 * PluginInstance per WasmPlugin (from the modules the supervisor compiled), the upstream pools, and
 * its own HostPorts (so callouts resolve clusters in this generation's config). Reloads build a whole
 * new generation off the request path and swap it in; the old one is released once its in-flight
 * exchanges have drained (see RATIONALE.md, "Hot reload").
 */
import { LogLevel, WasmgateError, type ChainFilter } from '@wasmgate/host';
import { deepFreeze } from './config/freeze.js';
import { pluginLimits } from './config/limits.js';
import { pluginInScope } from './config/match-route.js';
import type { Config, RouteConfig } from './config/types.js';
import type { Logger } from './logger.js';
import { PluginInstance } from './plugins/plugin-instance.js';
import { createNodePorts, type NodePorts, type SharedStores } from './ports/node-ports.js';
import { loadTracing } from './observability/tracing.js';
import { Upstream } from './proxy/upstream.js';
import { locatePluginError } from './supervisor/prepare-plugins.js';
import type { GenerationPayload, WireError } from './supervisor/protocol.js';
import { fromWire, pluginsFailed } from './supervisor/wire-error.js';
import type { CallSlotWriter } from './worker/call-slot.js';

/** What every generation of a worker shares. */
export interface GenerationEnv {
  readonly logger: Logger;
  readonly stores: SharedStores;
  readonly callSlot?: CallSlotWriter | undefined;
  /** Told when a VM has been let go (a worker then asks V8 to reclaim its memory soon). */
  readonly vmReleased?: (() => void) | undefined;
}

export class Generation {
  /** Assigned by the supervisor: 1 for the first, one more per successful reload. */
  readonly id: number;
  readonly config: Config;
  readonly plugins: ReadonlyMap<string, PluginInstance>;
  /** FAIL_OPEN plugins left out: could not be fetched, compiled or started. */
  readonly skipped: ReadonlyMap<string, WasmgateError>;
  /** Pooled keep-alive connections to the upstreams. */
  readonly upstream: Upstream;
  readonly ports: NodePorts;
  readonly loadedAt: string;
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #released: Promise<void> | undefined;
  #done = false;
  #retiredAt: number | undefined;

  private constructor(id: number, config: Config, ports: NodePorts, plugins: Map<string, PluginInstance>, skipped: Map<string, WasmgateError>) {
    this.id = id;
    this.config = config;
    this.ports = ports;
    this.plugins = plugins;
    this.skipped = skipped;
    this.loadedAt = new Date().toISOString();
    this.upstream = new Upstream(config.gateway.upstreamPool);
  }

  /**
   * Starts every prepared plugin. A FAIL_CLOSE plugin that cannot start fails the whole generation
   * (whatever did start is closed again); a FAIL_OPEN one is skipped with its error recorded. The
   * thrown error carries every plugin error in `cause`, each located at its WasmPlugin manifest.
   */
  static async create(payload: GenerationPayload, env: GenerationEnv): Promise<Generation> {
    const config = deepFreeze(payload.config) as Config;
    // The OpenTelemetry SDK is loaded only by a worker that serves a configuration with tracing.
    if (config.gateway.tracing) await loadTracing();
    const ports = createNodePorts(config, env.logger, env.stores);
    const prepared = new Map(payload.plugins.map((p) => [p.key, p]));
    const skipped = new Map<string, WasmgateError>(payload.skipped.map(([k, e]: readonly [string, WireError]) => [k, fromWire(e)]));
    const toStart = config.plugins.filter((p) => prepared.has(p.key));
    const settled = await Promise.allSettled(toStart.map((p) => PluginInstance.create(p, prepared.get(p.key)!, {
      ports, logger: env.logger, limits: pluginLimits(p, config.gateway), callSlot: env.callSlot, vmReleased: env.vmReleased,
    })));
    const plugins = new Map<string, PluginInstance>();
    const errors: WasmgateError[] = [];
    settled.forEach((s, i) => {
      const p = toStart[i]!;
      if (s.status === 'fulfilled') {
        plugins.set(p.key, s.value);
        return;
      }
      const err = locatePluginError(p, s.reason);
      if (p.failStrategy === 'FAIL_OPEN') {
        skipped.set(p.key, err);
        env.logger.log(LogLevel.warn, `plugin ${p.key} skipped (FAIL_OPEN): ${err.message}`, { code: err.code });
      } else errors.push(err);
    });
    if (errors.length > 0) {
      for (const inst of plugins.values()) inst.close();
      ports.close();
      throw pluginsFailed(errors);
    }
    return new Generation(payload.id, config, ports, plugins, skipped);
  }

  chainFor(route: RouteConfig | undefined, host: string): ChainFilter[] | { unavailable: string } {
    const out: ChainFilter[] = [];
    for (const p of this.config.plugins) {
      if (!pluginInScope(p, route, host)) continue;
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
   * Waits until no exchange runs on this generation, then releases its VMs, upstream sockets and
   * callout connections. The caller has already swapped it out, so `inFlight` only goes down.
   * Idempotent.
   */
  release(): Promise<void> {
    this.#retiredAt ??= Date.now();
    this.#released ??= (async () => {
      if (this.#inFlight > 0) await new Promise<void>((r) => (this.#drained = r));
      for (const inst of this.plugins.values()) inst.close();
      this.ports.close();
      await this.upstream.close();
      this.#done = true;
    })();
    return this.#released;
  }
}
