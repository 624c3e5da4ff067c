/**
 * The two HTTP clients behind {@link Upstream}: undici for requests without a body (pooled
 * keep-alive, fastest), node:http(s) for requests with a body (streamed with back-pressure, request
 * trailers). Both report the same events and failures, so the exchange cannot tell them apart.
 */
import { subscribe } from 'node:diagnostics_channel';
import { request as httpRequest, type Agent as HttpAgent, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { trailerPairs } from './headers.js';
import type { UpstreamCall, UpstreamEvents, UpstreamFailure, UpstreamSocket, UpstreamTarget } from './upstream.js';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** A bodiless request through undici's dispatcher, using its (allocation-light) handler callbacks. */
export class UndiciCall implements UpstreamCall, Dispatcher.DispatchHandler {
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

export function socketEnds(s: Socket): UpstreamSocket | undefined {
  if (s.localAddress === undefined || s.remoteAddress === undefined) return undefined;
  return { localAddress: s.localAddress, localPort: s.localPort ?? 0, remoteAddress: s.remoteAddress, remotePort: s.remotePort ?? 0 };
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

export class NodeCall implements UpstreamCall {
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
