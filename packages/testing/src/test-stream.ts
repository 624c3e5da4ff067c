/**
 * TestStream: one HTTP exchange driven step by step through the plugin chain (the host's
 * HttpStream, Envoy's filter manager without sockets). Each step returns what the plugin decided;
 * `upstream` and `downstream` show what passed, as the upstream server and the client would see it.
 * @module
 */
import { HttpStream, WasmgateError, utf8Encode, type ChainFilter, type HeaderMap, type LocalReply, type PropertyValue, type UpstreamFailureKind } from '@wasmgate/host';
import { recordingFilter, type CallbackName, type CallbackRecord } from './callback-recorder.js';
import { propertyText, toBytes, toPairs, type BodyInput, type HeadersInput, type PropertyInput } from './input.js';
import type { LogEntry } from './recorded-log.js';
import { harnessFacts, propertyLayer, streamOverrideFn, type PropertyLayer } from './stream-properties.js';
import { StreamRecord, type DownstreamView, type UpstreamView } from './stream-record.js';
import type { VirtualClock } from './virtual-clock.js';

/** Options of {@link TestPlugin.stream}. */
export interface TestStreamOptions {
  /** Properties for this stream only (route_name, source.address …), over loadPlugin's. */
  readonly properties?: Readonly<Record<string, PropertyInput>>;
}

/**
 * Where the stream stands after a step:
 * - `continue`: what was fed passed every plugin (see `upstream` / `downstream`);
 * - `pause`: a plugin holds it (it stopped iteration, or is waiting for a callout);
 * - `local-reply`: the stream was answered locally (see `localReply`, `downstream`);
 * - `reset`: the stream was reset (proxy_close_stream, or a failure after the response started).
 */
export type StepAction = 'continue' | 'pause' | 'local-reply' | 'reset';

/** The result of one step (requestHeaders, requestBody …). */
export interface StepResult {
  readonly action: StepAction;
  /**
   * What the plugin under test returned from this step's callback, normalised by the host
   * (compare with FilterHeadersStatus / FilterDataStatus / FilterTrailersStatus); undefined when
   * the callback did not run (input buffered under stop-all, ignored after a local reply, or
   * stopped by an earlier chain plugin).
   */
  readonly status: number | undefined;
  /** Every callback any chain plugin ran during the step, response path of a local reply included. */
  readonly calls: readonly CallbackRecord[];
  /** The VM failure this step ran into (a trap: WG_VM_TRAP with the panic text in `details`). */
  readonly error: WasmgateError | undefined;
}

/** Options of a headers or body step. */
export interface SideOptions {
  /** No more data follows on this side (default false). */
  readonly endStream?: boolean;
}

/** @internal What a stream needs from its plugin. */
export interface StreamEnv {
  readonly filters: readonly ChainFilter[];
  readonly mainIndex: number;
  readonly properties: PropertyLayer;
  readonly clock: VirtualClock;
  logsFor(contextIds: ReadonlySet<number>): LogEntry[];
  assertOpen(): void;
  bump(): void;
  settle(): Promise<void>;
  throwUnexpected(): void;
  finished(s: TestStream): void;
  /** A fresh downstream connection id for a new stream. */
  nextConnectionId(): bigint;
}

type SideState = 'idle' | 'open' | 'ended';

/**
 * One request/response exchange. Create it with `plugin.stream()`.
 * @example
 * const s = plugin.stream({ properties: { route_name: 'default/foo' } });
 * const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'example.com' }, { endStream: true });
 * assert.equal(r.action, 'local-reply');
 * assert.equal(s.downstream.body, 'hello foo');
 * s.end();
 */
export class TestStream {
  readonly #env: StreamEnv;
  readonly #http: HttpStream;
  readonly #record: StreamRecord;
  readonly #calls: CallbackRecord[] = [];
  readonly #errors: WasmgateError[] = [];
  #request: SideState = 'idle';
  #response: SideState = 'idle';
  #ended = false;
  #failedAtStart = new Set<unknown>();

  /** @internal */
  constructor(env: StreamEnv, opts: TestStreamOptions = {}) {
    this.#env = env;
    this.#record = new StreamRecord(() => env.bump());
    const filters = env.filters.map((f, i) => recordingFilter(f, i, (r) => this.#calls.push(r)));
    const layer = propertyLayer(opts.properties);
    const facts = harnessFacts(layer, env.properties, {
      startNanos: env.clock.nowNanos(),
      nowNanos: () => env.clock.nowNanos(),
      connectionId: env.nextConnectionId(),
      upstreamChosen: () => this.#record.upstream.headers !== undefined,
    });
    this.#http = new HttpStream(filters, this.#record.sink, {
      property: streamOverrideFn(layer, env.properties),
      facts,
      onFilterError: (f, e) => this.#errors.push(this.#failedAtStart.has(e) ? stickyFailure(f, e) : e),
    });
  }

  // ---- request side (what the client sends) ---------------------------------------------------

