/**
 * The HTTP client behind `proxy_http_call`: one request to a resolved upstream, the whole
 * response buffered for the plugin (maps 6/7, buffer 4). Like Envoy's async client it sets
 * `content-length` and adds no `x-forwarded-for`.
 * @see Proxy-Wasm ABI reference (shared/reference/proxy-wasm-abi.md) §4 (proxy_http_call) and §8 (HTTP clients)
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';

/** Why a callout failed; the plugin gets a failed callout either way. */
export type CalloutErrorKind = 'timeout' | 'connect' | 'reset' | 'overflow';

/** A failed {@link httpCallout}. */
export class CalloutError extends Error {
  readonly kind: CalloutErrorKind;
  constructor(kind: CalloutErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CalloutError';
    this.kind = kind;
  }
}

/** What the plugin asked for, after the cluster was resolved to an endpoint. */
export interface CalloutRequest {
  readonly host: string;
  readonly port: number;
  /** Chosen per cluster by the gateway (Envoy ignores `:scheme`). */
  readonly tls?: boolean | undefined;
  /** TLS server name (an McpBridge registry's `sni`); default: from the authority. */
  readonly servername?: string | undefined;
  readonly method: string;
  readonly path: string;
  /** Sent as `host`. */
  readonly authority: string;
  /** Plugin headers without pseudo-headers, in order; repeated names are kept. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
  /** Whole exchange, request start to last body byte; 0 = no limit. */
  readonly timeoutMs: number;
}

/** The buffered response, shaped for the ABI's header maps. */
export interface CalloutResponse {
  readonly status: number;
  /** `[":status", "<code>"]` first, then lower-cased response headers in wire order. */
  readonly headers: [string, string][];
  readonly body: Uint8Array;
  readonly trailers: [string, string][];
}

/** Keep-alive agents shared by every callout of a gateway, one per transport. */
export interface CalloutAgent {
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** Closes idle sockets; call on shutdown. */
  destroy(): void;
}

/** Options for {@link httpCallout}. */
export interface CalloutOptions {
  readonly agent: CalloutAgent;
  /** Largest response body accepted; bigger ones fail with kind `overflow`. Default 16 MiB. */
  readonly maxBodyBytes?: number | undefined;
  /** For test servers with their own CA; production uses the system store. */
  readonly tls?: Pick<https.RequestOptions, 'ca' | 'rejectUnauthorized' | 'servername'> | undefined;
}

/** Default cap on a buffered callout response body. */
export const DEFAULT_MAX_CALLOUT_BODY = 16 * 1024 * 1024;

/**
 * Creates the keep-alive agents callouts reuse connections through.
 * @example
 * const agent = createCalloutAgent();
 * const res = await httpCallout({ host: '10.0.0.5', port: 80, method: 'GET', path: '/auth',
 *   authority: 'auth.default.svc', headers: [], body: new Uint8Array(), timeoutMs: 500 }, { agent });
 */
export function createCalloutAgent(options: { maxSockets?: number } = {}): CalloutAgent {
  const opts = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const h = new http.Agent(opts);
  const s = new https.Agent(opts);
  return { http: h, https: s, destroy: () => { h.destroy(); s.destroy(); } };
}

/** Headers the transport owns: framing, connection management and the target host. */
const TRANSPORT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te']);
/** Methods where an empty body means no body; others get `content-length: 0` rather than chunked. */
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
/** Methods safe to resend when a pooled connection turns out to be closed (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Errors raised on a reused pooled socket before any response arrived. */
const staleSocket = new WeakSet<CalloutError>();
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT']);

/**
 * Sends one request and buffers the response.
 * @throws CalloutError `connect` (nothing reached the server), `reset` (connection dropped
 * mid-exchange), `timeout`, or `overflow` (body above `maxBodyBytes`).
 * @throws TypeError from node:http, before anything is sent, when a header name or value is not
 * valid HTTP (for example contains CR/LF); the hostcall should treat that as a bad argument.
 * @see Proxy-Wasm ABI reference (shared/reference/proxy-wasm-abi.md) §4 (proxy_http_call)
 */
