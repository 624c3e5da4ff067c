/**
 * A request read by the lean HTTP/1 server: the part of node:http's IncomingMessage the data plane
 * uses (proxy/exchange.ts and the helpers it calls), so an exchange cannot tell the two apart.
 *
 * The body is a readable in the Node sense, kept small: chunks are emitted as 'data' while flowing
 * and queued while paused (the connection stops reading the socket meanwhile, which is the
 * back-pressure), then 'end'. As with a Readable, adding a 'data' listener starts the flow unless
 * `pause()` was called; `resume()` with no listener discards the body.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { LeanHead } from './parse-head.js';

/** What the request tells its connection. */
export interface RequestOwner {
  /** The request body should (not) be read now. */
  bodyWanted(wanted: boolean): void;
}

/** Headers node:http keeps only the first of when repeated (its `headers` object, `matchKnownFields`). */
const SINGLE = new Set([
  'host', 'content-type', 'content-length', 'user-agent', 'referer', 'authorization', 'proxy-authorization',
  'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag',
  'last-modified', 'server', 'age', 'expires',
]);

export class LeanRequest extends EventEmitter {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  readonly trailers: Record<string, string> = {};
  /** The whole body has been received. */
  complete: boolean;
  aborted = false;
  readonly #owner: RequestOwner;
  #headers: IncomingHttpHeaders | undefined;
  /** Body chunks received while not flowing. */
  #queue: Buffer[] = [];
  #flowing = false;
  /** pause() was called: a new 'data' listener does not start the flow. */
  #paused = false;
  #endEmitted = false;
  #flushScheduled = false;

  constructor(head: LeanHead, socket: Socket, owner: RequestOwner) {
    super();
    this.method = head.method;
    this.url = head.url;
    this.httpVersion = head.minor === 1 ? '1.1' : '1.0';
    this.httpVersionMinor = head.minor;
    this.rawHeaders = head.rawHeaders;
    this.socket = socket;
    this.complete = head.contentLength <= 0;
    this.#owner = owner;
  }

  /** node:http's joined view (first value for single-valued names, set-cookie as a list, cookie joined by "; ", others by ", "). */
  get headers(): IncomingHttpHeaders {
    if (this.#headers) return this.#headers;
    const h: Record<string, string | string[]> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      const v = raw[i + 1]!;
      const prev = h[k];
      if (prev === undefined) h[k] = k === 'set-cookie' ? [v] : v;
      else if (Array.isArray(prev)) prev.push(v);
      else if (!SINGLE.has(k)) h[k] = `${prev}${k === 'cookie' ? '; ' : ', '}${v}`;
    }
    return (this.#headers = h);
  }

  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    if (event === 'data' && !this.#paused) this.resume();
    return this;
  }

  pause(): this {
    this.#paused = true;
    this.#flowing = false;
    if (!this.complete) this.#owner.bodyWanted(false);
    return this;
  }

  resume(): this {
    this.#paused = false;
    if (this.#flowing) return this;
    this.#flowing = true;
    // As a Readable: the flow starts on the next tick, after the caller attached its 'end' listener.
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(flush, this);
    }
    return this;
  }

  /** A body chunk from the connection. */
  push(chunk: Buffer): void {
    if (this.#flowing && this.#queue.length === 0 && !this.#flushScheduled) this.emit('data', chunk);
    else {
      this.#queue.push(chunk);
      if (!this.#flowing) this.#owner.bodyWanted(false);
    }
  }

  /** The connection has read the whole body. */
  finishBody(): void {
    this.complete = true;
    if (this.#flowing && this.#queue.length === 0 && !this.#flushScheduled) this.#emitEnd();
  }

  /** The connection went away before the response was finished. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('aborted');
    this.emit('close');
  }

  #emitEnd(): void {
    if (this.#endEmitted) return;
    this.#endEmitted = true;
    this.emit('end');
  }

  static flush(req: LeanRequest): void {
    req.#flushScheduled = false;
    const q = req.#queue;
    while (req.#flowing && q.length > 0) req.emit('data', q.shift()!);
    if (!req.#flowing) return;
    if (req.complete) req.#emitEnd();
    else req.#owner.bodyWanted(true);
  }
}

const flush = LeanRequest.flush;
