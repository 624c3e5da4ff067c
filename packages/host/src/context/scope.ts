/**
 * What hostcalls see of a running VM. `vm.ts` implements it; hostcalls import only this type, so
 * the dependency runs one way (hostcalls → scope ← vm).
 */
import type { AbiVersion, LogLevel } from '../abi/constants.js';
import type { HeaderPair } from '../abi/pairs.js';
import type { GuestMemory } from '../memory.js';
import type { HostPorts, LogRecord } from '../ports.js';
import type { Context } from './context.js';
import type { RootContext } from './root-context.js';
import type { WasiState } from '../wasi/preview1.js';

/** The answer of an HTTP call while its callback runs (map 6/7, buffer 4). */
export interface CalloutAnswer {
  readonly headers: readonly HeaderPair[];
  readonly body: Uint8Array;
  readonly trailers: readonly HeaderPair[];
}

export interface VmScope {
  readonly memory: GuestMemory;
  readonly ports: HostPorts;
  readonly abi: AbiVersion;
  readonly vmId: string;
  readonly vmConfig: Uint8Array;
  /** Plugin environment variables (vmConfig.env), for WASI environ_*. */
  readonly env: readonly string[];
  /** WASI per-VM state (partial stdout/stderr lines). */
  readonly wasi: WasiState;
  /** The context hostcalls act on: the effective context if one was set, else the callback's. */
  acting(): Context;
  /** proxy_set_effective_context. */
  setEffective(id: number): boolean;
  contextById(id: number): Context | undefined;
  /** Runs after the outermost guest call returns (continue_stream, local replies, …). */
  afterCall(fn: () => void): void;
  /** Emits a log line attributed to the acting context. */
  log(level: LogLevel, message: string, source: LogRecord['source']): void;
  /** Unique non-zero callout id; the low 2 bits carry the kind, as in Envoy (http 0, grpc 1/2, redis 3). */
  nextCalloutId(kind: 0 | 1 | 2 | 3): number;
  /** Set while proxy_on_http_call_response runs. */
  calloutAnswer: CalloutAnswer | undefined;
  /** Set while proxy_on_redis_call_response runs (buffer 9). */
  redisAnswer: Uint8Array | undefined;
  /** Set while proxy_on_grpc_receive runs (buffer 5). */
  grpcMessage: Uint8Array | undefined;
  /** Set while proxy_on_grpc_receive_initial_metadata (map 4) / _trailing_metadata (map 5) runs. */
  grpcMetadata: { readonly type: number; readonly pairs: readonly HeaderPair[] } | undefined;
  /** Set while proxy_on_foreign_function runs (buffer 8). */
  foreignArgs: Uint8Array | undefined;
  /** Registers a pending HTTP/Redis call so the answer reaches `root`. */
  trackCallout(id: number, root: RootContext, answer: Promise<unknown>, deliver: (value: unknown, ok: boolean) => void): void;
  /** Linear memory size in bytes (property plugin_vm_memory). */
  memoryBytes(): number;
  /**
   * Calls an exported callback with `ctx` as the current context (save/restore around it, effective
   * context reset, deferred actions run after the outermost call). Returns the i32 result (0 for
   * void exports), or undefined when the module does not export `name`. A trap fails the VM and
   * throws a WasmgateError. Contexts use this; hostcalls never do.
   */
  call(ctx: Context, name: string, args: readonly (number | bigint)[]): number | undefined;
  hasExport(name: string): boolean;
  /** Higress's `wasm_need_rebuild`: the plugin asks for a fresh VM (see PluginVm.requestRebuild). */
  requestRebuild(): void;
  /** Forgets a context (after proxy_on_delete). */
  releaseContext(id: number): void;
  /** Allocates the next context id (never reused). */
  nextContextId(): number;
  registerContext(ctx: Context): void;
}
