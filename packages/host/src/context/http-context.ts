/**
 * An HTTP stream context: one plugin's view of one request. The chain (chain/http-stream.ts) sets
 * which maps and buffers are visible before each callback; hostcalls read and write them; effects
 * that must wait until the VM call returns (continue, close, local reply) go to the stream host.
 */
import { AbiVersion, FilterHeadersStatus, WasmResult } from '../abi/constants.js';
import type { HeaderPair } from '../abi/pairs.js';
import { utf8Decode } from '../abi/utf8.js';
import { WasmgateError } from '../errors.js';
import type { PropertyValue } from '../properties.js';
import type { BodyBuffer } from './body-buffer.js';
import { Context, type BufferSlot } from './context.js';
import type { HeaderMap } from './header-map.js';
import type { RootContext } from './root-context.js';

/** A reply a plugin sent with proxy_send_local_response. */
export interface LocalReply {
  readonly status: number;
  /** Response code details; spaces become underscores, as in Envoy. */
  readonly details: string;
  readonly body: Uint8Array;
  readonly headers: readonly HeaderPair[];
  /** gRPC status, or undefined for a plain HTTP reply (the SDKs pass 0xFFFFFFFF / -1). */
  readonly grpcStatus: number | undefined;
}

/** What an HTTP context needs from the stream that owns it. */
export interface HttpStreamHost {
  /** Built-in stream properties (request.*, source.*, route_name, cluster_name …). */
  property(path: readonly string[]): PropertyValue | undefined;
  /** Side effects of proxy_set_property (clear_route_cache, buffer limits, custom_log …). */
  propertySet?(path: string, value: Uint8Array): void;
  continueStream(ctx: HttpContext, type: 0 | 1): void;
  closeStream(ctx: HttpContext, type: 0 | 1): void;
  localReply(ctx: HttpContext, reply: LocalReply): void;
  /** Higress proxy_inject_encoded_data_to_filter_chain: push bytes downstream from this filter. */
  inject?(ctx: HttpContext, data: Uint8Array, endStream: boolean): boolean;
  /** Higress inject_encoded_data_to_filter_chain_on_header foreign function. */
  injectOnHeader?(ctx: HttpContext, body: Uint8Array, endStream: boolean): boolean;
  /** Higress proxy_set_upstream_override_host. */
  setUpstreamOverrideHost?(host: string): boolean;
  /** Higress proxy_get_upstream_hosts for this stream's cluster. */
  upstreamHosts?(): readonly HeaderPair[] | undefined;
}

export type StreamPhase = 'new' | 'request' | 'response' | 'log' | 'done' | 'deleted';

export class HttpContext extends Context {
  readonly kind = 'http' as const;
  readonly #root: RootContext;
  readonly host: HttpStreamHost;
  phase: StreamPhase = 'new';
  #created = false;
  localReplySent = false;
  /**
   * Set when proxy_send_local_response runs during this context's current callback: only that
   * callback's return is forced to a stop (cpp-host's one-shot stopNextIteration). The response
   * callbacks that then run for the local reply itself must not be forced, or it never leaves.
   */
  #replyInCallback = false;
  #props: Map<string, Uint8Array> | undefined;
  // Visibility, set by the chain around each callback.
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  requestHeadersWritable = false;
  requestTrailersWritable = false;
  responseHeadersWritable = false;
  responseTrailersWritable = false;
  requestBody: BodyBuffer | undefined;
  responseBody: BodyBuffer | undefined;

  constructor(root: RootContext, id: number, host: HttpStreamHost) {
    super(root.vm, id);
    this.#root = root;
    this.host = host;
  }

  get root(): RootContext {
    return this.#root;
  }

