/**
 * Running real plugins through the host's filter chain (HttpStream) with a sink that records what
 * reaches upstream and downstream.
 */
import {
  HeaderMap,
  HttpStream,
  type ChainFilter,
  type FailStrategy,
  type HeaderPair,
  type LocalReply,
  type PluginVm,
  type RootContext,
  type StreamOptions,
  type StreamSink,
  type WasmgateError,
} from '@wasmgate/host';

const dec = new TextDecoder();

/** Everything that left the chain, in order. */
export class RecordingSink implements StreamSink {
  readonly events: string[] = [];
  upstreamHeaders: HeaderMap | undefined;
  upstreamBody = '';
  upstreamEnded = false;
  upstreamTrailers: HeaderMap | undefined;
  downstreamHeaders: HeaderMap | undefined;
  downstreamBody = '';
  downstreamEnded = false;
  downstreamTrailers: HeaderMap | undefined;
  aborted = false;
  resetReason: string | undefined;
  readonly pauses: string[] = [];

  requestHeaders(h: HeaderMap, eos: boolean): void {
    this.events.push(`up:headers${eos ? ':eos' : ''}`);
    this.upstreamHeaders = h;
    if (eos) this.upstreamEnded = true;
  }
  requestData(d: Uint8Array, eos: boolean): void {
    this.events.push(`up:data(${d.length})${eos ? ':eos' : ''}`);
    this.upstreamBody += dec.decode(d);
    if (eos) this.upstreamEnded = true;
  }
  requestTrailers(t: HeaderMap): void {
    this.events.push('up:trailers');
    this.upstreamTrailers = t;
    this.upstreamEnded = true;
  }
  responseHeaders(h: HeaderMap, eos: boolean): void {
    this.events.push(`down:headers${eos ? ':eos' : ''}`);
    this.downstreamHeaders = h;
    if (eos) this.downstreamEnded = true;
  }
  responseData(d: Uint8Array, eos: boolean): void {
    this.events.push(`down:data(${d.length})${eos ? ':eos' : ''}`);
    this.downstreamBody += dec.decode(d);
    if (eos) this.downstreamEnded = true;
  }
  responseTrailers(t: HeaderMap): void {
    this.events.push('down:trailers');
    this.downstreamTrailers = t;
    this.downstreamEnded = true;
  }
  abortUpstream(): void {
    this.events.push('up:abort');
    this.aborted = true;
  }
  reset(reason: string): void {
    this.events.push(`reset:${reason}`);
    this.resetReason = reason;
  }
  pause(direction: 'request' | 'response', paused: boolean): void {
    this.pauses.push(`${direction}:${paused ? 'pause' : 'resume'}`);
  }
}

export interface StreamRun {
  readonly stream: HttpStream;
  readonly sink: RecordingSink;
  readonly localReplies: LocalReply[];
  readonly filterErrors: WasmgateError[];
  readonly propertySets: { key: string; value: string }[];
}

/** A filter entry for a loaded plugin. */
export function filter(vm: PluginVm, root: RootContext, name = root.pluginName, failStrategy: FailStrategy = 'FAIL_CLOSE'): ChainFilter {
  return { name, vm, root, failStrategy };
}

/** A stream over `filters` with a recording sink; `props` answers stream properties by dotted path. */
export function openStream(filters: ChainFilter[], opts: StreamOptions & { props?: Record<string, string | bigint> } = {}): StreamRun {
  const sink = new RecordingSink();
  const localReplies: LocalReply[] = [];
  const filterErrors: WasmgateError[] = [];
  const propertySets: { key: string; value: string }[] = [];
  const props = opts.props ?? {};
  const stream = new HttpStream(filters, sink, {
    property: (path) => props[path.join('.')],
    ...opts,
    onLocalReply: (r, f) => {
      localReplies.push(r);
      opts.onLocalReply?.(r, f);
    },
    onFilterError: (f, e) => {
      filterErrors.push(e);
      opts.onFilterError?.(f, e);
    },
    propertySet: (key, value) => {
      propertySets.push({ key, value: dec.decode(value) });
      opts.propertySet?.(key, value);
    },
  });
  return { stream, sink, localReplies, filterErrors, propertySets };
}

/** Request headers with the usual pseudo-headers. */
export function requestHeaders(extra: HeaderPair[] = [], path = '/', method = 'GET', authority = 'example.com'): HeaderMap {
  return new HeaderMap([[':method', method], [':path', path], [':authority', authority], [':scheme', 'http'], ...extra]);
}

export function responseHeaders(status = 200, extra: HeaderPair[] = []): HeaderMap {
  return new HeaderMap([[':status', String(status)], ...extra]);
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
