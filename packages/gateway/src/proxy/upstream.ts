/**
 * The upstream side of an exchange, behind one small interface (swapping the HTTP client is this
 * file). Requests without a body — almost all gateway traffic — go through undici's pooled
 * keep-alive client, which measured about 1.7× the throughput of node:http's Agent in a bare
 * pass-through proxy (docs/RATIONALE.md, "Performance"). Requests with a body keep node:http: its
 * ClientRequest streams the body with back-pressure and can send request trailers, which undici
 * cannot.
 */
import { Agent as HttpAgent, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Agent as UndiciAgent } from 'undici';
import { NodeCall, UndiciCall } from './upstream-calls.js';
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
