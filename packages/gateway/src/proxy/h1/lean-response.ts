/**
 * A response written by the lean HTTP/1 server: the part of node:http's ServerResponse the data
 * plane uses, with node:http's framing and connection rules, so clients see the same messages:
 *
 * - the head is sent with the first body bytes (one write), `Date` added unless given;
 * - framing: the Content-Length given; else `end()` before any write sends `content-length` of
 *   what it ends with; else chunked to an HTTP/1.1 client, or the body runs to the close of the
 *   connection for HTTP/1.0;
 * - no body for HEAD, 1xx, 204 and 304, whatever is written;
 * - `connection: keep-alive` with `keep-alive: timeout=N`, or `connection: close` and the connection
 *   ended after the response: when the client asked (`Connection: close`, or HTTP/1.0 without
 *   keep-alive), when the body runs to the close, or when `shouldKeepAlive` was set to false;
 * - trailers (`addTrailers`) only on a chunked body, as node:http;
 * - names and values are checked as node:http checks them (ERR_INVALID_HTTP_TOKEN / ERR_INVALID_CHAR).
 *
 * 'finish' and then 'close' are emitted once the last bytes were handed to the kernel; 'close'
 * alone when the connection went away first (`writableFinished` then stays false).
 */
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What the response tells its connection. */
export interface ResponseOwner {
  readonly socket: Socket;
  readonly keepAliveTimeoutSec: number;
  /** The response's last bytes were written (`keepAlive`: the connection may carry another request). */
  responseDone(keepAlive: boolean): void;
}

type HeaderInput = readonly string[] | readonly (readonly [string, string])[] | Readonly<Record<string, string | number | readonly string[] | undefined>>;

