/**
 * PluginVm: one instance of a plugin module (cpp-host's WasmBase). It owns linear memory, the
 * context registry, the "current context" save/restore around every guest call, deferred actions,
 * pending callouts, and the sticky failed state a trap, abort or proc_exit puts it in.
 */
import { LIFTED_START_EXPORT } from './abi/start-section.js';
import { AbiVersion, LogLevel } from './abi/constants.js';
import { Context, VmContext } from './context/context.js';
import { HttpContext, type HttpStreamHost } from './context/http-context.js';
import { IdTable } from './context/id-table.js';
import { RootContext, type RootOptions } from './context/root-context.js';
import type { CalloutAnswer, VmScope } from './context/scope.js';
import type { HeaderPair } from './abi/pairs.js';
import { WasmgateError } from './errors.js';
import { buildImports, type ScopeSlot } from './hostcalls/table.js';
import { INTERRUPT_EXPORT, limitFailure } from './instrument/flags.js';
import { GuestMemory, GuestUnwind } from './memory.js';
import type { PluginModule } from './module.js';
import type { HostPorts, LogRecord } from './ports.js';
import { WasiState } from './wasi/preview1.js';

export interface VmOptions {
  readonly ports: HostPorts;
  /** Label used in logs and errors (the gateway passes the WasmPlugin's namespace/name). */
  readonly name: string;
  /** vm_id: scopes shared data and queues (default: the name). */
  readonly vmId?: string;
  /** Environment variables for WASI environ_* (WasmPlugin vmConfig.env). */
  readonly env?: Readonly<Record<string, string>>;
  /** VM configuration bytes (buffer 6, proxy_on_vm_start). */
  readonly vmConfig?: Uint8Array | string;
  /** How many recent plugin log lines to keep for error details (default 30). */
  readonly keepLogLines?: number;
  /** The call deadline the embedder enforces through {@link PluginVm.interruptFlags}; only worded into WG_VM_DEADLINE. */
  readonly callTimeoutMs?: number;
  /** Told when an outermost guest call starts and ends (the gateway's CPU-deadline watchdog). */
  readonly callMeter?: CallMeter;
}

/**
 * Brackets every outermost call into the guest (depth 0 → 1 and back), including calls that trap.
 * The host itself knows nothing about time or threads: an embedder uses this to notice a call that
 * runs too long and to set the VM's interrupt flag from elsewhere.
 */
export interface CallMeter {
  enter(vm: PluginVm): void;
  exit(vm: PluginVm): void;
}

export type VmState = 'running' | 'failed';

interface PendingCallout {
  readonly root: RootContext;
}

export class PluginVm implements VmScope {
  readonly abi: AbiVersion;
  readonly ports: HostPorts;
  readonly name: string;
  readonly vmId: string;
  readonly vmConfig: Uint8Array;
  readonly env: readonly string[];
  readonly wasi = new WasiState();
  readonly memory: GuestMemory;
  readonly pluginModule: PluginModule;
  calloutAnswer: CalloutAnswer | undefined;
  redisAnswer: Uint8Array | undefined;
  grpcMessage: Uint8Array | undefined;
  grpcMetadata: { readonly type: number; readonly pairs: readonly HeaderPair[] } | undefined;
  foreignArgs: Uint8Array | undefined;
  /**
   * Over the interrupt memory of an instrumented module (undefined otherwise), shared with other
   * threads: `Atomics.store(flags, 0, 1)` makes the running guest call trap at its next loop
   * iteration or call; [1] is set by the guest when a memory.grow was refused (instrument/flags.ts).
   */
  readonly interruptFlags: Int32Array | undefined;

  readonly #exports: WebAssembly.Exports;
  readonly #fns = new Map<string, ((...a: unknown[]) => unknown) | null>();
  /** The VM context and the root contexts (few, long-lived). */
  readonly #contexts = new Map<number, Context>();
  /** HTTP stream contexts: one per request, so kept where coming and going allocates nothing. */
  readonly #streamContexts = new IdTable<Context>();
  readonly #vmContext: VmContext;
  readonly #after: (() => void)[] = [];
  readonly #pending = new Map<number, PendingCallout>();
  readonly #recentLogs: string[] = [];
  readonly #keep: number;
  readonly #failureListeners: ((e: WasmgateError) => void)[] = [];
  readonly #rebuildListeners: (() => void)[] = [];
  readonly #idleListeners: (() => void)[] = [];
  readonly #meter: CallMeter | undefined;
  #rebuildRequested = false;
  #current: Context;
  #effective: Context | undefined;
  #depth = 0;
  #nextContextId = 1;
  #nextCallout = 1;
  #failure: WasmgateError | undefined;
  #instance!: WebAssembly.Instance;
  /** The deadline the embedder enforces now (start-up and callbacks may differ); only worded into WG_VM_DEADLINE. */
  callTimeoutMs: number | undefined;

