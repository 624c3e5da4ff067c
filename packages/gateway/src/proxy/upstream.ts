/**
 * The upstream side of an exchange, behind one small interface (swapping the HTTP client is this
 * file). Requests without a body — almost all gateway traffic — go through undici's pooled
 * keep-alive client, which measured about 1.7× the throughput of node:http's Agent in a bare
 * pass-through proxy (docs/RATIONALE.md, "Performance"). Requests with a body keep node:http: its
 * ClientRequest streams the body with back-pressure and can send request trailers, which undici
 * cannot.
 */
import { subscribe } from 'node:diagnostics_channel';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Agent as UndiciAgent, type Dispatcher } from 'undici';
import { trailerPairs } from './headers.js';
import { closeH2Sessions } from './upstream-h2.js';

/** Where and what to send. */
export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  readonly method: string;
  readonly path: string;
  /** Outgoing headers, `host` included, hop-by-hop ones already removed. */
  readonly headers: OutgoingHttpHeaders;
  /** Idle timeout: waiting for the head, or between body chunks. */
  readonly timeoutMs: number;
  /** Connect with TLS (certificates are verified as Node does by default). */
  readonly tls?: boolean;
  /** TLS server name; default: the host when it is a name, not an IP address. */
  readonly servername?: string;
}

/**
 * Why an upstream call failed: `timeout` (upstreamTimeoutMs passed while waiting, in the pending
 * queue included), `error` (refused, reset), `protocol` (the upstream's bytes are not HTTP),
 * `closed` (the connection ended in the middle of the response body), `overflow` (every pooled
 * connection busy and the pending-request queue full: the call never started).
 */
export type UpstreamFailure = 'timeout' | 'error' | 'protocol' | 'closed' | 'overflow';

/** Connections per endpoint and the queue of requests waiting for one (the Gateway's `upstreamPool`). */
export interface UpstreamPoolLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
}

/** The two ends of the upstream connection a call went out on (`upstream.*` attributes). */
export interface UpstreamSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** What the exchange hears from a call. Nothing is delivered after `destroy()`. */
export interface UpstreamEvents {
  /** The request is being written on this connection (new or reused from the pool). */
  connected?(socket: UpstreamSocket): void;
  /** The response head; `raw` has Node's rawHeaders shape: [name, value, name, value, …]. */
  response(status: number, raw: string[]): void;
  data(chunk: Uint8Array): void;
  /** The response is complete; its trailers as pairs (often none). */
  end(trailers: [string, string][]): void;
  /** `code`: the Node/undici error code when there is one (ECONNREFUSED, UND_ERR_SOCKET …). */
  fail(why: UpstreamFailure, code?: string): void;
}

function socketEnds(s: Socket): UpstreamSocket | undefined {
  if (s.localAddress === undefined || s.remoteAddress === undefined) return undefined;
  return { localAddress: s.localAddress, localPort: s.localPort ?? 0, remoteAddress: s.remoteAddress, remotePort: s.remotePort ?? 0 };
}

/** One request in flight to the upstream. */
export interface UpstreamCall {
  /** Request body bytes; false means wait for `onDrain`. */
  write(chunk: Uint8Array): boolean;
  onDrain(fn: () => void): void;
  /** Ends the request body, with trailers when there are any. */
  end(trailers?: Record<string, string>): void;
  /** Response back-pressure: stop reading / read on. */
  pause(): void;
  resume(): void;
  /** Abandons the call (local reply, reset, client gone). */
  destroy(): void;
}

export class Upstream {
  readonly #http: HttpAgent;
  readonly #undici: UndiciAgent;
  readonly #https: HttpsAgent;
  readonly #limits: UpstreamPoolLimits;
  /** Calls in flight and calls waiting, per endpoint (`host:port`, `s` prefix for TLS). */
  readonly #pools = new Map<string, Pool>();

  constructor(limits: UpstreamPoolLimits = { maxConnections: 256, maxPendingRequests: 1024 }) {
    this.#limits = limits;
    const max = limits.maxConnections;
    this.#http = new HttpAgent({ keepAlive: true, maxSockets: max, maxFreeSockets: Math.min(64, max) });
    this.#undici = new UndiciAgent({ connections: max, pipelining: 1 });
    this.#https = new HttpsAgent({ keepAlive: true, maxSockets: max, maxFreeSockets: Math.min(64, max) });
  }

