/**
 * The messages between the supervisor (main thread) and the data-plane workers, in one place.
 * Everything here crosses a thread boundary by structured clone: plain data, SharedArrayBuffers
 * and WebAssembly.Modules only — no functions, no class instances with private state.
 * @module
 */
import type { ModuleReport, PluginModule } from '@wasmgate/host';
import type { Config, HostPort } from '../config/types.js';
import type { MetricsSnapshot } from '../observability/metrics.js';
import type { TrafficSnapshot } from '../proxy/traffic-stats.js';

/** A plugin the supervisor fetched and compiled (instrumented), ready to instantiate in a worker. */
export interface PreparedPlugin {
  readonly key: string;
  readonly module: PluginModule['module'];
  readonly abiVersion: string;
  readonly report: ModuleReport;
  /** sha256 of the bytes as fetched. */
  readonly sha256: string;
  /** What the rewrite applied: the interrupt check, and the memory cap in pages. */
  readonly limits: { readonly interrupt: boolean; readonly maxMemoryPages?: number | undefined };
  readonly digest?: string | undefined;
  readonly localPath?: string | undefined;
}

/** A problem as it crosses threads (a WasmgateError loses its class in a structured clone). */
export interface WireError {
  readonly code: `WG_${string}`;
  readonly message: string;
  readonly hint?: string | undefined;
  readonly details?: readonly string[] | undefined;
  readonly location?: { file?: string; line?: number; col?: number; path?: string } | undefined;
}

/** One configuration with its plugins, as every worker builds it. */
export interface GenerationPayload {
  readonly id: number;
  readonly config: Config;
  readonly plugins: readonly PreparedPlugin[];
  /** FAIL_OPEN plugins the supervisor could not fetch or compile. */
  readonly skipped: readonly (readonly [string, WireError])[];
}

/** What a worker is started with (workerData). */
export interface WorkerInit {
  readonly workerId: number;
  readonly listen: HostPort;
  /** The HTTPS listener (Gateway `listenTls`), bound next to `listen`. */
  readonly listenTls?: HostPort;
  /** Bind with SO_REUSEPORT (several workers share the port). */
  readonly reusePort: boolean;
  /** The shared-state handle (shared data, queues, metrics). */
  readonly shared: unknown;
  /** This worker's call slot (see call-slot.ts). */
  readonly callSlot: SharedArrayBuffer;
  readonly logLevel: number;
  readonly accessLog: boolean;
  /** Open the V8 inspector on this thread (`--inspect`; see worker/inspector.ts). */
  readonly inspect?: WorkerInspect;
}

/** `--inspect[=[host:]port]` and `--break-on` as a worker receives them. */
export interface WorkerInspect {
  readonly host: string;
  readonly port: number;
  /** Pause on entry to these exports of these plugins (plugin key or name, `proxy_on_*` export). */
  readonly breakOn: readonly { readonly plugin: string; readonly export: string }[];
}

/** Status of one plugin in one worker. */
export interface PluginStatus {
  readonly key: string;
  readonly url: string;
  readonly sha256: string;
  readonly digest?: string;
  readonly abiVersion: string;
  readonly toolchain: string;
  readonly state: 'running' | 'failed' | 'recreating';
  readonly restarts: number;
  /** Fresh VMs made because the plugin asked (wasm_need_rebuild). */
  readonly rebuilds: number;
  /** VMs started (the first, restarts and rebuilds; attempts that failed to start included). */
  readonly vmStarts?: number;
  /** VM starts that failed, and VMs that failed while running. */
  readonly vmFailures?: number;
  readonly memoryPages: number;
  readonly limits: { readonly maxMemoryMiB: number; readonly callTimeoutMs: number; readonly startTimeoutMs: number };
  readonly lastError?: string;
  readonly lastErrorCode?: string;
}

export interface WorkerStatus {
  readonly workerId: number;
  readonly threadId: number;
  readonly generation: number;
  readonly inFlight: number;
  readonly draining: readonly { generation: number; inFlight: number; sinceMs: number }[];
  readonly plugins: readonly PluginStatus[];
  readonly skipped: readonly (readonly [string, WireError])[];
  readonly heapUsedBytes: number;
  readonly listening: boolean;
  /** The worker's request, upstream and plugin-phase metrics (observability/metrics.ts). */
  readonly metrics?: MetricsSnapshot;
  /** Per-route and per-plugin requests, errors and latency over the last minute (the dashboard's). */
  readonly traffic?: TrafficSnapshot;
}

export type ToWorker =
  | { readonly type: 'prepare'; readonly req: number; readonly generation: GenerationPayload }
  | { readonly type: 'commit'; readonly req: number; readonly id: number }
  | { readonly type: 'discard'; readonly id: number }
  | { readonly type: 'listen'; readonly req: number }
  | { readonly type: 'status'; readonly req: number }
  | { readonly type: 'queue-ready'; readonly queueId: number }
  | { readonly type: 'log-level'; readonly level: number }
  | { readonly type: 'close'; readonly req: number; readonly drainMs: number };

export type FromWorker =
  | { readonly type: 'reply'; readonly req: number; readonly ok: true; readonly value?: unknown }
  | { readonly type: 'reply'; readonly req: number; readonly ok: false; readonly errors: readonly WireError[] }
  | { readonly type: 'log'; readonly lines: readonly string[] }
  | { readonly type: 'access'; readonly lines: readonly string[] }
  | { readonly type: 'vm-flags'; readonly serial: number; readonly flags: SharedArrayBuffer; readonly plugin: string }
  | { readonly type: 'vm-gone'; readonly serial: number }
  | { readonly type: 'queue-notify'; readonly to: number; readonly queueId: number }
  | { readonly type: 'inspector'; readonly url: string };

/**
 * Layout of a worker's call slot: an Int32Array over a SharedArrayBuffer that the worker writes on
 * every outermost guest call and the supervisor's watchdog reads. Plain stores suffice: a stale
 * read only delays a decision by one watchdog tick.
 */
export const CallSlot = {
  /** 1 while a guest call runs. */
  IN_CALL: 0,
  /** Bumped on every call start: the watchdog measures how long one sequence number stays in. */
  SEQ: 1,
  /** The running call's deadline, ms. */
  DEADLINE_MS: 2,
  /** Serial of the VM in the call (its interrupt flags were sent with 'vm-flags'). */
  VM_SERIAL: 3,
  INTS: 4,
} as const;
