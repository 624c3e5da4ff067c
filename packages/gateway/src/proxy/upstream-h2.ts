/**
 * HTTP/2 upstream calls, for routes whose Ingress says `backend-protocol: GRPC` / `GRPCS` / `HTTP2`:
 * one node:http2 session per endpoint (cleartext with prior knowledge, or TLS with ALPN h2), one
 * stream per request. Response trailers (grpc-status, grpc-message) reach the exchange's `end`.
 * Request trailers are not sent (gRPC clients send none).
 */
import http2 from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Upstream, UpstreamCall, UpstreamEvents, UpstreamTarget } from './upstream.js';

/** An idle HTTP/2 session closes after this long. */
const SESSION_IDLE_MS = 30_000;

const byUpstream = new WeakMap<Upstream, H2Sessions>();

/** Closes the HTTP/2 sessions of an Upstream (Upstream.close, when its generation has drained). */
export function closeH2Sessions(upstream: Upstream): void {
  byUpstream.get(upstream)?.close();
  byUpstream.delete(upstream);
}

/** The HTTP/2 sessions that go with one generation's Upstream (its pool gate does not apply to them). */
export function h2UpstreamFor(upstream: Upstream): H2Sessions {
  let s = byUpstream.get(upstream);
  if (!s) byUpstream.set(upstream, (s = new H2Sessions()));
  return s;
}

/** Connection-specific headers HTTP/2 forbids (RFC 9113 §8.2.2). */
const FORBIDDEN = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);

export class H2Sessions {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  #session(t: UpstreamTarget): http2.ClientHttp2Session {
    const key = `${t.tls ? 's' : 'c'}|${t.host}|${t.port}|${t.servername ?? ''}`;
    const existing = this.#sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    const session = t.tls
      ? http2.connect(`https://${host}:${t.port}`, { ALPNProtocols: ['h2'], ...(t.servername !== undefined ? { servername: t.servername } : {}) })
      : http2.connect(`http://${host}:${t.port}`);
    // Each stream reports its own failure; the session's error code (ECONNREFUSED …) is kept for it.
    session.on('error', (e: NodeJS.ErrnoException) => void sessionErrors.set(session, e.code ?? 'ERR_HTTP2_SESSION_ERROR'));
    const forget = () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    };
    session.on('close', forget);
    session.on('goaway', forget);
    session.setTimeout(SESSION_IDLE_MS, () => session.close());
    session.unref();
    this.#sessions.set(key, session);
    return session;
  }

  /** Same shape as Upstream.call; `hasBody` does not matter here. */
  call(t: UpstreamTarget, _hasBody: boolean, events: UpstreamEvents): UpstreamCall {
    const headers: OutgoingHttpHeaders = {
      ':method': t.method, ':path': t.path, ':scheme': t.tls ? 'https' : 'http', ':authority': String(t.headers.host ?? `${t.host}:${t.port}`),
    };
    for (const [k, v] of Object.entries(t.headers)) {
      if (v === undefined || FORBIDDEN.has(k.toLowerCase())) continue;
      headers[k.toLowerCase()] = v;
    }
    // gRPC servers expect `te: trailers` (the one TE value HTTP/2 allows).
    if (String(t.headers['content-type'] ?? '').startsWith('application/grpc') || t.headers.te === 'trailers') headers.te = 'trailers';
    return new H2Call(this.#session(t), headers, t.timeoutMs, events);
  }

  close(): void {
    for (const s of this.#sessions.values()) s.destroy();
    this.#sessions.clear();
  }
}

class H2Call implements UpstreamCall {
  readonly #events: UpstreamEvents;
  readonly #stream: http2.ClientHttp2Stream | undefined;
  #done = false;
  #responded = false;
  #trailers: [string, string][] = [];

  constructor(session: http2.ClientHttp2Session, headers: OutgoingHttpHeaders, timeoutMs: number, events: UpstreamEvents) {
    this.#events = events;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (e) {
      queueMicrotask(() => this.#fail('error', (e as NodeJS.ErrnoException).code));
      return;
    }
    this.#stream = stream;
    const connected = () => {
      const s = session.socket;
      if (!this.#done && s?.remoteAddress !== undefined && s.localAddress !== undefined) {
        events.connected?.({ localAddress: s.localAddress, localPort: s.localPort ?? 0, remoteAddress: s.remoteAddress, remotePort: s.remotePort ?? 0 });
      }
    };
    if (session.connecting) session.once('connect', connected);
    else connected();
    if (timeoutMs > 0) stream.setTimeout(timeoutMs, () => {
      this.#fail('timeout');
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    // A gRPC answer's headers wait for its first message or its trailers: a reply with no message
    // (an error status) then goes out as one Trailers-Only HEADERS frame, which every downstream
    // (HTTP/1.1 included) can carry.
    // Trailers-Only goes on with `content-length: 0`, so the exchange ends the downstream response
    // with its headers (END_STREAM on the HEADERS frame, as gRPC clients need).
    let held: http2.IncomingHttpHeaders | undefined;
    const flush = (trailersOnly = false) => {
      if (!held || this.#done) return;
      const h = held;
      held = undefined;
      events.response(Number(h[':status']), trailersOnly ? [...flatten(h), 'content-length', '0'] : flatten(h));
    };
    stream.on('response', (h, flags) => {
      if (this.#done) return;
      this.#responded = true;
      if (String(h['content-type'] ?? '').startsWith('application/grpc')) {
        held = h;
        if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) flush(true);
      } else events.response(Number(h[':status']), flatten(h));
    });
    stream.on('data', (chunk: Buffer) => {
      flush();
      if (!this.#done) events.data(chunk);
    });
    stream.on('trailers', (h) => {
      if (held) {
        held = { ...held, ...h };
        flush(true);
      } else this.#trailers = pairs(h);
    });
    stream.on('end', () => {
      if (this.#done || !this.#responded) return;
      flush();
      this.#done = true;
      events.end(this.#trailers);
    });
    let errorCode: string | undefined;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      errorCode = e.code;
    });
    stream.on('close', () => {
      if (this.#done) return;
      if (!this.#responded) return this.#fail(errorCode === 'ERR_HTTP2_ERROR' ? 'protocol' : 'error', sessionCode(session) ?? errorCode);
      this.#fail('closed', errorCode);
    });
  }

  #fail(why: Parameters<UpstreamEvents['fail']>[0], code?: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#events.fail(why, code);
  }

  write(chunk: Uint8Array): boolean {
    const s = this.#stream;
    if (!s || s.writableEnded || s.destroyed) return true;
    return s.write(chunk);
  }

  onDrain(fn: () => void): void {
    if (this.#stream) this.#stream.once('drain', fn);
    else queueMicrotask(fn);
  }

  end(): void {
    const s = this.#stream;
    if (s && !s.writableEnded && !s.destroyed) s.end();
  }

  pause(): void {
    this.#stream?.pause();
  }

  resume(): void {
    this.#stream?.resume();
  }

  destroy(): void {
    this.#done = true;
    const s = this.#stream;
    if (s && !s.closed) s.close(http2.constants.NGHTTP2_CANCEL);
  }
}

/** The connect error that failed the session (ECONNREFUSED …), for the refused/terminated split. */
function sessionCode(session: http2.ClientHttp2Session): string | undefined {
  return sessionErrors.get(session);
}

const sessionErrors = new WeakMap<http2.ClientHttp2Session, string>();

function pairs(h: http2.IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [String(v)]) out.push([k, x]);
  }
  return out;
}

function flatten(h: http2.IncomingHttpHeaders): string[] {
  return pairs(h).flat();
}
