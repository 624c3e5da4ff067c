/**
 * A loaded WasmPlugin: its module, its current VM and root context, and the recovery policy. A
 * trapped VM is recreated in the background with exponential backoff (200 ms doubling to 10 s);
 * meanwhile requests follow the plugin's failStrategy. In-flight streams keep the VM they started
 * with, so a rebuild never changes a request midway.
 */
import { LogLevel, PluginVm, WasmgateError, type ChainFilter, type HostPorts, type PluginModule, type RootContext } from '@wasmgate/host';
import type { WasmPluginConfig } from '../config/types.js';
import type { Logger } from '../logger.js';
import { compileCached } from './module-cache.js';
import { fetchPlugin } from './sources/index.js';
import type { FetchOptions } from './sources/index.js';

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export interface PluginStatus {
  readonly key: string;
  readonly url: string;
  readonly sha256: string;
  readonly digest?: string;
  readonly abiVersion: string;
  readonly toolchain: string;
  readonly state: 'running' | 'failed' | 'recreating';
  readonly restarts: number;
  readonly memoryPages: number;
  readonly lastError?: string;
}

export class PluginInstance {
  readonly config: WasmPluginConfig;
  readonly module: PluginModule;
  readonly digest: string | undefined;
  /** Files to watch for hot reload (file:// sources). */
  readonly localPath: string | undefined;
  #vm: PluginVm;
  #root: RootContext;
  #restarts = 0;
  #backoff = MIN_BACKOFF_MS;
  #recreating = false;
  #closed = false;
  #lastError: WasmgateError | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #ports: HostPorts;
  readonly #logger: Logger;

  private constructor(config: WasmPluginConfig, module: PluginModule, vm: PluginVm, root: RootContext, ports: HostPorts, logger: Logger, digest?: string, localPath?: string) {
    this.config = config;
    this.module = module;
    this.#vm = vm;
    this.#root = root;
    this.#ports = ports;
    this.#logger = logger;
    this.digest = digest;
    this.localPath = localPath;
    this.#watch(vm);
  }

  /** Fetches, compiles, instantiates and configures. Throws a WasmgateError naming the plugin. */
  static async load(config: WasmPluginConfig, ports: HostPorts, logger: Logger, fetchOptions: FetchOptions): Promise<PluginInstance> {
    // file URLs were resolved against the manifest's folder by the config pipeline.
    const url = config.scheme === 'file' && config.resolvedPath ? `file://${config.resolvedPath}` : config.url;
    const fetched = await fetchPlugin(url, { ...fetchOptions, pluginName: config.key, sha256: config.sha256, imagePullPolicy: config.imagePullPolicy });
    const module = await compileCached(fetched.bytes, fetched.sha256, `plugin ${config.key} (${config.url})`);
    const { vm, root } = await PluginInstance.#start(config, module, ports);
    return new PluginInstance(config, module, vm, root, ports, logger, fetched.digest, fetched.localPath);
  }

  static async #start(config: WasmPluginConfig, module: PluginModule, ports: HostPorts): Promise<{ vm: PluginVm; root: RootContext }> {
    const vm = await PluginVm.create(module, { ports, name: config.key, vmId: config.key, env: config.env });
    try {
      const root = vm.createRoot({ name: config.key, rootId: config.rootId, config: config.configJson });
      return { vm, root };
    } catch (e) {
      vm.dispose();
      throw e;
    }
  }

  #watch(vm: PluginVm): void {
    vm.onFailure((e) => {
      this.#lastError = e;
      this.#logger.log(LogLevel.error, `plugin ${this.config.key} failed: ${e.message}`, { code: e.code, details: e.details.slice(-8) });
      this.#scheduleRecreate();
    });
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
    try {
      const { vm, root } = await PluginInstance.#start(this.config, this.module, this.#ports);
      this.#vm = vm;
      this.#root = root;
      this.#restarts++;
      this.#recreating = false;
      this.#watch(vm);
      this.#logger.log(LogLevel.info, `plugin ${this.config.key} VM recreated (restart ${this.#restarts})`);
      // Reset the backoff once the new VM has stayed healthy for a while.
      setTimeout(() => { if (!vm.failure) this.#backoff = MIN_BACKOFF_MS; }, 30_000).unref();
    } catch (e) {
      this.#lastError = e instanceof WasmgateError ? e : new WasmgateError('WG_PLUGIN_START_FAILED', String(e));
      this.#recreating = false;
      this.#scheduleRecreate();
    }
  }

  /** The chain entry for a new stream (a failed VM is still returned: the chain applies failStrategy). */
  filter(): ChainFilter {
    return { name: this.config.key, vm: this.#vm, root: this.#root, failStrategy: this.config.failStrategy };
  }

  get vm(): PluginVm {
    return this.#vm;
  }

  status(): PluginStatus {
    return {
      key: this.config.key,
      url: this.config.url,
      sha256: this.module.sha256,
      ...(this.digest ? { digest: this.digest } : {}),
      abiVersion: this.module.abiVersion,
      toolchain: this.module.report.toolchain,
      state: this.#recreating ? 'recreating' : this.#vm.failure ? 'failed' : 'running',
      restarts: this.#restarts,
      memoryPages: Math.round(this.#vm.memoryBytes() / 65536),
      ...(this.#lastError ? { lastError: `${this.#lastError.code}: ${this.#lastError.message}` } : {}),
    };
  }

  /** Releases the VM once in-flight streams have drained (the caller waits for that). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#vm.failure) this.#vm.dispose();
  }
}
