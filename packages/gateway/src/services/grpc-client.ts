/**
 * gRPC calls from plugins (proxy_grpc_call / proxy_grpc_stream) over node:http2: one session per
 * endpoint (h2c prior knowledge, or TLS with ALPN h2 for a `tls: true` Service), a stream per call,
 * length-prefixed messages (gRPC over HTTP/2: 1 byte compressed flag, 4 bytes big-endian length).
 * Failures map to gRPC status codes as Envoy's async gRPC client reports them: no connection ⇒ 14
 * UNAVAILABLE, timeout ⇒ 4 DEADLINE_EXCEEDED, a reset ⇒ 14, a non-gRPC answer ⇒ 13 INTERNAL or the
 * HTTP status mapped per the gRPC spec.
 */
import http2 from 'node:http2';
import type { GrpcEvents, GrpcHandle, HeaderPair } from '@wasmgate/host';

export interface GrpcTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly servername: string | undefined;
  /** `:authority`; the cluster name unless the Service says otherwise. */
  readonly authority: string;
}

export interface GrpcOpen {
  readonly service: string;
  readonly method: string;
  readonly metadata: readonly HeaderPair[];
  /** 0 = none. */
  readonly timeoutMs: number;
  readonly unary: boolean;
  /** Unary: the one request message, sent with end of stream. */
  readonly message: Uint8Array;
}

/** grpc-status for an HTTP status that is not 200 (gRPC's http-grpc-status-mapping.md). */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

/** Frames a message: flag 0 (uncompressed), 4-byte big-endian length, bytes. */
export function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Splits gRPC length-prefixed messages out of a byte stream. */
export class MessageReader {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Uint8Array[] | 'compressed' {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: Uint8Array[] = [];
    while (this.#buf.length >= 5) {
      const len = this.#buf.readUInt32BE(1);
      if (this.#buf.length < 5 + len) break;
      if (this.#buf[0] !== 0) return 'compressed';
      out.push(new Uint8Array(this.#buf.subarray(5, 5 + len)));
      this.#buf = this.#buf.subarray(5 + len);
    }
    return out;
  }
}

const SKIP_METADATA = new Set(['content-type', 'grpc-status', 'grpc-message', 'grpc-encoding', 'grpc-accept-encoding', 'te', 'content-length']);

function pairsOf(h: http2.IncomingHttpHeaders): HeaderPair[] {
  const out: HeaderPair[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [String(v)]) out.push([k, x]);
  }
  return out;
}

/** gRPC HTTP/2 sessions to the endpoints of one generation's clusters. */
export class GrpcClient {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  #session(t: GrpcTarget): http2.ClientHttp2Session {
    const key = `${t.tls ? 's' : 'c'}|${t.host}|${t.port}|${t.servername ?? ''}`;
    const existing = this.#sessions.get(key);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const authority = `${t.tls ? 'https' : 'http'}://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
    const session = t.tls
      ? http2.connect(authority, { servername: t.servername ?? (isIp(t.host) ? undefined : t.host), ALPNProtocols: ['h2'] })
      : http2.connect(authority);
    session.on('error', () => undefined); // each stream reports its own failure
    session.on('close', () => {
      if (this.#sessions.get(key) === session) this.#sessions.delete(key);
    });
    session.unref();
    this.#sessions.set(key, session);
    return session;
  }

  /** Opens a call or stream; events are reported asynchronously. */
  open(t: GrpcTarget, o: GrpcOpen, events: GrpcEvents): GrpcHandle {
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (status: number, message: string) => {
      if (over) return;
      over = true;
      if (timer) clearTimeout(timer);
      events.close(status, message);
    };
    let stream: http2.ClientHttp2Stream;
    try {
      const headers: http2.OutgoingHttpHeaders = {
        ':method': 'POST', ':scheme': t.tls ? 'https' : 'http', ':path': `/${o.service}/${o.method}`, ':authority': t.authority,
        'content-type': 'application/grpc', te: 'trailers',
      };
      if (o.timeoutMs > 0) headers['grpc-timeout'] = `${o.timeoutMs}m`;
      for (const [k, v] of o.metadata) {
        const key = k.toLowerCase();
        if (key.startsWith(':') || SKIP_METADATA.has(key)) continue;
        const prev = headers[key];
        headers[key] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v];
      }
      stream = this.#session(t).request(headers, { endStream: false });
    } catch (e) {
      queueMicrotask(() => finish(14, (e as Error).message));
      return { send: () => undefined, closeLocal: () => undefined, cancel: () => void (over = true) };
    }
    if (o.timeoutMs > 0) {
      timer = setTimeout(() => {
        finish(4, 'Deadline Exceeded');
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, o.timeoutMs);
      timer.unref();
    }
    const reader = new MessageReader();
    let gotHeaders = false;
    let firstMessage: Uint8Array | undefined;
    let trailersSeen = false;
    stream.on('response', (h, flags) => {
      if (over) return;
      gotHeaders = true;
      const status = Number(h[':status']);
      const ctype = String(h['content-type'] ?? '');
      if (status !== 200) return finish(grpcStatusForHttp(status), `upstream answered HTTP ${status}`);
      if (!ctype.startsWith('application/grpc')) return finish(13, `upstream answered content-type "${ctype}"`);
      // Trailers-only: the status is in the headers.
      if (h['grpc-status'] !== undefined && (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        trailersSeen = true;
        if (!o.unary) {
          events.initialMetadata([]);
          if (!over) events.trailingMetadata(pairsOf(h).filter(([k]) => !SKIP_METADATA.has(k) || k === 'grpc-status' || k === 'grpc-message'));
        }
        return finish(Number(h['grpc-status']), decodeMessage(h['grpc-message']));
      }
      if (!o.unary) events.initialMetadata(pairsOf(h).filter(([k]) => !SKIP_METADATA.has(k)));
    });
    stream.on('data', (chunk: Buffer) => {
      if (over) return;
      const msgs = reader.push(chunk);
      if (msgs === 'compressed') {
        finish(13, 'compressed gRPC message (wasmgate asks for none)');
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      for (const m of msgs) {
        if (over) return;
        if (o.unary) firstMessage ??= m;
        else events.message(m);
      }
    });
    stream.on('trailers', (h) => {
      if (over) return;
      trailersSeen = true;
      const status = Number(h['grpc-status'] ?? 2);
      const message = decodeMessage(h['grpc-message']);
      if (o.unary) {
        if (status === 0 && firstMessage) {
          over = true;
          if (timer) clearTimeout(timer);
          events.message(firstMessage);
          return;
        }
        return finish(status === 0 ? 13 : status, status === 0 ? 'no response message' : message);
      }
      events.trailingMetadata(pairsOf(h));
      finish(status, message);
    });
    stream.on('close', () => {
      if (over) return;
      if (!gotHeaders) return finish(14, `upstream connect error or disconnect/reset before headers (${t.host}:${t.port})`);
      if (!trailersSeen) return finish(14, 'stream reset before trailers');
      finish(2, 'stream closed');
    });
    stream.on('error', () => undefined); // 'close' follows
    if (o.unary) stream.end(frame(o.message));
    return {
      send: (m, end) => {
        if (over || stream.writableEnded) return;
        if (end) stream.end(frame(m));
        else stream.write(frame(m));
      },
      closeLocal: () => {
        if (!over && !stream.writableEnded) stream.end();
      },
      cancel: () => {
        over = true;
        if (timer) clearTimeout(timer);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      },
    };
  }

  close(): void {
    for (const s of this.#sessions.values()) s.destroy();
    this.#sessions.clear();
  }
}

function decodeMessage(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] ?? '' : v ?? '';
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}