  /** Per-stream values stored by proxy_set_property, returned verbatim by get_property (made on first use). */
  get props(): Map<string, Uint8Array> {
    return (this.#props ??= new Map());
  }

  override mapFor(type: number): HeaderMap | undefined {
    switch (type) {
      case 0: return this.requestHeaders;
      case 1: return this.requestTrailers;
      case 2: return this.responseHeaders;
      case 3: return this.responseTrailers;
      default: return undefined;
    }
  }

  override mapWritable(type: number): boolean {
    if (this.phase === 'log' || this.phase === 'done') return false;
    switch (type) {
      case 0: return this.requestHeadersWritable;
      case 1: return this.requestTrailersWritable;
      case 2: return this.responseHeadersWritable;
      case 3: return this.responseTrailersWritable;
      default: return false;
    }
  }

  override streamBuffer(type: number): BufferSlot | undefined {
    if (type === 0 && this.requestBody) return { buffer: this.requestBody, writable: true };
    if (type === 1 && this.responseBody) return { buffer: this.responseBody, writable: true };
    return undefined;
  }

  /**
   * Built-in stream attributes first, then values stored with proxy_set_property, then the root's
   * plugin_* attributes. Envoy resolves known attributes before its `wasm.<path>` filter state, so
   * a plugin cannot shadow `route_name` or `request.path` by setting them.
   */
  override property(path: readonly string[]): PropertyValue | undefined {
    return this.host.property(path) ?? this.#props?.get(path.join('.')) ?? this.#root.property(path);
  }

  override setProperty(path: readonly string[], value: Uint8Array): WasmResult {
    const key = path.join('.');
    this.props.set(key, value.slice());
    // Higress: wasm-go's WithRebuildAfterRequests / WithRebuildMaxMemBytes set this (older builds
    // use `wasm_rebuild`) and the proxy then gives the plugin a fresh VM.
    if ((key === 'wasm_need_rebuild' || key === 'wasm_rebuild') && utf8Decode(value) === 'true') this.vm.requestRebuild();
    this.host.propertySet?.(key, value);
    return WasmResult.Ok;
  }

  /** A stored property as text (access log helpers). */
  storedProperty(key: string): string | undefined {
    const v = this.#props?.get(key);
    return v === undefined ? undefined : utf8Decode(v);
  }

  #ensureCreated(): void {
    if (this.#created) return;
    if (this.phase === 'deleted') throw new WasmgateError('WG_VM_CONTEXT', `context ${this.id} was already deleted`);
    this.#created = true;
    this.#root.streams.set(this.id, true);
    this.vm.call(this, 'proxy_on_context_create', [this.id, this.#root.id]);
  }

  get created(): boolean {
    return this.#created;
  }

  /** proxy_send_local_response was called for this stream (see #replyInCallback). */
  noteLocalReply(): void {
    this.localReplySent = true;
    this.#replyInCallback = true;
  }

  /**
   * Runs a stream callback and returns its result; afterwards `#forced` says whether a local reply
   * was sent during this very callback (read it before the next callback).
   */
  #invoke(name: string, args: (number | bigint)[]): number {
    this.#ensureCreated();
    // Callbacks nest (the local reply's response callbacks run before the sender's call returns),
    // so each call starts with a clear flag and the caller's flag is restored afterwards.
    const outer = this.#replyInCallback;
    this.#replyInCallback = false;
    try {
      const result = this.vm.call(this, name, args) ?? 0;
      this.#forced = this.#replyInCallback;
      return result;
    } finally {
      this.#replyInCallback = outer;
    }
  }

  /** Set by #invoke: the callback that just returned sent a local reply. */
  #forced = false;

  /** Returns the normalised FilterHeadersStatus (Envoy/cpp-host conversion, Higress 0.2.100 rule). */
  onRequestHeaders(count: number, endOfStream: boolean): number {
    this.phase = 'request';
    return this.#headersStatus(this.#invoke('proxy_on_request_headers', [this.id, count, endOfStream ? 1 : 0]));
  }

  onRequestBody(size: number, endOfStream: boolean): number {
    return this.#bodyStatus(this.#invoke('proxy_on_request_body', [this.id, size, endOfStream ? 1 : 0]));
  }

  onRequestTrailers(count: number): number {
    return this.#trailersStatus(this.#invoke('proxy_on_request_trailers', [this.id, count]));
  }

  onResponseHeaders(count: number, endOfStream: boolean): number {
    this.phase = 'response';
    return this.#headersStatus(this.#invoke('proxy_on_response_headers', [this.id, count, endOfStream ? 1 : 0]));
  }

  onResponseBody(size: number, endOfStream: boolean): number {
    return this.#bodyStatus(this.#invoke('proxy_on_response_body', [this.id, size, endOfStream ? 1 : 0]));
  }

  onResponseTrailers(count: number): number {
    return this.#trailersStatus(this.#invoke('proxy_on_response_trailers', [this.id, count]));
  }

  /**
   * End of stream: proxy_on_log, proxy_on_done, proxy_on_delete (Envoy's HTTP order). Contexts
   * never created in the guest get nothing (Go panics on on_delete for an unknown id).
   */
  finish(): void {
    if (this.phase === 'deleted') return;
    if (!this.#created) {
      this.release();
      return;
    }
    try {
      this.phase = 'log';
      this.requestHeadersWritable = this.requestTrailersWritable = false;
      this.responseHeadersWritable = this.responseTrailersWritable = false;
      this.vm.call(this, 'proxy_on_log', [this.id]);
      this.phase = 'done';
      this.vm.call(this, 'proxy_on_done', [this.id]);
      this.vm.call(this, 'proxy_on_delete', [this.id]);
    } finally {
      this.phase = 'deleted';
      this.#root.streams.delete(this.id);
      this.vm.releaseContext(this.id);
    }
  }

  /** Forgets the context without calling the guest (never created there, or its VM failed). */
  release(): void {
    if (this.phase === 'deleted') return;
    this.phase = 'deleted';
    this.#root.streams.delete(this.id);
    this.vm.releaseContext(this.id);
  }

  #headersStatus(r: number): number {
    if (this.#forced) return FilterHeadersStatus.StopAllIterationAndWatermark;
    r >>>= 0;
    if (r === FilterHeadersStatus.ContinueAndEndStream) return FilterHeadersStatus.Continue;
    if (r === FilterHeadersStatus.StopIteration && this.vm.abi !== AbiVersion.v0_2_100) return FilterHeadersStatus.StopAllIterationAndWatermark;
    return r > 4 ? FilterHeadersStatus.StopAllIterationAndWatermark : r;
  }

  #bodyStatus(r: number): number {
    if (this.#forced) return 3;
    r >>>= 0;
    return r > 3 ? 3 : r;
  }

  #trailersStatus(r: number): number {
    if (this.#forced) return 1;
    return (r >>> 0) > 1 ? 1 : r >>> 0;
  }
}
