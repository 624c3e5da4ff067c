/**
 * The HTTPS data-plane server of one worker (`Gateway` `listenTls`): node:http2's secure server with
 * `allowHTTP1`, so ALPN picks h2 or http/1.1 per connection, and every request goes through the
 * same exchange as on the plain listener (the http2 compatibility API's request/response objects).
 *
 * Certificates come from the generation current at the handshake: SNICallback looks the server name
 * up in its `config.tls` (exact, then `*.suffix`, else the first certificate), so a reload with a new
 * Secret serves the new certificate on new connections without touching the listener. Connections
 * without SNI get the default certificate, which `setDefaultCertificate` updates on each commit.
 */
import { createSecureServer, createServer, type Http2SecureServer, type Http2Server, type Http2Session, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { CertificateFacts, TlsFacts } from '@wasmgate/host';
import type { Generation } from '../generation.js';
import { certificateFor } from '../config/resolve-tls.js';
import type { Config, TlsCertificate } from '../config/types.js';
import { requestHeaderMap } from './headers.js';
import { matchRoute } from '../config/match-route.js';
import type { Fallback, LeanH1 } from './h1/lean-server.js';
import { onClientError, pipelinedHandOvers } from './client-error.js';

const NO_BYTES = Buffer.alloc(0);

/** A certificate's secure context, built once per certificate object (i.e. per generation). */
const contexts = new WeakMap<TlsCertificate, SecureContext>();

/** The options of a certificate's context; without a client CA its own chain stands in, so the CertificateRequest lists no foreign CAs. */
function contextOptions(c: TlsCertificate) {
  return { cert: c.cert, key: c.key, ca: c.clientCa ?? c.cert };
}

function contextOf(c: TlsCertificate): SecureContext {
  let ctx = contexts.get(c);
  if (!ctx) contexts.set(c, (ctx = createSecureContext(contextOptions(c))));
  return ctx;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createTlsDataServer(current: () => Generation, handler: RequestHandler, lean?: (server: Http2SecureServer) => LeanH1): Http2SecureServer {
  const server = createSecureServer({
    allowHTTP1: true,
    // Client certificates are asked for always (one listener serves every host) and checked per
    // host in 'secureConnection': hosts without auth-tls-secret accept connections without one.
    requestCert: true,
    rejectUnauthorized: false,
    SNICallback(servername, cb) {
      const c = certificateFor(current().config.tls, servername);
      if (c) cb(null, contextOf(c));
      else cb(new Error(`no certificate for ${servername}`));
    },
  }, (req: Http2ServerRequest, res: Http2ServerResponse) => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  // node:http2's own handling of a connection (h2, or node:http for HTTP/1.1 with allowHTTP1).
  const toNode = takeOver(server, 'secureConnection');
  // HTTP/1.1 here follows the plain listener's rule for malformed heads (node's default would answer
  // 400 at once, in place of a response still owed to an earlier request on the connection).
  server.on('clientError', onClientError);
  // HTTP/1.1 (by ALPN, or without ALPN) through the lean server when there is one, as on the plain
  // listener; it hands what it does not take to node:http2's HTTP/1 handling.
  const http1 = lean?.(server);
  server.on('secureConnection', (socket: TLSSocket) => {
    const c = certificateFor(current().config.tls, (socket as TLSSocket & { servername?: string | false }).servername || undefined);
    // mTLS for this host: a connection without a certificate chaining to its CA is closed.
    if (c?.clientCa && !socket.authorized) return void socket.destroy();
    const alpn = socket.alpnProtocol;
    if (http1 && (alpn === false || alpn === 'http/1.1')) http1.accept(socket, NO_BYTES, toNode);
    else toNode(socket, NO_BYTES, false);
  });
  // A failed handshake or a protocol error concerns that connection only.
  server.on('tlsClientError', (_e, socket) => socket.destroy());
  return server;
}

/** Makes the generation's first certificate the one served without SNI (or with an unknown name). */
export function setDefaultCertificate(server: Http2SecureServer, config: Config): void {
  const c = config.tls?.certificates[0];
  if (c) server.setSecureContext(contextOptions(c));
}

/**
 * `ssl-redirect` on the plain listener: a request whose route comes from an Ingress with the
 * annotation is answered 308 to the same host and path on https (the TLS listener's port unless 443),
 * as Higress (Envoy's https_redirect with 308). True when it answered.
 */
export function sslRedirect(config: Config, tlsPort: number | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  const redirects = config.tls?.sslRedirect;
  if (!redirects || redirects.length === 0 || tlsPort === undefined) return false;
  const headers = requestHeaderMap(req);
  const authority = headers.get(':authority') ?? '';
  const path = headers.get(':path') ?? '/';
  const route = matchRoute(config, authority, path, headers);
  if (!route || !redirects.includes(`${route.namespace}/${route.ingress}`)) return false;
  const host = authority.startsWith('[') ? authority.slice(0, authority.indexOf(']') + 1) : authority.split(':')[0]!;
  const location = `https://${host}${tlsPort === 443 ? '' : `:${tlsPort}`}${path}`;
  res.writeHead(308, { location, 'content-length': '0' });
  res.end();
  req.resume();
  return true;
}

/** A Node X509Certificate as the `connection.*_certificate` attributes show it. */
function certificateFacts(c: X509Certificate | undefined): CertificateFacts | undefined {
  if (!c) return undefined;
  // OpenSSL's multi-line subject, most general first; RFC 2253 lists the most specific first.
  const subject = c.subject.split('\n').filter((l) => l !== '').reverse().map((l) => l.replace(/,/g, '\\,')).join(',');
  const sans = (c.subjectAltName ?? '').split(', ').filter((x) => x !== '');
  const of = (prefix: string) => sans.filter((x) => x.startsWith(prefix)).map((x) => x.slice(prefix.length).replace(/^"|"$/g, ''));
  return { subject, uriSans: of('URI:'), dnsSans: of('DNS:'), sha256: c.fingerprint256.replace(/:/g, '').toLowerCase() };
}

const tlsFactsCache = new WeakMap<object, TlsFacts>();

/** The TLS facts of a downstream socket (undefined on plain text), computed once per connection. */
export function tlsFactsOf(socket: unknown): TlsFacts | undefined {
  const s = socket as TLSSocket;
  if (!s || !(s as { encrypted?: boolean }).encrypted) return undefined;
  let facts = tlsFactsCache.get(s);
  if (!facts) {
    const peer = certificateFacts(s.getPeerX509Certificate());
    const local = certificateFacts(s.getX509Certificate());
    facts = { version: s.getProtocol() ?? '', ...(local ? { local } : {}), ...(peer ? { peer } : {}), mtls: peer !== undefined && s.authorized };
    tlsFactsCache.set(s, facts);
  }
  return facts;
}

/** The native handle of an Http2Session (node-internal `kHandle`), for `receive`. */
function kHandleOf(session: Http2Session): { receive(b: Buffer): void } | undefined {
  const sym = Object.getOwnPropertySymbols(session).find((x) => x.description === 'kHandle');
  const h = sym && (session as unknown as Record<symbol, { receive?: unknown }>)[sym];
  return h && typeof h.receive === 'function' ? (h as { receive(b: Buffer): void }) : undefined;
}

/** The start of the HTTP/2 connection preface (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`); no HTTP/1 method is `PRI`. */
/**
 * Takes `server`'s own handling of new connections (its `event` listeners) off the event and returns
 * it as a hand-over: the socket, with the bytes already read from it put back first. `pipelined`:
 * the lean server answered a request on it before (client-error.ts, `pipelinedHandOvers`).
 */
function takeOver(server: Server | Http2SecureServer, event: 'connection' | 'secureConnection'): Fallback {
  const own = server.listeners(event) as ((s: Socket) => void)[];
  server.removeAllListeners(event);
  return (socket, bytes, pipelined) => {
    if (pipelined) pipelinedHandOvers.add(socket);
    if (bytes.length > 0) socket.unshift(bytes);
    for (const l of own) l.call(server, socket);
  };
}

const H2_PREFACE = Buffer.from('PRI ');
const SNIFF_TIMEOUT_MS = 60_000;

/**
 * h2c by prior knowledge on the plain listener: a connection that starts with the HTTP/2 preface is
 * handed to a node:http2 server running the same request handler; any other goes to the lean HTTP/1
 * server when there is one (h1/lean-server.ts, which passes what it does not take on to node:http),
 * else to the HTTP/1 server's own connection handling. The sniffed bytes go with the socket.
 *
 * Until its first bytes arrive a connection belongs to neither server, so node:http's
 * closeIdleConnections/closeAllConnections do not see it: it is kept in `unclaimed` for the caller to
 * close at shutdown. One that ends without a byte (a TCP health check: connect, close) is destroyed at
 * once; half-open, it used to linger until the sniff timeout and held up shutdown by the whole drain.
 */
export function acceptH2c(server: Server, handler: RequestHandler, unclaimed: Set<Socket>, lean?: LeanH1): Http2Server {
  const h2 = createServer({}, (req: Http2ServerRequest, res: Http2ServerResponse) => handler(req as unknown as IncomingMessage, res as unknown as ServerResponse));
  const toNodeHttp = takeOver(server, 'connection');
  server.on('connection', (socket: Socket) => {
    // A connection that never says anything is not kept forever before either server owns it.
    socket.setTimeout(SNIFF_TIMEOUT_MS, () => socket.destroy());
    // Until a server owns the socket, a reset (ECONNRESET …) is this code's to swallow.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    // The client closed its side before a whole request start: there is nothing to answer.
    const onEnd = () => socket.destroy();
    socket.on('end', onEnd);
    unclaimed.add(socket);
    const forget = () => unclaimed.delete(socket);
    socket.once('close', forget);
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (prefix && seen.length < H2_PREFACE.length) return; // too short to tell yet
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', forget);
      forget();
      socket.setTimeout(0);
      socket.pause();
      if (prefix) {
        // node:http2 reads the socket's handle directly and never sees bytes put back with unshift:
        // the sniffed bytes go to the session's native handle, as node:http2 itself does with bytes
        // read before a session exists. Measured simpler than a JS stream wrapper, which loses the
        // socket addresses (source.address, X-Forwarded-For).
        let session: Http2Session | undefined;
        h2.once('session', (s: Http2Session) => { session = s; });
        h2.emit('connection', socket);
        const handle = session && kHandleOf(session);
        if (!handle) {
          socket.destroy();
          return;
        }
        handle.receive(seen);
      } else if (lean) {
        // The lean HTTP/1 server reads on (it may pause the socket itself for back-pressure).
        socket.resume();
        lean.accept(socket, seen, toNodeHttp);
        return;
      } else toNodeHttp(socket, seen, false);
      socket.resume();
    };
    socket.on('data', onData);
  });
  return h2;
}