  /**
   * Starts a request. `hasBody` false means the request ended with its headers: it goes through
   * undici. CONNECT and `expect` requests always go through node:http.
   *
   * At most `maxConnections` calls per endpoint are in flight (one connection each); the next
   * `maxPendingRequests` wait in a queue — as Envoy's pending requests — keeping a little of what
   * the client sends and then pausing it, for at most `timeoutMs` once the request is complete;
   * beyond the queue the call fails at once with `overflow`. Without the gate, node:http's Agent
   * queued them itself, unbounded: a queued request's body filled the ClientRequest's buffer, the
   * client was paused, and the exchange's plugin-stall timer (re-armed only by client data) answered
   * 504 WG_PROXY_STREAM_TIMEOUT although no plugin had paused anything.
   */
  call(target: UpstreamTarget, hasBody: boolean, events: UpstreamEvents): UpstreamCall {
    const key = target.tls ? `s${target.host}:${target.port}` : `${target.host}:${target.port}`;
    let pool = this.#pools.get(key);
    if (!pool) this.#pools.set(key, (pool = { active: 0, queue: [] }));
    if (pool.active >= this.#limits.maxConnections && pool.queue.length >= this.#limits.maxPendingRequests) {
      const refused = new Leased(events, undefined);
      refused.destroy();
      events.fail('overflow');
      return refused;
    }
    const leased = new Leased(events, () => this.#release(key, pool));
    if (pool.active < this.#limits.maxConnections) {
      pool.active++;
      leased.start(this.#start(target, hasBody, leased));
    } else {
      pool.queue.push(leased);
      leased.wait(target.timeoutMs, () => {
        const i = pool.queue.indexOf(leased);
        if (i >= 0) pool.queue.splice(i, 1);
      }, () => this.#start(target, hasBody, leased));
    }
    return leased;
  }

  #start(target: UpstreamTarget, hasBody: boolean, events: UpstreamEvents): UpstreamCall {
    if (!hasBody && !target.tls && target.method !== 'CONNECT' && target.headers.expect === undefined) return new UndiciCall(this.#undici, target, events);
    // TLS upstreams (https registries, tls Services) go through node:https, which takes a server name per request.
    return new NodeCall(target.tls ? this.#https : this.#http, target, events);
  }

  /** A call ended: the first one waiting takes its place. */
  #release(key: string, pool: Pool): void {
    const next = pool.queue.shift();
    if (next) next.begin();
    else if (--pool.active === 0) this.#pools.delete(key);
  }

  /** Calls waiting for a connection, over every endpoint (tests, stats). */
  get pending(): number {
    let n = 0;
    for (const p of this.#pools.values()) n += p.queue.length;
    return n;
  }

  /** Closes every connection (the generation has drained) and refuses new calls. */
  async close(): Promise<void> {
    closeH2Sessions(this);
    this.#http.destroy();
    this.#https.destroy();
    await this.#undici.destroy();
  }
}

// ---- the pool gate: in-flight calls per endpoint and the pending queue ----------------------------

/** Request-body bytes a queued call keeps before it pauses the client (node:http's highWaterMark). */
const QUEUED_BUFFER = 16 * 1024;

interface Pool {
  active: number;
  readonly queue: Leased[];
}

/**
 * What the exchange holds: the real call once it started (every method forwards), a buffer while it
 * waits in the queue. It also stands between the real call and the exchange's events, to give the
 * pool slot back exactly once — when the call ends, fails or is destroyed.
 */
class Leased implements UpstreamCall, UpstreamEvents {
  readonly #events: UpstreamEvents;
  #release: (() => void) | undefined;
  #inner: UpstreamCall | undefined;
  #done = false;
  // While waiting:
  #begin: (() => UpstreamCall) | undefined;
  #leave: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #waitMs = 0;
  #ended = false;
  #trailers: Record<string, string> | undefined;
  #drains: (() => void)[] = [];
  #paused = false;

  constructor(events: UpstreamEvents, release: (() => void) | undefined) {
    this.#events = events;
    this.#release = release;
  }

  start(inner: UpstreamCall): void {
    this.#inner = inner;
  }

  /**
   * Queued: `begin` starts the real call when a slot frees. As Envoy's route timeout, the wait is
   * bounded from the moment the request is complete (`end`): `timeoutMs` later the call fails with
   * `timeout`. While the client is still uploading, up to {@link QUEUED_BUFFER} bytes are kept and
   * then the client is paused (`write` returns false) until the call starts.
   */
  wait(timeoutMs: number, leave: () => void, begin: () => UpstreamCall): void {
    this.#begin = begin;
    this.#leave = leave;
    this.#waitMs = timeoutMs;
  }

  #armQueueTimeout(): void {
    this.#timer = setTimeout(() => {
      if (this.#done || !this.#begin) return;
      this.#done = true;
      this.#begin = undefined;
      this.#release = undefined; // it never held a slot
      this.#leave?.();
      this.#events.fail('timeout');
    }, this.#waitMs);
    this.#timer.unref();
  }

  /** A slot is ours now: start, and hand over what was buffered. */
  begin(): void {
    clearTimeout(this.#timer);
    const inner = this.#begin!();
    this.#inner = inner;
    this.#begin = undefined;
    let flowing = true;
    for (const c of this.#chunks) flowing = inner.write(c);
    this.#chunks = [];
    this.#buffered = 0;
    if (this.#ended) inner.end(this.#trailers);
    if (this.#paused) inner.pause();
    const drains = this.#drains.splice(0);
    for (const fn of drains) {
      if (flowing) fn();
      else inner.onDrain(fn);
    }
  }

  #free(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  // UpstreamEvents: from the real call to the exchange.
  connected(socket: UpstreamSocket): void {
    this.#events.connected?.(socket);
  }

  response(status: number, raw: string[]): void {
    this.#events.response(status, raw);
  }

  data(chunk: Uint8Array): void {
    this.#events.data(chunk);
  }

  end(trailers: [string, string][]): void;
  end(trailers?: Record<string, string>): void;
  end(trailers?: [string, string][] | Record<string, string>): void {
    if (Array.isArray(trailers)) {
      // UpstreamEvents.end: the response is complete.
      this.#done = true;
      this.#free();
      this.#events.end(trailers);
      return;
    }
    // UpstreamCall.end: the request body is complete.
    if (this.#inner) this.#inner.end(trailers);
    else if (!this.#done && !this.#ended) {
      this.#ended = true;
      this.#trailers = trailers;
      this.#armQueueTimeout();
    }
  }

  fail(why: UpstreamFailure, code?: string): void {
    this.#done = true;
    this.#free();
    this.#events.fail(why, code);
  }

  // UpstreamCall: from the exchange to the real call.
  write(chunk: Uint8Array): boolean {
    if (this.#inner) return this.#inner.write(chunk);
    if (this.#done) return false;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    return this.#buffered < QUEUED_BUFFER;
  }

  onDrain(fn: () => void): void {
    if (this.#inner) this.#inner.onDrain(fn);
    else if (!this.#done) this.#drains.push(fn);
  }

  pause(): void {
    if (this.#inner) this.#inner.pause();
    else this.#paused = true;
  }

  resume(): void {
    if (this.#inner) this.#inner.resume();
    else this.#paused = false;
  }

  destroy(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    if (this.#begin) {
      // Still waiting: leave the queue; no slot to give back.
      this.#begin = undefined;
      this.#release = undefined;
      this.#leave?.();
      this.#chunks = [];
      return;
    }
    this.#inner?.destroy();
    this.#free();
  }
}

// ---- undici: bodiless requests ------------------------------------------------------------------

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** A bodiless request through undici's dispatcher, using its (allocation-light) handler callbacks. */
class UndiciCall implements UpstreamCall, Dispatcher.DispatchHandler {
  readonly #events: UpstreamEvents;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #paused = false;
  #done = false;

  constructor(agent: UndiciAgent, t: UpstreamTarget, events: UpstreamEvents) {
    this.#events = events;
    const headers: string[] = [];
    for (const k in t.headers) {
      const v = t.headers[k];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const x of v) headers.push(k, x);
      else headers.push(k, String(v));
    }
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    agent.dispatch({
      origin: `http://${host}:${t.port}`, path: t.path, method: t.method as Dispatcher.HttpMethod, headers, body: null,
      headersTimeout: t.timeoutMs, bodyTimeout: t.timeoutMs,
    }, this);
  }

  // Dispatcher.DispatchHandler (undici's native callbacks; the newer controller API wraps these).
  onConnect(abort: (err?: Error) => void): void {
    if (this.#done) abort();
    else this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    if (this.#done) return false;
    this.#resume = resume;
    const headers = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i++) headers[i] = raw[i]!.toString('latin1');
    this.#events.response(status, headers);
    return !this.#paused;
  }

  onData(chunk: Buffer): boolean {
    if (this.#done) return false;
    this.#events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    return !this.#paused;
  }

  onComplete(trailers: string[] | null): void {
    if (this.#done) return;
    this.#done = true;
    const pairs: [string, string][] = [];
    if (trailers) for (let i = 0; i + 1 < trailers.length; i += 2) pairs.push([latin1(trailers[i]).toLowerCase(), latin1(trailers[i + 1])]);
    this.#events.end(pairs);
  }

  onError(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    const code = (err as { code?: string }).code;
    // undici's HTTPParserError often has no code (llhttp's "Expected HTTP/"): its name tells.
    const protocol = isParseError(code) || err.name === 'HTTPParserError';
    this.#events.fail(TIMEOUT_CODES.has(code ?? '') ? 'timeout' : protocol ? 'protocol' : 'error', code);
  }

  /** The socket undici writes this request on (from its diagnostics channel, below). */
  connected(socket: Socket): void {
    if (this.#done) return;
    const ends = socketEnds(socket);
    if (ends) this.#events.connected?.(ends);
  }

  write(): boolean {
    return true;
  }

  onDrain(): void {}

  end(): void {}

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#resume?.();
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#abort?.();
  }
}

// undici's dispatch handlers never see the socket; its `sendHeaders` diagnostics channel does, with
// the request whose (symbol-keyed) handler is the UndiciCall that dispatched it. Subscribing costs
// one lookup per request.
let handlerKey: symbol | undefined;
subscribe('undici:client:sendHeaders', (message) => {
  const { request, socket } = message as { request: object; socket: Socket };
  handlerKey ??= Object.getOwnPropertySymbols(request).find((k) => k.description === 'handler');
  const handler = handlerKey && (request as Record<symbol, unknown>)[handlerKey];
  if (handler instanceof UndiciCall) handler.connected(socket);
});

/** llhttp's error codes (node:http and undici both use them): the upstream's bytes are not HTTP. */
function isParseError(code: string | undefined): boolean {
  return code !== undefined && code.startsWith('HPE_');
}

function latin1(x: unknown): string {
  return Buffer.isBuffer(x) ? x.toString('latin1') : String(x);
}

// ---- node:http: requests with a body ------------------------------------------------------------

class NodeCall implements UpstreamCall {
  readonly #req: ClientRequest;
  /**
   * Arms the idle timeout. As Envoy's route timeout, it starts once the request has been sent in
   * full: while a plugin still holds the body (or the client is still uploading), the upstream
   * connection is legitimately idle.
   */
  readonly #arm: () => void;
  #res: IncomingMessage | undefined;
  #destroyed = false;

  constructor(agent: HttpAgent, t: UpstreamTarget, events: UpstreamEvents) {
    const options = { host: t.host, port: t.port, method: t.method, path: t.path, headers: t.headers, agent };
    const servername = t.servername ?? (isIP(t.host) ? undefined : t.host);
    const req = t.tls ? httpsRequest({ ...options, ...(servername !== undefined ? { servername } : {}) }) : httpRequest(options);
    this.#req = req;
    this.#arm = () => req.setTimeout(t.timeoutMs, () => {
      req.destroy();
      if (!this.#destroyed) events.fail('timeout');
    });
    req.on('error', (err: Error & { code?: string }) => {
      if (!this.#destroyed) events.fail(isParseError(err.code) ? 'protocol' : 'error', err.code);
    });
    req.on('socket', (socket) => {
      const report = () => {
        const ends = socketEnds(socket);
        if (ends && !this.#destroyed) events.connected?.(ends);
      };
      if (socket.connecting) socket.once('connect', report);
      else report();
    });
    req.on('response', (res) => {
      this.#res = res;
      if (this.#destroyed) return;
      events.response(res.statusCode ?? 502, res.rawHeaders);
      res.on('data', (chunk: Buffer) => {
        if (!this.#destroyed) events.data(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      });
      // An upstream that goes away mid-body: the IncomingMessage only closes (it emits 'error' only
      // to listeners), so without this the client would wait for the rest forever.
      res.on('close', () => {
        if (!res.complete && !this.#destroyed) events.fail('closed');
      });
      res.on('end', () => {
        if (!this.#destroyed) events.end(trailerPairs(res.trailers));
      });
    });
  }

  write(chunk: Uint8Array): boolean {
    return this.#req.write(chunk);
  }

  onDrain(fn: () => void): void {
    this.#req.once('drain', fn);
  }

  end(trailers?: Record<string, string>): void {
    if (trailers) this.#req.addTrailers(trailers);
    this.#req.end();
    this.#arm();
  }

  pause(): void {
    this.#res?.pause();
  }

  resume(): void {
    this.#res?.resume();
  }

  destroy(): void {
    this.#destroyed = true;
    this.#req.destroy();
    this.#res?.destroy();
  }
}