  /** Request headers from the client (pseudo-headers included: `:method`, `:path`, `:authority` …). */
  requestHeaders(headers: HeadersInput, opts: SideOptions = {}): StepResult {
    this.#request = this.#advance('request', this.#request, 'headers', opts.endStream);
    return this.#step('request_headers', () => {
      this.#http.requestHeaders(this.#record.input(toPairs(headers)), opts.endStream ?? false);
    });
  }

  /** One request body chunk; `endStream` marks the last one. */
  requestBody(chunk: BodyInput, opts: SideOptions = {}): StepResult {
    this.#request = this.#advance('request', this.#request, 'body', opts.endStream);
    return this.#step('request_body', () => this.#http.requestData(toBytes(chunk), opts.endStream ?? false));
  }

  /** Request trailers (ends the request). */
  requestTrailers(trailers: HeadersInput): StepResult {
    this.#request = this.#advance('request', this.#request, 'trailers', true);
    return this.#step('request_trailers', () => this.#http.requestTrailers(this.#record.input(toPairs(trailers))));
  }

  /** A whole request: headers, then the body (one chunk, or one per array item), then trailers. */
  request(headers: HeadersInput, opts: { body?: BodyInput | readonly BodyInput[]; trailers?: HeadersInput } = {}): StepResult[] {
    return this.#whole(opts, (eos) => this.requestHeaders(headers, { endStream: eos }),
      (c, eos) => this.requestBody(c, { endStream: eos }), (t) => this.requestTrailers(t));
  }

  // ---- response side (what the upstream answers) ------------------------------------------------

  /** Response headers from the upstream (`:status` included). */
  responseHeaders(headers: HeadersInput, opts: SideOptions = {}): StepResult {
    this.#response = this.#advance('response', this.#response, 'headers', opts.endStream);
    return this.#step('response_headers', () => {
      this.#http.responseHeaders(this.#record.input(toPairs(headers)), opts.endStream ?? false);
    });
  }

  responseBody(chunk: BodyInput, opts: SideOptions = {}): StepResult {
    this.#response = this.#advance('response', this.#response, 'body', opts.endStream);
    return this.#step('response_body', () => this.#http.responseData(toBytes(chunk), opts.endStream ?? false));
  }

  responseTrailers(trailers: HeadersInput): StepResult {
    this.#response = this.#advance('response', this.#response, 'trailers', true);
    return this.#step('response_trailers', () => this.#http.responseTrailers(this.#record.input(toPairs(trailers))));
  }

  /**
   * The upstream fails, as the gateway reports it: before its response headers, the client gets
   * Envoy's local reply (503, or 504 for `timeout`) and `response.code_details` reads
   * `upstream_reset_before_response_started{<kind>}`; after them, the stream is reset and the
   * details read `upstream_reset_after_response_started{<kind>}` (`upstream_response_timeout` for
   * a timeout). `response.flags` gets Envoy's flag (UF, UC, UR or UT). Default kind: `remote_reset`
   * after the response headers, `connection_termination` before.
   */
  upstreamReset(kind?: UpstreamFailureKind): StepResult {
    this.#env.assertOpen();
    if (this.#ended) throw orderError('upstream reset after end()');
    if (this.#request === 'idle') throw orderError('upstream reset before the request headers');
    const after = this.#response !== 'idle';
    const k = kind ?? (after ? 'remote_reset' : 'connection_termination');
    this.#response = 'ended';
    return this.#step('response_headers', () => {
      const timeout = k === 'timeout';
      const text = timeout ? 'upstream request timeout\n' : 'upstream connect error or disconnect/reset before headers\n';
      this.#http.upstreamFailed(k, { status: timeout ? 504 : 503, body: utf8Encode(text), headers: [], grpcStatus: undefined });
    });
  }

  /** A whole upstream response: `:status` plus headers, the body (chunks as an array), trailers. */
  respond(status: number, opts: { headers?: HeadersInput; body?: BodyInput | readonly BodyInput[]; trailers?: HeadersInput } = {}): StepResult[] {
    const headers = [[':status', String(status)] as [string, string], ...toPairs(opts.headers).filter(([k]) => k !== ':status')];
    return this.#whole(opts, (eos) => this.responseHeaders(headers, { endStream: eos }),
      (c, eos) => this.responseBody(c, { endStream: eos }), (t) => this.responseTrailers(t));
  }

  // ---- what came out ----------------------------------------------------------------------------

  /** What the upstream server received (headers undefined until they passed every plugin). */
  get upstream(): UpstreamView {
    return this.#record.upstream;
  }

  /** What the client received: the upstream response as the plugins changed it, or a local reply. */
  get downstream(): DownstreamView {
    return this.#record.downstream;
  }

  /** The local reply that answered this stream (a plugin's proxy_send_local_response, or a 503 for a failed plugin). */
  get localReply(): LocalReply | undefined {
    return this.#http.localReply;
  }

  /** Why the stream was reset, if it was. */
  get resetReason(): string | undefined {
    return this.#record.resetReason;
  }

  /** Id of the plugin's HTTP context (undefined until its first callback). */
  get contextId(): number | undefined {
    return this.#http.contexts[this.#env.mainIndex]?.id;
  }

  /** Log lines the plugins wrote while running for this stream (including proxy_on_done's). */
  get logs(): LogEntry[] {
    const ids = new Set(this.#http.contexts.flatMap((c) => (c ? [c.id] : [])));
    return this.#env.logsFor(ids);
  }

  /** Every VM failure met by this stream. */
  get errors(): readonly WasmgateError[] {
    return this.#errors;
  }

  /** Every callback run so far, in order. */
  get calls(): readonly CallbackRecord[] {
    return this.#calls;
  }

  /**
   * A property as the plugin would read it, as text, in the host's (Envoy's) order: the stream's
   * built-in attributes, then values a plugin stored with proxy_set_property (e.g. `x_request_id`),
   * then the root's plugin_* attributes.
   */
  property(path: string): string | undefined {
    // Either form a plugin sends: `response.code_details` or `response\0code_details`.
    const segments = path.includes('\0') ? path.split('\0') : [path];
    const builtin = this.#http.property(segments);
    if (builtin !== undefined) return propertyText(builtin);
    const stored = this.#http.storedProperty(segments.join('.'));
    if (stored !== undefined) return stored;
    const v = this.#env.filters[this.#env.mainIndex]?.root.property(segments);
    return v === undefined ? undefined : propertyText(v);
  }

  /** Lets pending callout answers reach the plugin (promise callbacks only; never a real sleep). */
  settle(): Promise<void> {
    return this.#env.settle();
  }

  /**
   * Ends the exchange: proxy_on_log, proxy_on_done and proxy_on_delete for every plugin. Throws
   * WG_HARNESS_UNMATCHED_HTTP_CALL / _REDIS_CALL if the plugin made a call nobody scripted.
   */
  end(): void {
    this.#env.assertOpen();
    if (this.#ended) throw orderError('end() was already called');
    this.#ended = true;
    this.#http.finish();
    this.#env.finished(this);
    this.#env.throwUnexpected();
  }

  /** @internal plugin.close() ends what the test left open, without throwing. */
  abandon(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.#http.finish();
    } catch {
      // the plugin is being closed; its failure was recorded already
    }
  }

  // ---- mechanics --------------------------------------------------------------------------------

  #step(callback: CallbackName, run: () => void): StepResult {
    this.#env.assertOpen();
    const from = this.#calls.length;
    const errorsFrom = this.#errors.length;
    this.#failedAtStart = new Set(this.#env.filters.map((f) => f.vm.failure).filter((e) => e !== undefined));
    // After a reset nothing reaches the plugins any more (the host's chain would still start a
    // fresh response direction), so late input is dropped here.
    if (this.#record.resetReason === undefined) run();
    const calls = this.#calls.slice(from);
    const status = calls.filter((c) => c.filter === this.#env.mainIndex && c.callback === callback).at(-1)?.status;
    const side = callback.startsWith('request') ? this.#http.request : this.#http.response;
    const action: StepAction = this.#record.resetReason !== undefined ? 'reset'
      : this.#http.localReply ? 'local-reply'
      : side.held ? 'pause' : 'continue';
    return { action, status, calls, error: this.#errors.slice(errorsFrom).at(-1) };
  }

  /** Checks the script's order for one side and returns the side's next state. */
  #advance(side: 'request' | 'response', state: SideState, what: 'headers' | 'body' | 'trailers', eos: boolean | undefined): SideState {
    this.#env.assertOpen();
    if (this.#ended) throw orderError(`${side} ${what} after end()`);
    if (side === 'response' && this.#request === 'idle') throw orderError('response before the request headers');
    if (what === 'headers' && state !== 'idle') throw orderError(`${side} headers sent twice`);
    if (what !== 'headers' && state === 'idle') throw orderError(`${side} ${what} before the ${side} headers`);
    if (what !== 'headers' && state === 'ended') throw orderError(`${side} ${what} after the ${side} ended (endStream or trailers)`);
    return what === 'trailers' || eos ? 'ended' : 'open';
  }

  #whole(
    opts: { body?: BodyInput | readonly BodyInput[]; trailers?: HeadersInput },
    headers: (eos: boolean) => StepResult, body: (c: BodyInput, eos: boolean) => StepResult, trailers: (t: HeadersInput) => StepResult,
  ): StepResult[] {
    const chunks = opts.body === undefined ? [] : typeof opts.body === 'string' || opts.body instanceof Uint8Array ? [opts.body] : [...opts.body];
    const hasTrailers = opts.trailers !== undefined;
    const out = [headers(chunks.length === 0 && !hasTrailers)];
    chunks.forEach((c, i) => out.push(body(c, i === chunks.length - 1 && !hasTrailers)));
    if (hasTrailers) out.push(trailers(opts.trailers!));
    return out;
  }
}

function orderError(what: string): WasmgateError {
  return new WasmgateError('WG_HARNESS_STREAM_ORDER', `stream driven out of order: ${what}`);
}

function stickyFailure(f: ChainFilter, e: WasmgateError): WasmgateError {
  return new WasmgateError('WG_VM_FAILED', `plugin ${f.name} cannot run: its VM failed earlier (${e.message})`, { cause: e, details: e.details });
}