export async function httpCallout(req: CalloutRequest, opts: CalloutOptions): Promise<CalloutResponse> {
  try {
    return await attempt(req, opts);
  } catch (e) {
    // A pooled socket the server closed while idle fails at once; Node's docs advise one retry,
    // which is safe only for idempotent methods.
    if (e instanceof CalloutError && staleSocket.has(e) && IDEMPOTENT.has(req.method.toUpperCase())) {
      return attempt(req, opts);
    }
    throw e;
  }
}

function attempt(req: CalloutRequest, opts: CalloutOptions): Promise<CalloutResponse> {
  const max = opts.maxBodyBytes ?? DEFAULT_MAX_CALLOUT_BODY;
  const method = req.method.toUpperCase();
  const raw: string[] = ['host', req.authority];
  for (const [k, v] of req.headers) {
    if (k.startsWith(':') || TRANSPORT_HEADERS.has(k.toLowerCase())) continue;
    raw.push(k, v);
  }
  if (req.body.length > 0 || !BODYLESS.has(method)) raw.push('content-length', String(req.body.length));
  const target = `${req.host}:${req.port}`;

  return new Promise<CalloutResponse>((resolve, reject) => {
    let connected = false;
    let responded = false;
    let settled = false;
    const finish = (err: CalloutError | undefined, res?: CalloutResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        r.destroy();
        reject(err);
      } else if (res) resolve(res);
    };
    const common = { host: req.host, port: req.port, method, path: req.path, headers: raw, setHost: false };
    const r = req.tls
      ? https.request({ ...common, ...opts.tls, servername: req.servername ?? opts.tls?.servername ?? sniName(req.authority), agent: opts.agent.https })
      : http.request({ ...common, agent: opts.agent.http });
    const timer = req.timeoutMs > 0
      ? setTimeout(() => finish(new CalloutError('timeout', `callout to ${target} timed out after ${req.timeoutMs} ms`)), req.timeoutMs)
      : undefined;

    r.on('socket', (s) => {
      // A reused keep-alive socket is already connected; a fresh one reports when it is.
      if (!s.connecting) connected = true;
      else s.once(req.tls ? 'secureConnect' : 'connect', () => { connected = true; });
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      const kind = !connected || (err.code !== undefined && CONNECT_CODES.has(err.code)) ? 'connect' : 'reset';
      const e = new CalloutError(kind, `callout to ${target}: ${err.code ?? err.message}`, { cause: err });
      if (kind === 'reset' && r.reusedSocket && !responded) staleSocket.add(e);
      finish(e);
    });
    r.on('response', (res) => {
      responded = true;
      // A HEAD response declares the length of a body it does not carry.
      const declared = method === 'HEAD' ? 0 : Number(res.headers['content-length']);
      if (declared > max) {
        finish(new CalloutError('overflow', `callout to ${target}: response body of ${declared} bytes exceeds ${max}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) finish(new CalloutError('overflow', `callout to ${target}: response body exceeds ${max} bytes`));
        else chunks.push(c);
      });
      res.on('error', (err: NodeJS.ErrnoException) => {
        finish(new CalloutError('reset', `callout to ${target}: response interrupted (${err.code ?? err.message})`, { cause: err }));
      });
      res.on('end', () => {
        if (!res.complete) {
          finish(new CalloutError('reset', `callout to ${target}: connection closed before the response ended`));
          return;
        }
        const status = res.statusCode ?? 502;
        finish(undefined, {
          status,
          headers: [[':status', String(status)], ...pairs(res.rawHeaders)],
          body: Buffer.concat(chunks, size),
          trailers: pairs(res.rawTrailers),
        });
      });
    });
    r.end(req.body.length > 0 ? req.body : undefined);
  });
}

/** `[k1, v1, k2, v2, …]` (Node's raw form) to lower-cased pairs, order and repeats kept. */
function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([(raw[i] ?? '').toLowerCase(), raw[i + 1] ?? '']);
  return out;
}

/**
 * SNI and certificate name from the authority (the endpoint host is often a bare IP), without the
 * port; undefined for IP literals, which RFC 6066 forbids as SNI.
 */
function sniName(authority: string): string | undefined {
  if (authority.startsWith('[')) return undefined;
  const colon = authority.lastIndexOf(':');
  const name = colon === -1 ? authority : authority.slice(0, colon);
  return name === '' || isIP(name) !== 0 ? undefined : name;
}
