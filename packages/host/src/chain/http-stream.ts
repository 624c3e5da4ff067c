/**
 * HttpStream: one request/response exchange through an ordered chain of Wasm plugins (Envoy's
 * filter manager, without sockets). The embedder feeds it what arrives from downstream and
 * upstream; it calls each plugin in order (request: first → last, response: last → first) and hands
 * what passed every plugin to the sink. Local replies run through the response path, failures
 * follow each plugin's failStrategy, and finish() runs log → done → delete on every context.
 */
import type { HeaderPair } from '../abi/pairs.js';
import { utf8Encode } from '../abi/utf8.js';
import type { BodyBuffer } from '../context/body-buffer.js';
import { HeaderMap } from '../context/header-map.js';
import type { HttpContext, HttpStreamHost, LocalReply } from '../context/http-context.js';
import { WasmgateError } from '../errors.js';
import { resolveAttribute, type AttributeSource } from '../attributes/resolve.js';
import { upstreamFailure, type UpstreamFailureKind } from '../attributes/upstream-failure.js';
import type { PropertyValue } from '../properties.js';
import type { PluginVm } from '../vm.js';
import { Call, dispatchCallback, PHASES } from './dispatch.js';
import { Direction, type DirectionOps } from './direction.js';
import { StreamRecord } from './stream-record.js';
import { ERROR_CODE_HEADER, type ChainFilter, type StreamOptions, type StreamSink } from './types.js';
import { nextWatchId, unwatchVm, watchVm, type VmWatcher } from './vm-watch.js';

const DEFAULT_LIMIT = 1024 * 1024;

export class HttpStream {
  readonly filters: readonly ChainFilter[];
  readonly #sink: StreamSink;
  readonly #opts: StreamOptions;
  readonly #contexts: (HttpContext | undefined)[];
  readonly #skipped: boolean[];
  readonly request: Direction;
  readonly response: Direction;
  #requestStopped = false;
  #responseStopped = false;
  #localReply: LocalReply | undefined;
  #finished = false;
  #reset: string | undefined;
  requestBufferLimit: number;
  responseBufferLimit: number;
  /** Facts for the built-in attributes that only the chain sees. */
  readonly #record = new StreamRecord();
  /** The attribute resolver's view of #record, made when a plugin first reads a property. */
  #attributes: AttributeSource | undefined;

