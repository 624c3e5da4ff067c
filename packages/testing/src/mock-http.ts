/**
 * Scripted answers to proxy_http_call. There is no network: a call either matches an interceptor
 * the test registered, or it is answered as a reset and recorded as WG_HARNESS_UNMATCHED_HTTP_CALL,
 * which fails the test at the next end()/close()/assertNoUnexpectedCalls().
 *
 * Timeouts follow Envoy: its async HTTP client answers a request that outlives its timeout with a
 * synthetic `504` whose body is `upstream request timeout` (the plugin's callback sees a normal
 * response, not a reset). A reset (`.reset()`, an unmatched call) reaches the plugin as 0 headers.
 * @module
 */
import { HeaderMap, utf8Decode, utf8Encode, WasmgateError, type DispatchError, type HttpCallRequest, type HttpCallResponse } from '@wasmgate/host';
import { toBytes, toPairs, type BodyInput, type HeadersInput } from './input.js';
import { decideOnClock, Interceptor, InterceptorList, InterceptScope, matchField, quote, type Matcher } from './interceptor.js';
import type { VirtualClock } from './virtual-clock.js';

/** What identifies the calls an interceptor answers; every given field must match. */
export interface HttpCallMatch {
  /** The cluster (upstream) name the plugin passed to proxy_http_call. */
  readonly cluster?: Matcher;
  /** `:method`. */
  readonly method?: Matcher;
  /** `:path`, query string included. */
  readonly path?: Matcher;
  /** `:authority`. */
  readonly authority?: Matcher;
  /** Anything else (headers, body). */
  readonly where?: (call: HttpCall) => boolean;
}

/** A scripted response. */
export interface HttpReply {
  readonly status: number;
  readonly body?: BodyInput;
  readonly headers?: HeadersInput;
  readonly trailers?: HeadersInput;
}

/** Computes a response from the call; `'reset'` answers as a connection reset. */
export type HttpReplyFn = (call: HttpCall) => HttpReply | 'reset' | Promise<HttpReply | 'reset'>;

/** How a recorded call ended (so far). */
export type HttpCallOutcome = 'pending' | 'replied' | 'reset' | 'timeout' | 'unmatched' | 'unknown_cluster';

/** One proxy_http_call the plugin made, as the harness saw it. */
export interface HttpCall {
  readonly cluster: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  /** Every header sent, pseudo-headers included (the host adds content-length for a body). */
  readonly headers: HeaderMap;
  /** The body as UTF-8 text (see bodyBytes for binary bodies). */
  readonly body: string;
  readonly bodyBytes: Uint8Array;
  readonly trailers: HeaderMap;
  /** The timeout the plugin asked for; 0 = none. */
  readonly timeoutMs: number;
  readonly plugin: string;
  /** Virtual time of the call, ms since the plugin was loaded. */
  readonly at: number;
  readonly outcome: HttpCallOutcome;
  /** What the plugin received (replied, or the synthetic 504 of a timeout). */
  readonly response: HttpCallResponse | undefined;
}

type Decision = { kind: 'reply'; reply: HttpReply } | { kind: 'reset' } | { kind: 'timeout' } | { kind: 'threw'; error: unknown };

/** Envoy's answer when the async client's timer fires first. */
const TIMEOUT_BODY = 'upstream request timeout';
const TIMEOUT_RESPONSE: HttpCallResponse = {
  headers: [[':status', '504'], ['content-length', String(TIMEOUT_BODY.length)], ['content-type', 'text/plain']],
  body: utf8Encode(TIMEOUT_BODY),
  trailers: [],
};

/** Chooses an answer for calls that match. */
export class HttpInterceptor {
  readonly #ic: Interceptor<HttpCall, Decision>;

  /** @internal */
  constructor(ic: Interceptor<HttpCall, Decision>) {
    this.#ic = ic;
  }