const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function invalid(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

/** `name: value` and its CRLF, checked as node:http checks a header (or trailer) field. */
function fieldLine(kind: 'Header' | 'Trailer', name: string, value: string): string {
  if (!TOKEN.test(name)) throw invalid('ERR_INVALID_HTTP_TOKEN', `${kind} name must be a valid HTTP token ["${name}"]`);
  if (INVALID_VALUE.test(value)) throw invalid('ERR_INVALID_CHAR', `Invalid character in ${kind.toLowerCase()} content ["${name}"]`);
  return `${name}: ${value}\r\n`;
}

let dateSec = 0;
let dateText = '';
/** The Date header value, made once a second. */
function httpDate(): string {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  if (sec !== dateSec) {
    dateSec = sec;
    dateText = new Date(sec * 1000).toUTCString();
  }
  return dateText;
}

const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

export class LeanResponse extends EventEmitter {
  statusCode = 200;
  /** False: this response ends the connection (`connection: close`). */
  shouldKeepAlive: boolean;
  headersSent = false;
  writableEnded = false;
  writableFinished = false;
  readonly #owner: ResponseOwner;
  /** HEAD request: no body whatever is written. */
  readonly #head: boolean;
  /** The client speaks HTTP/1.1 (chunked is possible). */
  readonly #http11: boolean;
  /** The head, without its framing and connection lines, until the first write. */
  #pendingHead: string | undefined;
  #contentLength = -1;
  #hasDate = false;
  #chunked = false;
  #hasBody = true;
  #trailers: string | undefined;
  #closed = false;

  constructor(owner: ResponseOwner, isHead: boolean, http11: boolean, keepAlive: boolean) {
    super();
    this.#owner = owner;
    this.#head = isHead;
    this.#http11 = http11;
    this.shouldKeepAlive = keepAlive;
  }

  writeHead(status: number, headers?: HeaderInput): this {
    if (this.#pendingHead !== undefined || this.headersSent) throw invalid('ERR_HTTP_HEADERS_SENT', 'Cannot write headers after they are sent to the client');
    if (!(status >= 100 && status <= 999)) throw invalid('ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${status}`);
    this.statusCode = status;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    if (headers !== undefined) {
      if (Array.isArray(headers)) {
        if (headers.length > 0 && typeof headers[0] === 'string') {
          const flat = headers as readonly string[];
          for (let i = 0; i + 1 < flat.length; i += 2) head += this.#line(flat[i]!, flat[i + 1]!);
        } else for (const [k, v] of headers as readonly (readonly [string, string])[]) head += this.#line(k, v);
      } else {
        const obj = headers as Readonly<Record<string, string | number | readonly string[] | undefined>>;
        for (const k in obj) {
          const v = obj[k];
          if (v === undefined) continue;
          if (Array.isArray(v)) for (const one of v) head += this.#line(k, String(one));
          else head += this.#line(k, String(v));
        }
      }
    }
    this.#pendingHead = head;
    this.#hasBody = !this.#head && status !== 204 && status !== 304 && !(status >= 100 && status < 200);
    return this;
  }

  /** One checked header line, noting the framing headers. */
  #line(name: string, value: string): string {
    const line = fieldLine('Header', name, value);
    const n = name.length;
    if (n === 14 && name.toLowerCase() === 'content-length') this.#contentLength = Number(value);
    else if (n === 4 && name.toLowerCase() === 'date') this.#hasDate = true;
    return line;
  }

  /**
   * The head with node:http's own lines after the caller's, in its order and spelling (Date,
   * Connection, Keep-Alive, then Content-Length or Transfer-Encoding). `knownLength`: the whole body
   * when `end()` comes before any write and without writeHead (-1 otherwise); as in node:http, an
   * explicit writeHead without Content-Length means chunked.
   */
  #finalHead(knownLength: number): string {
    if (this.#pendingHead === undefined) this.writeHead(this.statusCode);
    let framing = '';
    if (this.#hasBody && this.#contentLength < 0) {
      if (knownLength >= 0) framing = `Content-Length: ${knownLength}\r\n`;
      else if (this.#http11) {
        this.#chunked = true;
        framing = 'Transfer-Encoding: chunked\r\n';
      } else this.shouldKeepAlive = false; // HTTP/1.0: the close ends the body
    }
    let head = this.#pendingHead!;
    if (!this.#hasDate) head += `Date: ${httpDate()}\r\n`;
    head += this.shouldKeepAlive ? `Connection: keep-alive\r\nKeep-Alive: timeout=${this.#owner.keepAliveTimeoutSec}\r\n` : 'Connection: close\r\n';
    this.headersSent = true;
    this.#pendingHead = undefined;
    return `${head}${framing}\r\n`;
  }

  write(data: Uint8Array | string): boolean {
    const socket = this.#owner.socket;
    // After end, or on a closed connection, bytes have nowhere to go (node:http reports the former
    // as an 'error' event; the data plane never does either, tests/sink-order checks it).
    if (this.writableEnded || socket.destroyed) return false;
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (!this.headersSent) {
      socket.cork();
      socket.write(this.#finalHead(-1), 'latin1');
      const ok = this.#body(socket, chunk);
      socket.uncork();
      return ok;
    }
    return this.#body(socket, chunk);
  }

  #body(socket: Socket, chunk: Uint8Array): boolean {
    if (!this.#hasBody || chunk.length === 0) return !socket.writableNeedDrain;
    if (!this.#chunked) return socket.write(chunk);
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    return socket.write(CRLF, 'latin1');
  }

  addTrailers(trailers: Readonly<Record<string, string | readonly string[] | undefined>>): void {
    let t = '';
    for (const k in trailers) {
      const v = trailers[k];
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v as string]) t += fieldLine('Trailer', k, one);
    }
    this.#trailers = (this.#trailers ?? '') + t;
  }

  end(data?: Uint8Array | string): this {
    if (this.writableEnded) return this;
    const socket = this.#owner.socket;
    const chunk = data === undefined ? undefined : typeof data === 'string' ? Buffer.from(data) : data;
    this.writableEnded = true;
    if (socket.destroyed) return this;
    socket.cork();
    // A head from writeHead (still pending) frames as node:http does for it: without a length.
    if (!this.headersSent) socket.write(this.#finalHead(this.#pendingHead !== undefined ? -1 : chunk?.length ?? 0), 'latin1');
    if (chunk && chunk.length > 0) this.#body(socket, chunk);
    if (this.#chunked) socket.write(this.#trailers === undefined ? LAST_CHUNK : `0\r\n${this.#trailers}\r\n`, 'latin1');
    socket.uncork();
    // 'finish' once the kernel has every byte, and never synchronously: the next pipelined request
    // starts from there, so a chain of them does not recurse. Usually the kernel took them all in
    // the uncork above (nothing left queued): then a tick is enough. An empty write with a callback
    // would tell the same, at the price of a write system call per response (strace showed it).
    if (socket.writableLength === 0) process.nextTick(finishedIfConnected, this, socket);
    else {
      socket.write('', 'latin1', (err) => {
        // A connection destroyed before the bytes left reports the response as closed, not finished.
        if (!err) this.#finished();
      });
    }
    return this;
  }

  /** {@link end}'s tick: as a write callback would, a connection destroyed meanwhile means closed, not finished. */
  static finishedIfConnected(res: LeanResponse, socket: Socket): void {
    if (!socket.destroyed) res.#finished();
  }

  #finished(): void {
    if (this.#closed) return;
    this.writableFinished = true;
    this.emit('finish');
    this.#emitClose();
    this.#owner.responseDone(this.shouldKeepAlive);
  }

  destroy(): this {
    this.#owner.socket.destroy();
    return this;
  }

  /** The connection closed: 'close' once (before the response finished, writableFinished stays false). */
  connectionClosed(): void {
    this.#emitClose();
  }

  #emitClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }
}

const finishedIfConnected = LeanResponse.finishedIfConnected;
