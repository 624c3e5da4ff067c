/**
 * A WasmPlugin inside one worker: its current VM and root context, the limits they run under, and
 * the recovery policy. A VM that traps, passes its CPU deadline or runs out of its memory cap is
 * recreated in the background with exponential backoff (200 ms doubling to 10 s); meanwhile requests
 * follow the plugin's failStrategy. A plugin that asks for a fresh VM (Higress's `wasm_need_rebuild`)
 * gets one for new requests at once, and its old VM is released once its last stream ends. In-flight
 * streams keep the VM they started with, so neither ever changes a request midway.
 */
import { LogLevel, PluginVm, WasmgateError, type ChainFilter, type HostPorts, type PluginModule, type RootContext } from '@wasmgate/host';
import type { EffectiveLimits } from '../config/limits.js';
import type { WasmPluginConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { PluginStatus, PreparedPlugin } from '../supervisor/protocol.js';
import type { CallSlotWriter, Deadline } from '../worker/call-slot.js';

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;
const HEALTHY_RESET_MS = 30_000;

/** What a plugin instance needs from the worker it lives in. */
export interface InstanceEnv {
  readonly ports: HostPorts;
  readonly logger: Logger;
  readonly limits: EffectiveLimits;
  /** Absent outside a worker (no watchdog): then no deadline is enforced. */
  readonly callSlot?: CallSlotWriter | undefined;
  /** Told when a VM has been let go (its linear memory can be reclaimed). */
  readonly vmReleased?: (() => void) | undefined;
}

let nextSerial = 1;

/**
 * The error without its cause. A trap's RuntimeError keeps V8's structured stack, whose Wasm frames
 * reference the instance — and so its whole linear memory: keeping it as `lastError` would keep
 * every failed VM's memory alive.
 */
function detached(e: WasmgateError): WasmgateError {
  return new WasmgateError(e.code, e.message, { hint: e.hint, details: e.details, location: e.location });
}

interface LiveVm {
  readonly vm: PluginVm;
  readonly root: RootContext;
  readonly serial: number;
}

export class PluginInstance {
  readonly config: WasmPluginConfig;
  readonly prepared: PreparedPlugin;
  readonly #module: PluginModule;
  readonly #env: InstanceEnv;
  #live: LiveVm;
  #filter: ChainFilter;
  #restarts = 0;
  #rebuilds = 0;
  /** The first VM started (create() succeeded). */
  #vmStarts = 1;
  #vmFailures = 0;
  #backoff = MIN_BACKOFF_MS;
  #recreating = false;
  #rebuilding = false;
  #closed = false;
  #lastError: WasmgateError | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(config: WasmPluginConfig, prepared: PreparedPlugin, module: PluginModule, env: InstanceEnv, live: LiveVm) {
    this.config = config;
    this.prepared = prepared;
    this.#module = module;
    this.#env = env;
    this.#live = live;
    this.#filter = this.#filterOf(live);
    this.#watch(live);
  }

  /** Instantiates, starts and configures the prepared module. Throws a WasmgateError naming the plugin. */
  static async create(config: WasmPluginConfig, prepared: PreparedPlugin, env: InstanceEnv): Promise<PluginInstance> {
    const module: PluginModule = {
      module: prepared.module, abiVersion: prepared.abiVersion as PluginModule['abiVersion'], report: prepared.report, sha256: prepared.sha256, limits: prepared.limits,
    };
    const live = await PluginInstance.#start(config, module, env);
    return new PluginInstance(config, prepared, module, env, live);
  }

  static async #start(config: WasmPluginConfig, module: PluginModule, env: InstanceEnv): Promise<LiveVm> {
    const serial = nextSerial++;
    // Start-up (_initialize/main, proxy_on_vm_start, proxy_on_configure) gets its own, longer deadline.
    const deadline: Deadline = { ms: env.limits.startTimeoutMs };
    const callMeter = env.callSlot?.meter(serial, config.key, deadline);
    let vm: PluginVm | undefined;
    try {
      vm = await PluginVm.create(module, {
        ports: env.ports, name: config.key, vmId: config.key, env: config.env,
        callTimeoutMs: env.limits.startTimeoutMs, ...(callMeter ? { callMeter } : {}),
      });
      const root = vm.createRoot({ name: config.key, rootId: config.rootId, config: config.configJson });
      deadline.ms = env.limits.callTimeoutMs;
      vm.callTimeoutMs = env.limits.callTimeoutMs;
      return { vm, root, serial };
    } catch (e) {
      if (vm && !vm.failure) vm.dispose();
      env.callSlot?.forget(serial);
      throw e;
    }
  }

  #filterOf(live: LiveVm): ChainFilter {
    return { name: this.config.key, vm: live.vm, root: live.root, failStrategy: this.config.failStrategy };
  }

  #watch(live: LiveVm): void {
    live.vm.onFailure((e) => {
      this.#vmFailures++;
      this.#lastError = detached(e);
      this.#env.logger.log(LogLevel.error, `plugin ${this.config.key} failed: ${e.message}`, { code: e.code, details: e.details.slice(-8) });
      this.#retireWhenIdle(live);
      if (live === this.#live) this.#scheduleRecreate();
    });
    live.vm.onRebuildRequested(() => {
      if (live === this.#live) void this.#rebuild(live);
    });
  }

  /** Drops the watchdog's hold on a VM once no stream uses it any more (so its memory can go). */
  #retireWhenIdle(live: LiveVm): void {
    live.vm.whenIdle(() => this.#release(live));
  }

  #scheduleRecreate(): void {
    if (this.#recreating || this.#closed) return;
    this.#recreating = true;
    const delay = this.#backoff;
    this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
    this.#timer = setTimeout(() => void this.#recreate(), delay);
    this.#timer.unref();
  }

  async #recreate(): Promise<void> {
    if (this.#closed) return;
    let live: LiveVm;
    this.#vmStarts++;
    try {
      live = await PluginInstance.#start(this.config, this.#module, this.#env);
    } catch (e) {
      this.#vmFailures++;
      this.#lastError = e instanceof WasmgateError ? detached(e) : new WasmgateError('WG_PLUGIN_START_FAILED', String(e));
      this.#recreating = false;
      this.#scheduleRecreate();
      return;
    }
    this.#recreating = false;
    // close() may have run while the VM was starting: nobody would ever release this one.
    if (this.#closed) {
      this.#release(live);
      return;
    }
    this.#install(live);
    this.#restarts++;
    this.#env.logger.log(LogLevel.info, `plugin ${this.config.key} VM recreated (restart ${this.#restarts})`);
    // Reset the backoff once the new VM has stayed healthy for a while.
    setTimeout(() => { if (!live.vm.failure) this.#backoff = MIN_BACKOFF_MS; }, HEALTHY_RESET_MS).unref();
  }

  /**
   * Higress's rebuild protocol: the plugin set `wasm_need_rebuild` (wasm-go does when its request
   * count or `plugin_vm_memory` passes a threshold). New streams go to a fresh VM as soon as it has
   * started; streams on the old one finish there, then it is disposed. No request fails.
   */
  async #rebuild(old: LiveVm): Promise<void> {
    if (this.#rebuilding || this.#closed || old.vm.failure) return;
    this.#rebuilding = true;
    this.#vmStarts++;
    try {
      const live = await PluginInstance.#start(this.config, this.#module, this.#env);
      if (this.#closed || this.#live !== old || old.vm.failure) {
        this.#release(live);
        return;
      }
      this.#install(live);
      this.#rebuilds++;
      this.#retireWhenIdle(old);
      this.#env.logger.log(LogLevel.info, `plugin ${this.config.key} asked for a rebuild: new VM serving (rebuild ${this.#rebuilds}); the old one is released when its ${old.vm.activeStreams} stream(s) end`);
    } catch (e) {
      // The old VM keeps serving; the plugin will ask again.
      this.#vmFailures++;
      this.#env.logger.log(LogLevel.warn, `plugin ${this.config.key} asked for a rebuild, but the new VM did not start: ${(e as Error).message}`);
    } finally {
      this.#rebuilding = false;
    }
  }

  #install(live: LiveVm): void {
    const old = this.#live;
    this.#live = live;
    this.#filter = this.#filterOf(live);
    this.#watch(live);
    // A failed VM stayed referenced (as #live) until now: only now can its memory be reclaimed.
    if (old.vm.failure) this.#env.vmReleased?.();
  }

  #release(live: LiveVm): void {
    if (!live.vm.failure) live.vm.dispose();
    this.#env.callSlot?.forget(live.serial);
    this.#env.vmReleased?.();
  }

  /** The chain entry for a new stream (a failed VM is still returned: the chain applies failStrategy). */
  filter(): ChainFilter {
    return this.#filter;
  }

  get vm(): PluginVm {
    return this.#live.vm;
  }

  status(): PluginStatus {
    const vm = this.#live.vm;
    return {
      key: this.config.key,
      url: this.config.url,
      sha256: this.prepared.sha256,
      ...(this.prepared.digest ? { digest: this.prepared.digest } : {}),
      abiVersion: this.prepared.abiVersion,
      toolchain: this.prepared.report.toolchain,
      state: this.#recreating ? 'recreating' : vm.failure ? 'failed' : 'running',
      restarts: this.#restarts,
      rebuilds: this.#rebuilds,
      vmStarts: this.#vmStarts,
      vmFailures: this.#vmFailures,
      memoryPages: Math.round(vm.memoryBytes() / 65536),
      limits: this.#env.limits,
      ...(this.#lastError ? { lastError: `${this.#lastError.code}: ${this.#lastError.message}`, lastErrorCode: this.#lastError.code } : {}),
    };
  }

  /** Releases the VM; the caller has waited for in-flight streams to drain. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#release(this.#live);
  }
}
