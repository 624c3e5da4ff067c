/**
 * Types of the filter chain: what the embedder gives a stream (filters, sink, options).
 */
import type { HeaderPair } from '../abi/pairs.js';
import type { HeaderMap } from '../context/header-map.js';
import type { LocalReply } from '../context/http-context.js';
import type { RootContext } from '../context/root-context.js';
import type { WasmgateError } from '../errors.js';
import type { StreamFacts } from '../attributes/facts.js';
import type { PropertyValue } from '../properties.js';
import type { PluginVm } from '../vm.js';

export type FailStrategy = 'FAIL_CLOSE' | 'FAIL_OPEN';

/** One plugin in a chain, as it was when the stream started (reloads never change it mid-stream). */
export interface ChainFilter {
  readonly name: string;
  readonly vm: PluginVm;
  readonly root: RootContext;
  readonly failStrategy: FailStrategy;
}

/** Where the chain delivers what passed every filter. The gateway writes to sockets; the harness records. */
export interface StreamSink {
  requestHeaders(headers: HeaderMap, endStream: boolean): void;
  requestData(data: Uint8Array, endStream: boolean): void;
  requestTrailers(trailers: HeaderMap): void;
  responseHeaders(headers: HeaderMap, endStream: boolean): void;
  responseData(data: Uint8Array, endStream: boolean): void;
  responseTrailers(trailers: HeaderMap): void;
  /** A local reply replaced the upstream exchange: stop sending to (or reading from) the upstream. */
  abortUpstream(): void;
  /** The stream must be reset (proxy_close_stream, or a failure after the response started). */
  reset(reason: string): void;
  /** Back-pressure for watermark buffering: stop/start reading that side. Optional. */
  pause?(direction: 'request' | 'response', paused: boolean): void;
}

export interface StreamOptions {
  /**
   * Overrides ahead of the built-in attributes (the harness's per-test properties): a value wins,
   * null makes the property NotFound, undefined falls through to the resolver.
   */
  property?(path: readonly string[]): PropertyValue | null | undefined;
  /** The embedder's raw facts for the built-in attributes (attributes/facts.ts). */
  facts?: StreamFacts;
  /** Side effects of proxy_set_property, after the value was stored. */
  propertySet?(key: string, value: Uint8Array): void;
  /** Envoy's per-stream buffer limits (bytes); defaults 1 MiB each. */
  requestBufferLimit?: number;
  responseBufferLimit?: number;
  /** Higress upstream host hooks. */
  upstreamHosts?(): readonly HeaderPair[] | undefined;
  setUpstreamOverrideHost?(host: string): boolean;
  /** Told when a plugin's VM failed during this stream (the gateway recreates it). */
  onFilterError?(filter: ChainFilter, error: WasmgateError): void;
  /** Every local reply (plugin or host), for access logs and the harness. */
  onLocalReply?(reply: LocalReply, filter: ChainFilter | undefined): void;
  /**
   * Time spent inside each plugin callback, for metrics and tracing. The host reads no clock: the
   * embedder's `start` (which reads HostPorts.monotonicNanos or the like) runs right before each
   * guest callback of a filter and `end` right after, with what `start` returned. Absent = nothing
   * measured, no cost.
   */
  phaseTiming?: PhaseTiming;
}

/** The plugin callbacks a stream times (`log` = proxy_on_log with done and delete). */
export type FilterPhase = 'request_headers' | 'request_body' | 'request_trailers' | 'response_headers' | 'response_body' | 'response_trailers' | 'log';

export interface PhaseTiming {
  /** A guest callback of `filter` (index `index` in the chain) starts; returns its start time (ns). */
  start(filter: ChainFilter, index: number, phase: FilterPhase): bigint;
  /** That callback returned or threw. */
  end(filter: ChainFilter, index: number, phase: FilterPhase, start: bigint): void;
}

/** The header name carrying the WG_* code on replies the gateway makes because a plugin failed. */
export const ERROR_CODE_HEADER = 'x-wasmgate-error';
