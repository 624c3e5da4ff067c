/**
 * The lean HTTP/1 server (the plain listener's, and the TLS listener's for HTTP/1.1 by ALPN): it
 * reads requests off a `net` or `tls` socket with its own strict parser (parse-head.ts) and writes
 * responses itself (lean-response.ts), which costs less CPU per request than node:http's server
 * (docs/RATIONALE.md, "A leaner HTTP/1 server"). It serves the
 * common case only: a head outside its strict subset, at a request boundary, hands the connection —
 * with every byte not yet consumed — to node:http, which then owns it to the end and answers it as
 * it always did (400s, 431, `Expect: 100-continue`, chunked uploads, upgrades, absolute-form targets).
 *
 * One request at a time per connection: pipelined requests wait in the buffer (up to
 * {@link PIPELINE_BUFFER_BYTES}, then the socket is paused) and are served in order, each once the
 * previous response was written and the previous request body read (an unread body is discarded, as
 * node:http does). A client FIN aborts the exchange in flight, as node:http's default
 * (`allowHalfOpen` false for HTTP) does.
 *
 * Timeouts as node:http's, checked by one sweep per second instead of a timer per request: a
 * keep-alive connection idle for `keepAliveTimeoutMs` is closed; a head not complete within
 * `headersTimeoutMs` of its first byte, or a request body not complete within `requestTimeoutMs` of
 * its head, is answered 408 (or the connection closed when a response has started).
 */
import type { Socket } from 'node:net';
import { LeanRequest, type RequestOwner } from './lean-request.js';
import { LeanResponse, type ResponseOwner } from './lean-response.js';
import { MAX_HEAD_BYTES, parseHead } from './parse-head.js';

export type LeanHandler = (req: LeanRequest, res: LeanResponse) => void;
/**
 * Gives a socket, with `bytes` not yet consumed, to node:http for good; `pipelined`: those bytes
 * arrived while an earlier exchange on the connection was in flight.
 */
export type Fallback = (socket: Socket, bytes: Buffer, pipelined: boolean) => void;

export interface LeanTimeouts {
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/** Pipelined bytes buffered beyond the request in flight before the socket is paused. */
const PIPELINE_BUFFER_BYTES = 64 * 1024;
const SWEEP_MS = 1000;
const HEAD_END = Buffer.from('\r\n\r\n');
const TIMEOUT_408 = 'HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

const Phase = {
  /** Between requests, nothing buffered. */
  Idle: 0,
  /** Part of a head buffered. */
  Head: 1,
  /** A request in flight (response not written, or body not read). */
  Active: 2,
  /** Handed over or closing: nothing more to do here. */
  Gone: 3,
} as const;
type Phase = (typeof Phase)[keyof typeof Phase];

export class LeanH1 {
  readonly #handler: LeanHandler;
  readonly timeouts: LeanTimeouts;
  readonly #connections = new Set<LeanConnection>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(handler: LeanHandler, timeouts: LeanTimeouts) {
    this.#handler = handler;
    this.timeouts = timeouts;
  }