  constructor(filters: readonly ChainFilter[], sink: StreamSink, opts: StreamOptions = {}) {
    this.filters = filters;
    this.#sink = sink;
    this.#opts = opts;
    this.#contexts = filters.map(() => undefined);
    this.#skipped = filters.map(() => false);
    this.requestBufferLimit = opts.requestBufferLimit ?? DEFAULT_LIMIT;
    this.responseBufferLimit = opts.responseBufferLimit ?? DEFAULT_LIMIT;
    // The directions' operations and each context's host are small objects holding this stream,
    // not closures: a stream is made per request, and a dozen closures each cost more than one object.
    this.request = new Direction(new HttpStream.#RequestOps(this));
    this.response = new Direction(new HttpStream.#ResponseOps(this, 0, undefined));
    for (let i = 0; i < filters.length; i++) {
      const vm = filters[i]!.vm;
      let seen = false;
      for (let j = 0; j < i && !seen; j++) seen = filters[j]!.vm === vm;
      if (!seen) watchVm(vm, this.#watcher);
    }
  }

  readonly #watcher: VmWatcher = { watchId: nextWatchId(), vmFailed: (vm) => this.#vmFailed(vm) };

  /**
   * A VM of this chain failed while running another stream. A filter of that VM holding this
   * stream would never resume it (its callout answers are dropped), so its failStrategy applies
   * now: FAIL_OPEN continues past it, FAIL_CLOSE answers 503 WG_VM_FAILED.
   */
  #vmFailed(vm: PluginVm): void {
    const response = this.#runningResponse();
    const held: [Direction, number, number][] = [];
    for (const pos of this.request.heldPositions) held.push([this.request, pos, pos]);
    for (const pos of response.direction.heldPositions) held.push([response.direction, pos, this.#responseSlot(pos, response.start)]);
    for (const [direction, pos, index] of held) {
      const f = this.filters[index]!;
      if (this.#finished || this.#reset || f.vm !== vm || this.#skipped[index]) continue;
      this.#skipped[index] = true;
      if (vm.failure) this.#opts.onFilterError?.(f, vm.failure);
      if (f.failStrategy === 'FAIL_OPEN') direction.continueFrom(pos);
      else this.sendLocalReply(this.#failReply(f, 'WG_VM_FAILED'), undefined, f);
    }
  }

  #failReply(f: ChainFilter, code: string): LocalReply {
    // A limit the operator set is worth naming to the client (which plugin, which limit); other
    // failures say only that the plugin failed — the details (plugin logs, traps) go to the log.
    const limit = (code === 'WG_VM_DEADLINE' || code === 'WG_VM_MEMORY_LIMIT') && f.vm.failure?.code === code;
    const text = limit ? f.vm.failure!.message : `plugin ${f.name} failed`;
    return { status: 503, details: 'wasm_fail_stream', body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, code]], grpcStatus: undefined };
  }

  #unwatch(): void {
    for (const f of this.filters) unwatchVm(f.vm, this.#watcher);
  }

  // ---- input from downstream ---------------------------------------------------------------------
  requestHeaders(map: HeaderMap, eos: boolean): void {
    this.#record.requestHeaders = map;
    this.request.onHeaders(map, eos);
  }
  requestData(chunk: Uint8Array, eos: boolean): void {
    this.#record.requestBytes += chunk.length;
    this.request.onData(chunk, eos);
  }
  requestTrailers(map: HeaderMap): void {
    this.#record.requestTrailers = map;
    this.request.onTrailers(map);
  }

  // ---- input from upstream ------------------------------------------------------------------------
  responseHeaders(map: HeaderMap, eos: boolean): void {
    if (this.#localReply) return;
    this.#record.codeDetails ||= 'via_upstream';
    this.#record.responseHeaders = map;
    const code = Number(map.get(':status'));
    if (Number.isInteger(code)) this.#record.responseCode = code;
    this.response.onHeaders(map, eos);
  }
  responseData(chunk: Uint8Array, eos: boolean): void {
    if (this.#localReply) return;
    this.response.onData(chunk, eos);
  }
  responseTrailers(map: HeaderMap): void {
    if (this.#localReply) return;
    this.#record.responseTrailers = map;
    this.response.onTrailers(map);
  }

  /** The local reply that answered this stream, if any. */
  /** Envoy's response code details (`via_upstream`, a local reply's details, an upstream failure …). */
  get responseCodeDetails(): string {
    return this.#record.codeDetails;
  }

  set responseCodeDetails(details: string) {
    this.#record.codeDetails = details;
  }

  /** Envoy response flags (attributes/facts.ts ResponseFlag bits); the embedder adds its own. */
  get responseFlags(): number {
    return this.#record.flags;
  }

  set responseFlags(flags: number) {
    this.#record.flags = flags;
  }

  get localReply(): LocalReply | undefined {
    return this.#localReply;
  }

  /** Why the stream was reset, if it was. */
  get resetReason(): string | undefined {
    return this.#reset;
  }

  /** The contexts created so far, in filter order (undefined where a filter was never invoked). */
  get contexts(): readonly (HttpContext | undefined)[] {
    return this.#contexts;
  }

  /**
   * Answers the stream locally (a plugin's proxy_send_local_response, or the embedder's own error
   * such as 503 upstream unavailable): the request side stops, and the reply runs through the
   * response filters. After the response started downstream, a reset is all that is left.
   */
  sendLocalReply(reply: LocalReply, from?: { direction: 'request' | 'response'; pos: number }, filter?: ChainFilter): void {
    if (this.#finished || this.#reset) return;
    this.#opts.onLocalReply?.(reply, filter);
    this.#requestStopped = true;
    this.request.abandon();
    this.#sink.abortUpstream();
    if (this.#responseStarted) {
      this.#doReset(`local reply ${reply.status} after the response started`);
      return;
    }
    this.#localReply = reply;
    this.#record.codeDetails = reply.details || 'local_reply';
    const headers = new HeaderMap([[':status', String(reply.status)]]);
    for (const [k, v] of reply.headers) if (k !== ':status') headers.add(k, v);
    if (reply.body.length > 0 && !headers.has('content-type')) headers.add('content-type', 'text/plain');
    headers.set('content-length', String(reply.body.length));
    this.#record.responseHeaders = headers;
    this.#record.responseTrailers = undefined;
    this.#record.responseCode = reply.status;
    // A reply sent from the response path continues from the filters after the sender only.
    const start = from?.direction === 'response' ? from.pos + 1 : 0;
    this.#localStart = start;
    // Stop the upstream response path and any earlier local reply still running.
    this.#responseStopped = true;
    this.response.abandon();
    if (this.#localStop) this.#localStop.stopped = true;
    const stop = { stopped: false };
    this.#localStop = stop;
    const direction = new Direction(new HttpStream.#ResponseOps(this, start, stop));
    this.#activeResponse = direction;
    direction.onHeaders(headers, reply.body.length === 0);
    if (reply.body.length > 0) direction.onData(reply.body, true);
  }

  #localStop: { stopped: boolean } | undefined;
  #activeResponse: Direction | undefined;
  #responseStarted = false;

  /** True once response headers went downstream (after that, only a reset can end the stream). */
  get responseStarted(): boolean {
    return this.#responseStarted;
  }

  /** The request path over every filter, in order. */
  static readonly #RequestOps = class RequestOps implements DirectionOps {
    readonly count: number;
    readonly #s: HttpStream;

    constructor(s: HttpStream) {
      this.#s = s;
      this.count = s.filters.length;
    }

    headers(pos: number, map: HeaderMap, eos: boolean): number | undefined {
      return this.#s.#invoke(pos, Call.RequestHeaders, map, eos);
    }

    data(pos: number, body: BodyBuffer): number | undefined {
      return this.#s.#invoke(pos, Call.RequestBody, body, false);
    }

    trailers(pos: number, map: HeaderMap): number | undefined {
      return this.#s.#invoke(pos, Call.RequestTrailers, map, false);
    }

    sinkHeaders(map: HeaderMap, eos: boolean): void {
      // Headers stay writable (by any plugin, e.g. from a callout answer) until they leave.
      for (const c of this.#s.#contexts) if (c) c.requestHeadersWritable = false;
      this.#s.#sink.requestHeaders(map, eos);
    }

    sinkData(d: Uint8Array, eos: boolean): void {
      // Data that left the chain is no longer any filter's to edit.
      for (const c of this.#s.#contexts) if (c) c.requestBody = undefined;
      this.#s.#sink.requestData(d, eos);
    }

    sinkTrailers(m: HeaderMap): void {
      // Like headers: writable while a filter holds them (Envoy keeps the map until Continue).
      for (const c of this.#s.#contexts) if (c) c.requestTrailersWritable = false;
      this.#s.#sink.requestTrailers(m);
    }

    stopped(): boolean {
      return this.#s.#requestStopped;
    }

    limit(): number {
      return this.#s.requestBufferLimit;
    }

    overLimit(): void {
      this.#s.#hostReply(413, 'request_payload_too_large', 'Payload Too Large');
    }

    pause(p: boolean): void {
      this.#s.#sink.pause?.('request', p);
    }
  };

  /**
   * The response path over filters [start, n) in reverse order (the last filter sees it first).
   * `stop` is a local reply's (stopped by a later local reply or a reset); without it, the
   * upstream response's, stopped with the stream's response side.
   */
  static readonly #ResponseOps = class ResponseOps implements DirectionOps {
    readonly count: number;
    readonly #s: HttpStream;
    readonly #last: number;
    readonly #stop: { stopped: boolean } | undefined;

    constructor(s: HttpStream, start: number, stop: { stopped: boolean } | undefined) {
      this.#s = s;
      const n = s.filters.length;
      this.count = n - start;
      this.#last = n - 1 - start;
      this.#stop = stop;
    }

    // Envoy's wasm filter answers Continue without calling the VM when its context was never
    // created, i.e. when an earlier filter answered locally before this one saw the request.
    headers(pos: number, map: HeaderMap, eos: boolean): number | undefined {
      const i = this.#last - pos;
      return this.#s.#contexts[i]?.created !== true ? undefined : this.#s.#invoke(i, Call.ResponseHeaders, map, eos);
    }

    data(pos: number, body: BodyBuffer): number | undefined {
      const i = this.#last - pos;
      return this.#s.#contexts[i]?.created !== true ? undefined : this.#s.#invoke(i, Call.ResponseBody, body, false);
    }

    trailers(pos: number, map: HeaderMap): number | undefined {
      const i = this.#last - pos;
      return this.#s.#contexts[i]?.created !== true ? undefined : this.#s.#invoke(i, Call.ResponseTrailers, map, false);
    }

    sinkHeaders(map: HeaderMap, eos: boolean): void {
      const s = this.#s;
      for (const c of s.#contexts) if (c) c.responseHeadersWritable = false;
      s.#responseStarted = true;
      // What the client gets is the stream's code (a plugin may have changed :status).
      const code = Number(map.get(':status'));
      if (Number.isInteger(code)) s.#record.responseCode = code;
      s.#sink.responseHeaders(map, eos);
    }

    sinkData(d: Uint8Array, eos: boolean): void {
      const s = this.#s;
      for (const c of s.#contexts) if (c) c.responseBody = undefined;
      s.#record.responseBytes += d.length;
      s.#sink.responseData(d, eos);
    }

    sinkTrailers(m: HeaderMap): void {
      const s = this.#s;
      for (const c of s.#contexts) if (c) c.responseTrailersWritable = false;
      s.#record.responseTrailers = m;
      s.#sink.responseTrailers(m);
    }

    stopped(): boolean {
      const stop = this.#stop;
      return stop ? stop.stopped || this.#s.#reset !== undefined : this.#s.#responseStopped;
    }

    limit(): number {
      return this.#s.responseBufferLimit;
    }

    overLimit(): void {
      this.#s.#hostReply(500, 'response_payload_too_large', 'Internal Server Error');
    }

    pause(p: boolean): void {
      this.#s.#sink.pause?.('response', p);
    }
  };

  /** proxy_close_stream, or a failure after the response started. */
  #doReset(reason: string): void {
    if (this.#reset) return;
    this.#reset = reason;
    this.#unwatch();
    this.#requestStopped = this.#responseStopped = true;
    if (this.#localStop) this.#localStop.stopped = true;
    this.request.abandon();
    this.response.abandon();
    this.#sink.reset(reason);
  }

  /** The embedder resets the stream (client went away, upstream reset mid-response). */
  reset(reason: string): void {
    this.#doReset(reason);
  }

  /**
   * The upstream failed. Before its response headers arrived, `reply` answers the client (Envoy's
   * 503/504 local reply) with Envoy's details; afterwards the stream is reset. Either way
   * `response.code_details` and `response.flags` say what happened (attributes/upstream-failure.ts).
   */
  upstreamFailed(kind: UpstreamFailureKind, reply: Omit<LocalReply, 'details'>): void {
    if (this.#finished || this.#reset || this.#localReply) return;
    const after = this.#record.responseHeaders !== undefined;
    const { details, flag } = upstreamFailure(kind, after);
    this.#record.flags |= flag;
    if (!after) {
      this.sendLocalReply({ ...reply, details });
      return;
    }
    this.#record.codeDetails = details;
    this.#doReset(`upstream ${kind.replace('_', ' ')}`);
  }

  #hostReply(status: number, details: string, text: string): void {
    this.sendLocalReply({ status, details, body: utf8Encode(text), headers: [], grpcStatus: undefined });
  }

  /** Runs one stream callback on context `c`, making its map or body visible to it first. */
  #context(pos: number): HttpContext {
    let c = this.#contexts[pos];
    if (!c) {
      const f = this.filters[pos]!;
      c = f.vm.createHttpContext(f.root, this.#hostFor(pos));
      this.#contexts[pos] = c;
    }
    return c;
  }

  /** Runs one callback of filter `pos`, applying its failStrategy when its VM fails. */
  #invoke(pos: number, call: Call, arg: HeaderMap | BodyBuffer, eos: boolean): number | undefined {
    if (this.#skipped[pos]) return undefined;
    const f = this.filters[pos]!;
    const failedBefore = f.vm.failure !== undefined;
    try {
      if (failedBefore) throw f.vm.failure;
      const timing = this.#opts.phaseTiming;
      if (!timing) return dispatchCallback(this.#context(pos), call, arg, eos);
      const c = this.#context(pos);
      const phase = PHASES[call]!;
      const start = timing.start(f, pos, phase);
      try {
        return dispatchCallback(c, call, arg, eos);
      } finally {
        timing.end(f, pos, phase, start);
      }
    } catch (e) {
      const err = e instanceof WasmgateError ? e : new WasmgateError('WG_VM_TRAP', String(e), { cause: e });
      this.#opts.onFilterError?.(f, err);
      this.#skipped[pos] = true;
      if (f.failStrategy === 'FAIL_OPEN') return undefined;
      this.sendLocalReply(this.#failReply(f, failedBefore ? 'WG_VM_FAILED' : err.code), undefined, f);
      return undefined;
    }
  }


  #localStart = 0;

  /** The response direction now running (a local reply's, or the upstream's) and where it starts. */
  #runningResponse(): { direction: Direction; start: number } {
    return this.#activeResponse ? { direction: this.#activeResponse, start: this.#localStart } : { direction: this.response, start: 0 };
  }

  /**
   * Filter index ↔ position in a response direction that starts at `start` (the response path
   * runs the filters in reverse; the mapping is its own inverse).
   */
  #responseSlot(i: number, start: number): number {
    return this.filters.length - 1 - i - start;
  }

  #posIn(direction: 'request' | 'response', filterIndex: number): number {
    return direction === 'request' ? filterIndex : this.filters.length - 1 - filterIndex;
  }

  #hostFor(index: number): HttpStreamHost {
    return new HttpStream.#FilterHost(this, index);
  }

  /** What the context of filter `index` asks of this stream. */
  static readonly #FilterHost = class FilterHost implements HttpStreamHost {
    readonly #s: HttpStream;
    readonly #index: number;

    constructor(s: HttpStream, index: number) {
      this.#s = s;
      this.#index = index;
    }

    property(path: readonly string[]): PropertyValue | undefined {
      return this.#s.property(path);
    }

    propertySet(key: string, value: Uint8Array): void {
      this.#s.#propertySet(key, value);
    }

    continueStream(_ctx: HttpContext, type: 0 | 1): void {
      const s = this.#s;
      if (type === 0) return s.request.continueFrom(this.#index);
      const response = s.#runningResponse();
      response.direction.continueFrom(s.#responseSlot(this.#index, response.start));
    }

    closeStream(): void {
      this.#s.#doReset('wasm_close_stream');
    }

    localReply(ctx: HttpContext, reply: LocalReply): void {
      const s = this.#s;
      const direction = ctx.phase === 'response' ? 'response' : 'request';
      s.sendLocalReply(reply, { direction, pos: s.#posIn(direction, this.#index) }, s.filters[this.#index]);
    }

    inject(ctx: HttpContext, data: Uint8Array, end: boolean): boolean {
      // Push bytes downstream from this filter: they continue through the filters after it.
      const s = this.#s;
      if (ctx.phase !== 'response' || s.#reset) return false;
      s.#record.responseBytes += data.length;
      s.#sink.responseData(data, end);
      return true;
    }

    injectOnHeader(_ctx: HttpContext, body: Uint8Array, end: boolean): boolean {
      const s = this.#s;
      if (s.#reset) return false;
      s.#record.responseBytes += body.length;
      s.#sink.responseData(body, end);
      return true;
    }

    setUpstreamOverrideHost(h: string): boolean {
      return this.#s.#opts.setUpstreamOverrideHost?.(h) ?? false;
    }

    upstreamHosts(): readonly HeaderPair[] | undefined {
      return this.#s.#opts.upstreamHosts?.();
    }
  };

  /**
   * A built-in property of this stream as every plugin of the chain reads it: the embedder's
   * overrides first (null = NotFound), then Envoy's attributes (attributes/resolve.ts).
   */
  property(path: readonly string[]): PropertyValue | undefined {
    const own = this.#opts.property?.(path);
    if (own !== undefined) return own ?? undefined;
    return resolveAttribute(path, (this.#attributes ??= this.#record.source(this.#opts.facts ?? {})));
  }

  #propertySet(key: string, value: Uint8Array): void {
    const text = () => new TextDecoder().decode(value);
    if (key === 'set_decoder_buffer_limit') {
      const n = Number(text());
      if (Number.isFinite(n) && n > 0) this.requestBufferLimit = n;
    } else if (key === 'set_encoder_buffer_limit') {
      const n = Number(text());
      if (Number.isFinite(n) && n > 0) this.responseBufferLimit = n;
    }
    this.#opts.propertySet?.(key, value);
  }

  /** Values every plugin stored with set_property under `key` (last writer wins), as text. */
  storedProperty(key: string): string | undefined {
    let v: string | undefined;
    for (const c of this.#contexts) v = c?.storedProperty(key) ?? v;
    return v;
  }

  /** End of the exchange: proxy_on_log, proxy_on_done, proxy_on_delete for each plugin. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // The request is complete before proxy_on_log runs (request.duration becomes readable).
    this.#record.completedNanos = this.#opts.facts?.nowNanos?.();
    this.#unwatch();
    this.#requestStopped = this.#responseStopped = true;
    for (let i = 0; i < this.#contexts.length; i++) {
      const c = this.#contexts[i];
      if (!c) continue;
      try {
        if (!this.filters[i]!.vm.failure) {
          const timing = this.#opts.phaseTiming;
          const start = timing?.start(this.filters[i]!, i, 'log');
          try {
            c.finish();
          } finally {
            if (timing) timing.end(this.filters[i]!, i, 'log', start!);
          }
        } else c.release();
      } catch (e) {
        if (e instanceof WasmgateError) this.#opts.onFilterError?.(this.filters[i]!, e);
      }
    }
  }
}
