/**
 * HostPorts: everything a plugin VM needs from outside the Wasm sandbox. The host never touches
 * clocks, timers, sockets or consoles itself; the gateway supplies Node-backed ports, the test
 * harness supplies a virtual clock and scripted upstreams.
 */
import type { LogLevel } from './abi/constants.js';
import type { HeaderPair } from './abi/pairs.js';
import type { SharedDataStore } from './stores/shared-data.js';
import type { SharedQueueStore } from './stores/shared-queue.js';
import type { MetricStore } from './stores/metrics.js';
import type { PropertyValue } from './properties.js';

/** One log line from a plugin (proxy_log, or fd 1/2 through WASI) or from the host about a plugin. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  /** Plugin name (the WasmPlugin's namespace/name in the gateway). */
  readonly plugin: string;
  readonly rootId: string;
  /** Context the plugin was running in (0 = VM context). */
  readonly contextId: number;
  readonly source: 'proxy_log' | 'stdout' | 'stderr' | 'host';
}

/** An outbound HTTP call a plugin made with proxy_http_call. */
export interface HttpCallRequest {
  readonly cluster: string;
  /** Includes `:method`, `:path`, `:authority` (checked by the host). */
  readonly headers: readonly HeaderPair[];
  readonly body: Uint8Array;
  readonly trailers: readonly HeaderPair[];
  /** 0 = no timeout. */
  readonly timeoutMs: number;
  readonly plugin: string;
}

/** The answer to an HTTP call; `headers` includes `:status`. */
export interface HttpCallResponse {
  readonly headers: readonly HeaderPair[];
  readonly body: Uint8Array;
  readonly trailers: readonly HeaderPair[];
}

/** Returned synchronously by a port when a call cannot even be dispatched. */
export type DispatchError = 'unknown_cluster' | 'failed';

/**
 * A gRPC call or stream a plugin opened with proxy_grpc_call / proxy_grpc_stream. `cluster` is the
 * `service` argument as the plugin passed it (Higress plugins pass a cluster name).
 */
export interface GrpcCallRequest {
  readonly cluster: string;
  /** Fully qualified service name, e.g. `helloworld.Greeter`. */
  readonly service: string;
  readonly method: string;
  /** Initial metadata (request headers) the plugin added. */
  readonly initialMetadata: readonly HeaderPair[];
  /** The request message (serialized protobuf, without gRPC framing); empty when a stream opens. */
  readonly message: Uint8Array;
  /** 0 = no timeout. */
  readonly timeoutMs: number;
  readonly plugin: string;
}

/**
 * What a gRPC port reports, always from the event loop (never inside grpcCall/grpcStream). A unary
 * call reports `message` once then `close(0, '')`, or only `close(status, message)` on failure; a
 * stream reports initialMetadata, messages, trailingMetadata, then close. Nothing after close.
 */
export interface GrpcEvents {
  initialMetadata(md: readonly HeaderPair[]): void;
  message(bytes: Uint8Array): void;
  trailingMetadata(md: readonly HeaderPair[]): void;
  /** grpc-status (0 = OK; 14 UNAVAILABLE for a connect failure, 4 DEADLINE_EXCEEDED for a timeout) and grpc-message. */
  close(status: number, message: string): void;
}

/** Controls a dispatched gRPC call or stream. */
export interface GrpcHandle {
  /** Streams only: sends one message, then half-closes when `endStream`. */
  send(message: Uint8Array, endStream: boolean): void;
  /** Half-closes the local side (streams); the remote side may still answer. */
  closeLocal(): void;
  /** Resets the call/stream; no event is reported afterwards. */
  cancel(): void;
}

export interface RedisInitRequest {
  /** The cluster name as the plugin passed it, query string included (`…?db=1`). */
  readonly cluster: string;
  readonly username: string;
  readonly password: string;
  readonly timeoutMs: number;
  readonly plugin: string;
}

/** A foreign function callable with proxy_call_foreign_function: bytes in, bytes out. */
export type ForeignFunction = (args: Uint8Array, call: { plugin: string; contextId: number; effects: ForeignFunctionEffects }) => Uint8Array | 'not_found' | 'bad_argument';

/** What a foreign function may do to the stream it was called from. */
export interface ForeignFunctionEffects {
  /** Higress `inject_encoded_data_to_filter_chain_on_header`. */
  injectOnHeader?(body: Uint8Array, endStream: boolean): boolean;
  setGlobalMaxRequestsPerIoCycle?(n: bigint): void;
}

export interface HostPorts {
  /** Wall-clock time, ns since the Unix epoch. */
  nowNanos(): bigint;
  /** Monotonic time, ns from an arbitrary origin. */
  monotonicNanos(): bigint;
  /** Runs `fn` after `ms` milliseconds (from the event loop; the host never asks for more than 2^31-1); returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
  /** Fills a buffer with random bytes (WASI random_get). */
  randomBytes(into: Uint8Array): void;
  /** Receives every plugin log line at or above `logLevel()`. */
  log(record: LogRecord): void;
  /** The level below which plugin logs are dropped (and what proxy_get_log_level answers). */
  logLevel(): LogLevel;
  /** Dispatches an HTTP call; resolve = response, reject = reset/timeout (delivered as 0 headers). */
  httpCall?(req: HttpCallRequest): Promise<HttpCallResponse> | DispatchError;
  /** proxy_grpc_call: a unary call. */
  grpcCall?(req: GrpcCallRequest, events: GrpcEvents): GrpcHandle | DispatchError;
  /** proxy_grpc_stream: a bidirectional stream (messages go with GrpcHandle.send). */
  grpcStream?(req: GrpcCallRequest, events: GrpcEvents): GrpcHandle | DispatchError;
  /** Higress proxy_redis_init: 'unknown_cluster' ⇒ BadArgument. */
  redisInit?(req: RedisInitRequest): 'ok' | DispatchError;
  /** Higress proxy_redis_call: resolves with the raw RESP reply; reject ⇒ NetworkError status. */
  redisCall?(cluster: string, query: Uint8Array, plugin: string): Promise<Uint8Array> | DispatchError;
  /** Node-wide properties (`node`, `listener_*`, `xds.*` …) that do not depend on a stream. */
  property?(path: readonly string[]): PropertyValue | undefined;
  /** Higress proxy_get_upstream_hosts for a cluster: pairs of (`ip:port`, JSON info). */
  upstreamHosts?(cluster: string): readonly HeaderPair[] | undefined;
  readonly sharedData: SharedDataStore;
  readonly sharedQueues: SharedQueueStore;
  readonly metrics: MetricStore;
  /** Extra foreign functions by name (the host registers get_log_level and friends itself). */
  readonly foreignFunctions?: ReadonlyMap<string, ForeignFunction>;
}