  /**
   * Takes a new connection whose first bytes (`first`) were read already; `fallback` gives it to
   * node:http when a head is outside the lean subset.
   */
  accept(socket: Socket, first: Buffer, fallback: Fallback): void {
    const c = new LeanConnection(this, socket, this.#handler, fallback);
    this.#connections.add(c);
    if (!this.#sweep) {
      this.#sweep = setInterval(() => this.#sweepNow(), SWEEP_MS);
      this.#sweep.unref();
    }
    c.received(first);
  }

  /** Connections this server still owns (not handed over). */
  get size(): number {
    return this.#connections.size;
  }

  forget(c: LeanConnection): void {
    this.#connections.delete(c);
    if (this.#connections.size === 0 && this.#sweep) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** Closes the connections between requests (shutdown: as node:http's closeIdleConnections). */
  closeIdle(): void {
    for (const c of this.#connections) if (c.idle) c.destroy();
  }

  /** Closes every connection, requests in flight included. */
  closeAll(): void {
    for (const c of this.#connections) c.destroy();
  }

  #sweepNow(): void {
    const now = Date.now();
    for (const c of this.#connections) c.checkTimeouts(now);
  }
}

class LeanConnection implements RequestOwner, ResponseOwner {
  readonly socket: Socket;
  readonly keepAliveTimeoutSec: number;
  readonly #server: LeanH1;
  readonly #handler: LeanHandler;
  readonly #fallback: Fallback;
  /** Bytes read and not consumed yet (the next head, pipelined requests). */
  #buffer: Buffer | undefined;
  #phase: Phase = Phase.Idle;
  /** When the current phase started (ms). */
  #since = Date.now();
  #req: LeanRequest | undefined;
  #res: LeanResponse | undefined;
  /** Body bytes of the current request still to come off the socket. */
  #bodyLeft = 0;
  #responseDone = false;
  /** The request body should be read now (its reader is flowing). */
  #bodyWanted = true;
  #readingPaused = false;
  /** The buffer holds bytes that arrived while an exchange was in flight. */
  #pipelined = false;

  constructor(server: LeanH1, socket: Socket, handler: LeanHandler, fallback: Fallback) {
    this.#server = server;
    this.socket = socket;
    this.#handler = handler;
    this.#fallback = fallback;
    this.keepAliveTimeoutSec = Math.floor(server.timeouts.keepAliveTimeoutMs / 1000);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
    socket.on('drain', this.#onDrain);
  }

  get idle(): boolean {
    return this.#phase === Phase.Idle;
  }

  destroy(): void {
    this.socket.destroy();
  }

  readonly #onData = (chunk: Buffer): void => this.received(chunk);
  readonly #onDrain = (): void => void this.#res?.emit('drain');
  readonly #onError = (): void => void this.socket.destroy();

  /** Client FIN: as node:http without half-open, the exchange in flight is aborted. */
  readonly #onEnd = (): void => {
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.#phase = Phase.Gone;
    this.#server.forget(this);
    const req = this.#req;
    const res = this.#res;
    if (res && !res.writableFinished) {
      req?.abort();
      res.connectionClosed();
    }
    this.#req = undefined;
    this.#res = undefined;
  };

  received(chunk: Buffer): void {
    if (this.#phase === Phase.Gone) return;
    const rest = this.#bodyLeft > 0 ? this.#feedBody(chunk) : chunk;
    if (rest.length > 0) {
      this.#buffer = this.#buffer === undefined ? rest : Buffer.concat([this.#buffer, rest]);
      if (this.#phase === Phase.Active) this.#pipelined = true;
    }
    if (this.#phase === Phase.Active) this.#updateReading();
    else this.#next();
  }

  // ── Requests ────────────────────────────────────────────────────────────────────────────────

  /** Between requests: the next head in the buffer, if whole, becomes the next exchange. */
  #next(): void {
    const buf = this.#buffer;
    if (buf === undefined) {
      if (this.#phase !== Phase.Idle) {
        this.#phase = Phase.Idle;
        this.#since = Date.now();
      }
      return this.#updateReading();
    }
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) return this.#handOver();
      if (this.#phase !== Phase.Head) {
        this.#phase = Phase.Head;
        this.#since = Date.now();
      }
      return this.#updateReading();
    }
    const head = parseHead(buf, end);
    if (head === undefined) return this.#handOver();
    const consumed = end + 4;
    this.#buffer = consumed === buf.length ? undefined : buf.subarray(consumed);
    const req = new LeanRequest(head, this.socket, this);
    const keepAlive = head.minor === 1 ? head.connection !== 'close' : head.connection === 'keep-alive';
    const res = new LeanResponse(this, head.method === 'HEAD', head.minor === 1, keepAlive);
    this.#req = req;
    this.#res = res;
    this.#phase = Phase.Active;
    this.#since = Date.now();
    this.#responseDone = false;
    this.#bodyWanted = true;
    this.#bodyLeft = head.contentLength > 0 ? head.contentLength : 0;
    // Body bytes that came with the head.
    if (this.#bodyLeft > 0 && this.#buffer !== undefined) {
      const rest = this.#feedBody(this.#buffer);
      this.#buffer = rest.length > 0 ? rest : undefined;
    }
    // What came with this head beyond its body is pipelined behind it.
    this.#pipelined = this.#buffer !== undefined;
    this.#handler(req, res);
    this.#updateReading();
  }

  /**
   * Gives the current request the part of `bytes` that is its body; returns the rest. With its
   * last byte the body is complete, and if the response is done too the next request starts.
   */
  #feedBody(bytes: Buffer): Buffer {
    const n = Math.min(this.#bodyLeft, bytes.length);
    this.#bodyLeft -= n;
    this.#req!.push(n === bytes.length ? bytes : bytes.subarray(0, n));
    if (this.#bodyLeft === 0) {
      this.#req!.finishBody();
      if (this.#responseDone) this.#between();
    }
    return bytes.subarray(n);
  }

  /** A head outside the lean subset: node:http takes the connection with what is buffered. */
  #handOver(): void {
    const socket = this.socket;
    const bytes = this.#buffer ?? Buffer.alloc(0);
    this.#buffer = undefined;
    this.#phase = Phase.Gone;
    socket.off('data', this.#onData);
    socket.off('end', this.#onEnd);
    socket.off('close', this.#onClose);
    socket.off('error', this.#onError);
    socket.off('drain', this.#onDrain);
    this.#server.forget(this);
    socket.pause();
    this.#fallback(socket, bytes, this.#pipelined);
    socket.resume();
  }

  // ── RequestOwner / ResponseOwner ────────────────────────────────────────────────────────────

  bodyWanted(wanted: boolean): void {
    this.#bodyWanted = wanted;
    this.#updateReading();
  }

  responseDone(keepAlive: boolean): void {
    this.#responseDone = true;
    if (!keepAlive) {
      this.#phase = Phase.Gone;
      this.socket.end();
      return;
    }
    if (this.#bodyLeft > 0) {
      // Nobody reads the rest of this request's body: it is read and dropped before the next request.
      this.#req!.removeAllListeners('data');
      this.#req!.resume();
      return this.#updateReading();
    }
    this.#between();
  }

  /** The exchange is over on both sides: on to the next request. */
  #between(): void {
    this.#req = undefined;
    this.#res = undefined;
    this.#phase = Phase.Idle;
    this.#since = Date.now();
    this.#next();
  }

  /** Reads the socket unless the body reader is paused or too many pipelined bytes wait. */
  #updateReading(): void {
    const bodyBlocked = this.#bodyLeft > 0 && !this.#bodyWanted;
    const full = this.#buffer !== undefined && this.#buffer.length > PIPELINE_BUFFER_BYTES && this.#phase === Phase.Active;
    const pause = bodyBlocked || full;
    if (pause === this.#readingPaused) return;
    this.#readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  // ── Timeouts ────────────────────────────────────────────────────────────────────────────────

  checkTimeouts(now: number): void {
    const t = this.#server.timeouts;
    const age = now - this.#since;
    if (this.#phase === Phase.Idle) {
      if (age > t.keepAliveTimeoutMs) this.destroy();
    } else if (this.#phase === Phase.Head) {
      if (age > t.headersTimeoutMs) this.#timeout408();
    } else if (this.#phase === Phase.Active && this.#bodyLeft > 0 && !this.#responseDone && age > t.requestTimeoutMs) {
      if (this.#res?.headersSent) this.destroy();
      else this.#timeout408();
    }
  }

  #timeout408(): void {
    this.#phase = Phase.Gone;
    // The 408 first: the exchange that sees its connection close next may destroy the socket.
    this.socket.end(TIMEOUT_408);
    const res = this.#res;
    if (res) {
      this.#req?.abort();
      res.connectionClosed();
    }
  }
}