  /** Answers with `status`, an optional body (text or bytes) and headers (`:status` is added). */
  reply(status: number, body?: BodyInput, headers?: HeadersInput): InterceptScope {
    const reply: HttpReply = { status, ...(body !== undefined && { body }), ...(headers !== undefined && { headers }) };
    this.#ic.answer = () => ({ kind: 'reply', reply });
    return new InterceptScope(this.#ic);
  }

  /** Computes the answer from the call (may be async; `'reset'` resets). */
  replyWith(fn: HttpReplyFn): InterceptScope {
    this.#ic.answer = async (call) => {
      try {
        const r = await fn(call);
        return r === 'reset' ? { kind: 'reset' } : { kind: 'reply', reply: r };
      } catch (error) {
        return { kind: 'threw', error };
      }
    };
    return new InterceptScope(this.#ic);
  }

  /** Answers as a connection reset: the plugin's callback gets 0 headers, 0 body bytes. */
  reset(): InterceptScope {
    this.#ic.answer = () => ({ kind: 'reset' });
    return new InterceptScope(this.#ic);
  }
}

/** @internal What MockHttp needs from its plugin harness. */
export interface MockDeps {
  readonly clock: VirtualClock;
  /** Known clusters; undefined = every name is known. */
  readonly clusters: ReadonlySet<string> | undefined;
  /** Records a harness error that fails the test later. */
  report(e: WasmgateError): void;
}

/**
 * The HTTP side of the harness: `plugin.http`.
 * @example
 * plugin.http.intercept({ cluster: 'auth', path: '/check' }).reply(200, 'alice');
 * // … drive the stream …
 * assert.equal(plugin.http.calls[0]?.headers.get('authorization'), 'Bearer t');
 * plugin.http.assertNoPendingInterceptors();
 */
export class MockHttp {
  readonly #deps: MockDeps;
  readonly #list = new InterceptorList<HttpCall, Decision>();
  readonly #calls: HttpCall[] = [];
  /** Bumped when a call is made or answered (settle() uses it to detect progress). */
  progress = 0;

  /** @internal */
  constructor(deps: MockDeps) {
    this.#deps = deps;
  }

  /** Registers an interceptor; finish it with .reply(), .replyWith() or .reset(). */
  intercept(match: HttpCallMatch = {}): HttpInterceptor {
    const description = `http ${describeMatch(match)}`;
    const predicate = (c: HttpCall) =>
      matchField(match.cluster, c.cluster) && matchField(match.method, c.method, true) && matchField(match.path, c.path) &&
      matchField(match.authority, c.authority) && (match.where?.(c) ?? true);
    return new HttpInterceptor(this.#list.add(new Interceptor(description, predicate)));
  }

  /** Every call the plugin made, in order. */
  get calls(): readonly HttpCall[] {
    return this.#calls;
  }

  /** Calls whose answer has not reached the plugin yet. */
  get pendingCalls(): readonly HttpCall[] {
    return this.#calls.filter((c) => c.outcome === 'pending');
  }

  /** Descriptions of interceptors that were never used (or used fewer times than asked). */
  pendingInterceptors(): string[] {
    return this.#list.pending();
  }

  /** Throws WG_HARNESS_PENDING_INTERCEPTORS listing interceptors the plugin never called. */
  assertNoPendingInterceptors(): void {
    const pending = this.pendingInterceptors();
    if (pending.length === 0) return;
    throw new WasmgateError('WG_HARNESS_PENDING_INTERCEPTORS', `${pending.length} HTTP interceptor(s) never used: ${pending.join('; ')}`, { details: pending });
  }

  /** @internal HostPorts.httpCall. */
  dispatch(req: HttpCallRequest): Promise<HttpCallResponse> | DispatchError {
    const headers = new HeaderMap(req.headers);
    const call = {
      cluster: req.cluster, method: headers.get(':method') ?? '', path: headers.get(':path') ?? '', authority: headers.get(':authority') ?? '',
      headers, body: utf8Decode(req.body), bodyBytes: req.body, trailers: new HeaderMap(req.trailers), timeoutMs: req.timeoutMs,
      plugin: req.plugin, at: this.#deps.clock.elapsed, outcome: 'pending' as HttpCallOutcome, response: undefined as HttpCallResponse | undefined,
    };
    this.#calls.push(call);
    this.progress++;
    if (this.#deps.clusters && !this.#deps.clusters.has(req.cluster)) {
      // Envoy refuses a cluster it does not know before anything is sent (BadArgument).
      call.outcome = 'unknown_cluster';
      return 'unknown_cluster';
    }
    const ic = this.#list.take(call);
    if (!ic) {
      call.outcome = 'unmatched';
      this.#deps.report(unmatched(call, this.pendingInterceptors()));
      return Promise.reject(new Error('no interceptor matched'));
    }
    const answer = ic.answer!;
    const decide = async (): Promise<Decision> => {
      try {
        return await answer(call);
      } catch (error) {
        return { kind: 'threw', error };
      }
    };
    return decideOnClock<Decision>(this.#deps.clock, ic.delayMs, req.timeoutMs, decide, { kind: 'timeout' }).then((d) => {
      this.progress++;
      return this.#settle(call, ic.description, d);
    });
  }

  #settle(call: { outcome: HttpCallOutcome; response: HttpCallResponse | undefined }, description: string, d: Decision): HttpCallResponse {
    if (d.kind === 'reply') {
      const r = d.reply;
      call.outcome = 'replied';
      call.response = {
        headers: [[':status', String(r.status)], ...toPairs(r.headers).filter(([k]) => k !== ':status')],
        body: toBytes(r.body),
        trailers: toPairs(r.trailers),
      };
      return call.response;
    }
    if (d.kind === 'timeout') {
      call.outcome = 'timeout';
      call.response = TIMEOUT_RESPONSE;
      return TIMEOUT_RESPONSE;
    }
    call.outcome = 'reset';
    if (d.kind === 'threw') {
      const msg = d.error instanceof Error ? d.error.message : String(d.error);
      this.#deps.report(new WasmgateError('WG_HARNESS_INTERCEPTOR_THREW', `replyWith() of ${description} threw: ${msg}`, { cause: d.error }));
    }
    throw new Error('reset');
  }

  /** @internal Forgets the interceptors (plugin.close()). */
  clear(): void {
    this.#list.clear();
  }
}

function describeMatch(m: HttpCallMatch): string {
  const parts = (['cluster', 'method', 'path', 'authority'] as const)
    .filter((k) => m[k] !== undefined)
    .map((k) => `${k}=${typeof m[k] === 'function' ? '<fn>' : String(m[k])}`);
  if (m.where) parts.push('where=<fn>');
  return parts.length ? parts.join(' ') : '(any call)';
}

function unmatched(call: HttpCall, pending: string[]): WasmgateError {
  const what = `${call.method} ${call.path} on cluster "${call.cluster}" (authority ${call.authority || '<none>'})`;
  const code = `plugin.http.intercept({ cluster: ${quote(call.cluster)}, method: ${quote(call.method)}, path: ${quote(call.path)} }).reply(200, 'ok')`;
  return new WasmgateError('WG_HARNESS_UNMATCHED_HTTP_CALL', `plugin ${call.plugin} made an HTTP call no interceptor matches: ${what}; the plugin saw a reset`, {
    hint: `script it before driving the stream: ${code}`,
    details: pending.length ? ['unused interceptors:', ...pending] : ['no unused interceptors'],
  });
}
