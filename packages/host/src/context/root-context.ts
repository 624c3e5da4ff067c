/**
 * A root context: one configured instance of a plugin inside a VM (Envoy's PluginBase + root
 * ContextBase). Owns the tick timer and receives every asynchronous answer (HTTP/Redis callouts,
 * queue events, foreign-function calls) for streams it created.
 */
import { WasmgateError } from '../errors.js';
import type { PropertyValue } from '../properties.js';
import { Context } from './context.js';
import { IdTable } from './id-table.js';
import type { VmScope } from './scope.js';

/** Longest timer a port must support (setTimeout's limit, about 24.8 days). */
export const MAX_TIMER_MS = 0x7fffffff;

export interface RootOptions {
  /** Plugin name (property plugin_name; the gateway uses `namespace/name`). */
  readonly name: string;
  /** Root id (property plugin_root_id); several roots of one VM need distinct ids. */
  readonly rootId?: string;
  /** Plugin configuration bytes, readable as buffer 7 inside proxy_on_configure. */
  readonly config?: Uint8Array | string;
}

export class RootContext extends Context {
  readonly kind = 'root' as const;
  readonly pluginName: string;
  readonly rootId: string;
  readonly config: Uint8Array;
  /** True only while proxy_on_configure runs: buffer 7 is readable then. */
  configuring = false;
  /** Last callout status for proxy_get_status. */
  lastStatus: { code: number; message: string } = { code: 0, message: '' };
  /** The root returned false from proxy_on_done and must call proxy_done(). */
  pendingDone = false;
  deleted = false;
  #tickMs = 0;
  #cancelTick: (() => void) | undefined;
  /** Host-side record of the streams alive under this root (for teardown), by context id. */
  readonly streams = new IdTable<true>();

  constructor(vm: VmScope, id: number, opts: RootOptions) {
    super(vm, id);
    this.pluginName = opts.name;
    this.rootId = opts.rootId ?? '';
    this.config = typeof opts.config === 'string' ? new TextEncoder().encode(opts.config) : (opts.config ?? new Uint8Array(0));
  }

  get root(): RootContext {
    return this;
  }

  get tickPeriodMs(): number {
    return this.#tickMs;
  }

  override property(path: readonly string[]): PropertyValue | undefined {
    if (path.length !== 1) return undefined;
    switch (path[0]) {
      case 'plugin_name':
        return this.pluginName;
      case 'plugin_root_id':
        return this.rootId;
      case 'plugin_vm_id':
        return this.vm.vmId;
      case 'plugin_vm_memory':
        return BigInt(this.vm.memoryBytes());
      default:
        return undefined;
    }
  }

  /** Creates the root in the guest and runs proxy_on_vm_start and proxy_on_configure. */
  start(): void {
    this.vm.call(this, 'proxy_on_context_create', [this.id, 0]);
    const started = this.vm.call(this, 'proxy_on_vm_start', [this.id, this.vm.vmConfig.length]);
    if (started === 0) throw new WasmgateError('WG_PLUGIN_VM_START_REJECTED', `plugin ${this.pluginName}: proxy_on_vm_start returned false`);
    this.configure();
  }

  /** proxy_on_configure; throws WG_PLUGIN_CONFIGURE_REJECTED when the plugin returns false. */
  configure(): void {
    this.configuring = true;
    let ok: number | undefined;
    try {
      ok = this.vm.call(this, 'proxy_on_configure', [this.id, this.config.length]);
    } finally {
      this.configuring = false;
    }
    if (ok === 0) {
      throw new WasmgateError('WG_PLUGIN_CONFIGURE_REJECTED', `plugin ${this.pluginName}: proxy_on_configure returned false (the plugin rejected its configuration)`);
    }
  }

  /** proxy_set_tick_period_milliseconds: 0 disables; the timer lives in the host ports. */
  setTickPeriod(ms: number): void {
    this.#tickMs = ms;
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    if (ms > 0) this.#scheduleTick();
  }

  #scheduleTick(): void {
    // The period is a u32 from the guest; timers (JS setTimeout included) take at most 2^31-1 ms
    // and fire at once beyond that, which would turn a "once in 49 days" tick into a busy loop.
    this.#cancelTick = this.vm.ports.setTimer(Math.min(this.#tickMs, MAX_TIMER_MS), () => {
      this.#cancelTick = undefined;
      if (this.deleted || this.#tickMs === 0) return;
      try {
        this.vm.call(this, 'proxy_on_tick', [this.id]);
      } catch {
        return; // the VM failed; its failure was reported, no more ticks
      }
      if (this.#tickMs > 0 && !this.#cancelTick) this.#scheduleTick();
    });
  }

  /**
   * Tears the root down: proxy_on_done, then proxy_on_delete now (done returned true) or once the
   * plugin calls proxy_done(). Returns true when the root is deleted.
   */
  shutdown(): boolean {
    this.setTickPeriod(0);
    if (this.deleted) return true;
    let done: number | undefined = 1;
    try {
      done = this.vm.call(this, 'proxy_on_done', [this.id]);
    } catch {
      done = 1;
    }
    if (done === 0) {
      this.pendingDone = true;
      return false;
    }
    this.delete();
    return true;
  }

  /** proxy_done() from the plugin, or the end of shutdown. */
  delete(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.pendingDone = false;
    try {
      this.vm.call(this, 'proxy_on_delete', [this.id]);
    } catch {
      // a failed VM cannot run on_delete; nothing else to release
    }
    this.vm.releaseContext(this.id);
  }
}