  private constructor(mod: PluginModule, opts: VmOptions, instanceHolder: { instance?: WebAssembly.Instance }, memory: WebAssembly.Memory) {
    this.pluginModule = mod;
    this.abi = mod.abiVersion;
    this.ports = opts.ports;
    this.name = opts.name;
    this.vmId = opts.vmId ?? opts.name;
    this.vmConfig = typeof opts.vmConfig === 'string' ? new TextEncoder().encode(opts.vmConfig) : (opts.vmConfig ?? new Uint8Array(0));
    this.env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    this.#keep = opts.keepLogLines ?? 30;
    this.#meter = opts.callMeter;
    this.memory = new GuestMemory(memory);
    this.#vmContext = new VmContext(this, 0);
    this.#current = this.#vmContext;
    this.#contexts.set(0, this.#vmContext);
    this.#instance = instanceHolder.instance!;
    this.#exports = this.#instance.exports;
    const flags = this.#exports[INTERRUPT_EXPORT];
    this.interruptFlags = flags instanceof WebAssembly.Memory ? new Int32Array(flags.buffer) : undefined;
    this.callTimeoutMs = opts.callTimeoutMs;
  }

  /**
   * Instantiates a checked module and starts it (_initialize, then main; or _start; or the lifted
   * start section). Throws WG_PLUGIN_START_FAILED with the plugin's last log lines on failure.
   */
  static async create(mod: PluginModule, opts: VmOptions): Promise<PluginVm> {
    // Hostcalls need the VM object before the instance exists, so the import wrappers read it from
    // a slot that is filled in once the VM is built (a start section is lifted into an export, so
    // nothing calls a hostcall during instantiation itself).
    let vm: PluginVm | undefined;
    const early: string[] = [];
    const slot: ScopeSlot = { vm: undefined };
    const imports = buildImports(slot, (name, err) => {
      const msg = `host error in ${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
      if (vm) vm.log(LogLevel.error, msg, 'host');
      else early.push(msg);
    });
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(mod.module, imports);
    } catch (e) {
      throw new WasmgateError('WG_PLUGIN_START_FAILED', `plugin ${opts.name} failed to instantiate: ${(e as Error).message}`, { cause: e, details: early });
    }
    const memory = instance.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new WasmgateError('WG_PLUGIN_NO_MEMORY', `plugin ${opts.name} exports no memory`);
    vm = new PluginVm(mod, opts, { instance }, memory);
    slot.vm = vm;
    vm.#installAllocator();
    vm.#start();
    return vm;
  }

  #installAllocator(): void {
    // Envoy tries malloc first; proxy_on_memory_allocate is safer (TinyGo's malloc keeps blocks
    // alive until free(), which the Go SDK never calls), and every SDK exports it when present.
    const alloc = (this.#exports.proxy_on_memory_allocate ?? this.#exports.malloc) as ((n: number) => number) | undefined;
    if (!alloc) return;
    this.memory.allocator = (n: number) => {
      // Hostcalls made by the allocator itself act on the VM context (cpp-host allocMemory), not
      // on the context of the hostcall that needed the memory.
      const savedCurrent = this.#current;
      const savedEffective = this.#effective;
      this.#current = this.#vmContext;
      this.#effective = undefined;
      let p: number;
      try {
        p = alloc(n);
      } catch (e) {
        this.#current = savedCurrent;
        this.#effective = savedEffective;
        if (e instanceof GuestUnwind) throw e;
        throw new GuestUnwind(`trap in the allocator: ${(e as Error).message}`, 'trap');
      }
      this.#current = savedCurrent;
      this.#effective = savedEffective;
      return p;
    };
  }

  #start(): void {
    const run = (name: string, args: number[]) => {
      if (!this.hasExport(name)) return false;
      try {
        this.call(this.#vmContext, name, args);
      } catch (e) {
        const cause = e instanceof WasmgateError && e.cause instanceof GuestUnwind ? e.cause : undefined;
        if (cause?.kind === 'exit' && cause.exitCode === 0 && name === '_start') {
          // TinyGo ends _start with proc_exit(0): a normal end, and the VM stays usable.
          this.#failure = undefined;
          return true;
        }
        // The VM failure already names the plugin and the export; do not say it twice.
        const why = e instanceof WasmgateError ? e.message : `plugin ${this.name} failed in ${name}: ${(e as Error).message}`;
        throw new WasmgateError('WG_PLUGIN_START_FAILED', why, {
          cause: e,
          details: this.recentLogs(),
        });
      }
      return true;
    };
    run(LIFTED_START_EXPORT, []);
    if (run('_initialize', [])) run('main', [0, 0]);
    else run('_start', []);
  }

  // ---- VmScope ---------------------------------------------------------------------------------

  acting(): Context {
    return this.#effective ?? this.#current;
  }

  setEffective(id: number): boolean {
    const ctx = this.contextById(id);
    if (!ctx) return false;
    this.#effective = ctx;
    return true;
  }

  contextById(id: number): Context | undefined {
    return this.#streamContexts.get(id) ?? this.#contexts.get(id);
  }

  afterCall(fn: () => void): void {
    if (this.#depth === 0) fn();
    else this.#after.push(fn);
  }

  // proxy_log (hostcalls/logging.ts) skips decoding a line this would drop (below warn and below
  // the host's level): keep the two conditions in step.
  log(level: LogLevel, message: string, source: LogRecord['source']): void {
    if (level >= LogLevel.warn || source !== 'proxy_log') {
      this.#recentLogs.push(message);
      if (this.#recentLogs.length > this.#keep) this.#recentLogs.shift();
    }
    if (level < this.ports.logLevel()) return;
    const ctx = this.acting();
    const root = ctx.root;
    this.ports.log({ level, message, plugin: root?.pluginName ?? this.name, rootId: root?.rootId ?? '', contextId: ctx.id, source });
  }

  nextCalloutId(kind: 0 | 1 | 2 | 3): number {
    const id = ((this.#nextCallout++ << 2) | kind) >>> 0;
    return id === 0 ? this.nextCalloutId(kind) : id;
  }

  trackCallout(id: number, root: RootContext, answer: Promise<unknown>, deliver: (value: unknown, ok: boolean) => void): void {
    this.#pending.set(id, { root });
    const settle = (value: unknown, ok: boolean) => {
      if (!this.#pending.delete(id)) return;
      if (this.#failure || root.deleted) return;
      try {
        deliver(value, ok);
      } catch {
        // a trap inside the callback already failed the VM and was reported to listeners
      }
    };
    answer.then((v) => settle(v, true), () => settle(undefined, false));
  }

  /** Number of callouts whose answers have not arrived yet. */
  get pendingCallouts(): number {
    return this.#pending.size;
  }

  memoryBytes(): number {
    return this.memory.size;
  }

  /** The guest's exported function `name` itself (a debugger sets breakpoints on it), if any. */
  exportedFunction(name: string): ((...a: unknown[]) => unknown) | undefined {
    return this.#fn(name) ?? undefined;
  }

  hasExport(name: string): boolean {
    return this.#fn(name) !== null;
  }

  #fn(name: string): ((...a: unknown[]) => unknown) | null {
    let f = this.#fns.get(name);
    if (f === undefined) {
      const e = this.#exports[name];
      f = typeof e === 'function' ? (e as (...a: unknown[]) => unknown) : null;
      this.#fns.set(name, f);
    }
    return f;
  }

  call(ctx: Context, name: string, args: readonly (number | bigint)[]): number | undefined {
    if (this.#failure) throw new WasmgateError('WG_VM_FAILED', `plugin ${this.name} cannot run ${name}: the VM failed earlier (${this.#failure.message})`, { cause: this.#failure });
    const fn = this.#fn(name);
    if (fn === null) return undefined;
    const savedCurrent = this.#current;
    const savedEffective = this.#effective;
    this.#current = ctx;
    this.#effective = undefined;
    if (this.#depth++ === 0) this.#meter?.enter(this);
    let result: unknown;
    try {
      result = fn(...args);
    } catch (e) {
      if (--this.#depth === 0) this.#meter?.exit(this);
      this.#current = savedCurrent;
      this.#effective = savedEffective;
      if (this.#depth === 0) this.#after.length = 0;
      throw this.#fail(e, name, ctx);
    }
    if (--this.#depth === 0) this.#meter?.exit(this);
    this.#current = savedCurrent;
    this.#effective = savedEffective;
    if (this.#depth === 0 && this.#after.length > 0) this.#runAfter();
    return typeof result === 'number' ? result : typeof result === 'bigint' ? Number(result) : 0;
  }

  #runAfter(): void {
    const actions = this.#after.splice(0);
    for (const a of actions) a();
  }

  #fail(e: unknown, callback: string, ctx: Context): WasmgateError {
    this.wasi.flush(this);
    const unwind = e instanceof GuestUnwind ? e : undefined;
    const what = unwind ? unwind.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    // An instrumented module says whether the trap was an interrupt or a refused memory.grow.
    const limit = this.interruptFlags && (!unwind || unwind.kind === 'trap')
      ? limitFailure(this.interruptFlags, { name: this.name, callback, what, callTimeoutMs: this.callTimeoutMs, maxMemoryPages: this.pluginModule.limits.maxMemoryPages })
      : undefined;
    const code = limit?.code ?? (unwind && unwind.kind !== 'trap' ? 'WG_VM_ABORT' : 'WG_VM_TRAP');
    const err = new WasmgateError(code, limit?.message ?? `plugin ${this.name} failed in ${callback} (context ${ctx.id}): ${what}`, {
      cause: e,
      details: this.recentLogs(),
    });
    // proc_exit(0) from _start is a normal end; #start clears the failure again in that case.
    this.#failure = err;
    for (const root of this.#roots()) root.setTickPeriod(0);
    for (const l of this.#failureListeners) l(err);
    return err;
  }

  *#roots(): Iterable<RootContext> {
    for (const c of this.#contexts.values()) if (c instanceof RootContext) yield c;
  }

  releaseContext(id: number): void {
    if (this.#streamContexts.delete(id)) {
      if (this.#streamContexts.size === 0 && this.#idleListeners.length > 0) this.#runIdle();
    } else if (id !== 0) this.#contexts.delete(id);
  }

  #runIdle(): void {
    for (const l of this.#idleListeners.splice(0)) l();
  }

  nextContextId(): number {
    return this.#nextContextId++;
  }

  registerContext(ctx: Context): void {
    if (ctx.kind === 'http') this.#streamContexts.set(ctx.id, ctx);
    else this.#contexts.set(ctx.id, ctx);
  }

  // ---- embedder API ------------------------------------------------------------------------------

  /** The sticky failure, or undefined while the VM is healthy. */
  get failure(): WasmgateError | undefined {
    return this.#failure;
  }

  get state(): VmState {
    return this.#failure ? 'failed' : 'running';
  }

  /** Called once when the VM fails (trap, abort, proc_exit). */
  onFailure(listener: (e: WasmgateError) => void): void {
    this.#failureListeners.push(listener);
  }

  /**
   * Higress's rebuild protocol: a stream set `wasm_need_rebuild` (or the older `wasm_rebuild`) to
   * `true`. Listeners are told once per VM; the embedder starts a fresh VM for new streams.
   */
  requestRebuild(): void {
    if (this.#rebuildRequested || this.#failure) return;
    this.#rebuildRequested = true;
    for (const l of this.#rebuildListeners) l();
  }

  get rebuildRequested(): boolean {
    return this.#rebuildRequested;
  }

  onRebuildRequested(listener: () => void): void {
    this.#rebuildListeners.push(listener);
  }

  /** HTTP streams whose contexts are still alive in this VM. */
  get activeStreams(): number {
    return this.#streamContexts.size;
  }

  /** Runs `fn` once no HTTP stream uses this VM any more (at once when none does now). */
  whenIdle(fn: () => void): void {
    if (this.#streamContexts.size === 0) fn();
    else this.#idleListeners.push(fn);
  }

  /** The plugin's recent log lines (warn and above, stdout/stderr), for error details. */
  recentLogs(): string[] {
    return this.#recentLogs.slice();
  }

  /**
   * Creates and configures a root context: proxy_on_context_create(root, 0), proxy_on_vm_start,
   * proxy_on_configure. Throws WG_PLUGIN_VM_START_REJECTED / WG_PLUGIN_CONFIGURE_REJECTED with the
   * plugin's log lines, or the VM failure.
   */
  createRoot(opts: RootOptions): RootContext {
    const root = new RootContext(this, this.nextContextId(), opts);
    this.registerContext(root);
    try {
      root.start();
    } catch (e) {
      if (e instanceof WasmgateError && e.details.length === 0) {
        throw new WasmgateError(e.code, e.message, { cause: e.cause, details: this.recentLogs(), hint: e.hint });
      }
      throw e;
    }
    return root;
  }

  /** A new HTTP stream context under `root` (created in the guest lazily, before its first callback). */
  createHttpContext(root: RootContext, host: HttpStreamHost): HttpContext {
    const ctx = new HttpContext(root, this.nextContextId(), host);
    this.registerContext(ctx);
    return ctx;
  }

  /** Calls proxy_on_foreign_function(root, function_id, args_size) with args in buffer 8. */
  callForeignFunction(root: RootContext, functionId: number, args: Uint8Array): void {
    this.foreignArgs = args;
    try {
      this.call(root, 'proxy_on_foreign_function', [root.id, functionId, args.length]);
    } finally {
      this.foreignArgs = undefined;
    }
  }

  /** Stops timers and tears down every root (on_done/on_delete) when the VM is healthy. */
  dispose(): void {
    for (const root of [...this.#roots()]) {
      root.setTickPeriod(0);
      if (!this.#failure) root.shutdown();
    }
    this.#pending.clear();
  }
}
