/**
 * One client request through the gateway: route, plugin chain (host's HttpStream), upstream, and
 * back. This file is the adapter between Node's http objects and the host's neutral stream model.
 */
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ERROR_CODE_HEADER, HeaderMap, HttpStream, ResponseFlag, utf8Encode, type ChainFilter, type Peer, type StreamFacts, type StreamSink,
  type UpstreamFacts, type UpstreamFailureKind,
} from '@wasmgate/host';
import { matchRoute, normalizeHost, pickDestination, upstreamRequest } from '../config/match-route.js';
import type { Config, HostPort, RouteConfig } from '../config/types.js';
import {
  applyEdgeHeaders, outgoingHeaderList, outgoingHeaders, rawHeader, requestHasBody, requestHeadProblem, requestHeaderMap, responseHeaderMap, trailerPairs,
} from './headers.js';
import type { Upstream, UpstreamCall, UpstreamSocket } from './upstream.js';
import { h2UpstreamFor } from './upstream-h2.js';
import { accessLogFormatter } from './access-log.js';
import { startObservation } from '../observability/exchange-observer.js';
import { tlsFactsOf } from './tls-server.js';

/** What an exchange needs from the gateway generation it started on. */
export interface ExchangeContext {
  readonly config: Config;
  /** The upstream client of the generation (pooled keep-alive connections). */
  readonly upstream: Upstream;
  /** The chain for a route and host (plugins in order, scoped; undefined entry = refuse with 503). */
  chainFor(route: RouteConfig | undefined, host: string): ChainFilter[] | { unavailable: string };
  /** Access-log sink: one formatted line (the config's accessLog format) per exchange. */
  accessLog?(line: string): void;
  /** Released when the exchange is over (drain tracking for hot reload). */
  done(): void;
}

const NO_BODY = new Uint8Array(0);
let nextConnectionId = 1;
/**
 * connection.id must be unique in the process, and every worker thread counts its own connections:
 * the low 16 bits carry the thread id (Node numbers threads from 1; the main thread is 0).
 */
const connectionIdTag = BigInt(threadId & 0xffff);
const connectionIds = new WeakMap<object, number>();

export function handleExchange(req: IncomingMessage, res: ServerResponse, ctx: ExchangeContext): void {
  const started = Date.now();
  const headers = requestHeaderMap(req);
  applyEdgeHeaders(headers, ctx.config.gateway.edge, req.socket.remoteAddress);
  const requestId = headers.get('x-request-id')!;
  /** Metrics (and the trace, when configured) of this exchange. */
  const obs = startObservation(ctx.config, req, headers);
  const initialVersion = headers.version;
  const authority = headers.get(':authority') ?? '';
  // Higress annotations may match on method, headers and query; weighted routes pick an upstream once.
  let route = pickDestination(matchRoute(ctx.config, authority, headers.get(':path') ?? '/', headers));
  const chain = ctx.chainFor(route, normalizeHost(authority));
  let upstream: UpstreamCall | undefined;
  /** The upstream's response head arrived. */
  let responded = false;
  let overrideHost: HostPort | undefined;
  let clearRouteCache = true;
  let finished = false;
  /** The chain replaced the upstream exchange (local reply): its end is no longer news. */
  let upstreamAborted = false;
  let status = 0;
  let bytesOut = 0;
  // For the access log: references and numbers only, read by the formatter at the end.
  let bytesIn = 0;
  let requestEndMs: number | undefined;
  let upstreamFirstByteMs: number | undefined;
  let respHeaders: HeaderMap | undefined;
  let respTrailers: HeaderMap | undefined;
  // HTTP/2 (TLS listener): the session's socket, not the compatibility API's per-stream proxy of it.
  const socket = (req as { stream?: { session?: { socket?: IncomingMessage['socket'] } } }).stream?.session?.socket ?? req.socket;
  if (!connectionIds.has(socket)) connectionIds.set(socket, nextConnectionId++);

  /** The upstream the request went to, for the `upstream.*` attributes. */
  let upstreamFacts: UpstreamFacts | undefined;

  /** A reply of the gateway's own; `details` and `flag` are Envoy's where Envoy has them. */
  const hostReply = (code: number, wg: string, text: string, details = wg.toLowerCase(), flag = 0) => {
    stream.responseFlags |= flag;
    stream.sendLocalReply({ status: code, details, body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, wg]], grpcStatus: undefined });
  };
  /** An upstream failure: a 503/504 before its response headers (Envoy's local reply), a reset after. */
  const upstreamFailed = (kind: UpstreamFailureKind, status: number, wg: string, text: string) => {
    stream.upstreamFailed(kind, { status, body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, wg]], grpcStatus: undefined });
  };

  // A plugin may pause a request (or a response) and never resume it — e.g. a callout it never
  // hears back from. Envoy's route timeout covers that; ours: if nothing went upstream (or nothing
  // came back downstream) within upstreamTimeoutMs of the pause, answer 504 WG_PROXY_STREAM_TIMEOUT.
  let stallTimer: NodeJS.Timeout | undefined;
  /** The whole request went upstream: from then on the upstream timeout applies instead. */
  let upstreamEnded = false;
  const endUpstream = (trailers?: Record<string, string>) => {
    upstreamEnded = true;
    clearTimeout(stallTimer);
    upstream?.end(trailers);
  };
  const watchStall = (phase: 'request' | 'response') => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      if (finished || stream.localReply || stream.responseStarted) return;
      if (phase === 'request' && upstreamEnded) return;
      const who = phase === 'request' ? 'the request' : 'the response';
      hostReply(504, 'WG_PROXY_STREAM_TIMEOUT', `a plugin paused ${who} and did not resume it within ${ctx.config.gateway.upstreamTimeoutMs} ms`,
        'stream_idle_timeout', ResponseFlag.StreamIdleTimeout);
    }, ctx.config.gateway.upstreamTimeoutMs);
    stallTimer.unref();
  };

  const startUpstream = (map: HeaderMap, eos: boolean) => {
    // A plugin that changed :path, :authority or headers makes Envoy pick the route again.
    if (clearRouteCache && map.version !== initialVersion) {
      route = pickDestination(matchRoute(ctx.config, map.get(':authority') ?? '', map.get(':path') ?? '/', map)) ?? route;
    }
    if (!route) return hostReply(404, 'WG_PROXY_NO_ROUTE', `no route for ${authority}${map.get(':path') ?? ''}`, 'route_not_found', ResponseFlag.NoRouteFound);
    const endpoint = overrideHost ?? route.endpoints[Math.floor(Math.random() * route.endpoints.length)];
    if (!endpoint) return hostReply(503, 'WG_PROXY_UPSTREAM_UNREACHABLE', `route ${route.name} has no endpoints`, 'no_healthy_upstream', ResponseFlag.NoHealthyUpstream);
    upstreamFacts = { address: { ip: endpoint.host, port: endpoint.port }, transportFailureReason: '' };
    const out = outgoingHeaders(map);
    // Route rewrites (rewrite-path/-target, upstream-vhost) change only what the upstream sees.
    const target = upstreamRequest(route, map.get(':path') ?? '/', map.get(':authority') ?? authority);
    out.host = target.authority;
    obs.upstreamStart(route.name, route.clusterName, out);
    let noBody = false;
    // backend-protocol GRPC/GRPCS/HTTP2: HTTP/2 to the upstream (upstream-h2.ts).
    upstream = (route.http2 ? h2UpstreamFor(ctx.upstream) : ctx.upstream).call({
      host: endpoint.host, port: endpoint.port, method: map.get(':method') ?? 'GET', path: target.path,
      ...(route.tls ? { tls: true, ...(route.sni !== undefined ? { servername: route.sni } : {}) } : {}),
      headers: out, timeoutMs: ctx.config.gateway.upstreamTimeoutMs,
    }, !eos, {
      connected(s: UpstreamSocket) {
        upstreamFacts = {
          address: { ip: s.remoteAddress, port: s.remotePort }, localAddress: { ip: s.localAddress, port: s.localPort }, transportFailureReason: '',
        };
      },
      response(code, raw) {
        responded = true;
        upstreamFirstByteMs = Date.now();
        obs.upstreamResponse(code);
        const cl = rawHeader(raw, 'content-length');
        noBody = req.method === 'HEAD' || code === 204 || code === 304 || cl === '0';
        stream.responseHeaders(responseHeaderMap(code, raw), noBody && rawHeader(raw, 'trailer') === undefined);
        if (!stream.responseStarted && !stream.localReply) watchStall('response');
      },
      data: (chunk) => stream.responseData(chunk, false),
      end(trailers) {
        if (trailers.length > 0) stream.responseTrailers(new HeaderMap(trailers));
        else if (!noBody) stream.responseData(NO_BODY, true);
      },
      fail(why, code) {
        if (why === 'timeout') {
          obs.upstreamFailed('timeout');
          upstreamFailed('timeout', 504, 'WG_PROXY_UPSTREAM_TIMEOUT', 'upstream request timeout');
        } else if (why === 'overflow') {
          if (stream.localReply || finished) return;
          obs.upstreamFailed('connect');
          hostReply(503, 'WG_PROXY_UPSTREAM_OVERFLOW', 'upstream connection pool and its pending-request queue are full',
            'upstream_reset_before_response_started{overflow}', UPSTREAM_OVERFLOW);
        } else if (why === 'protocol') {
          if (stream.localReply || finished) return;
          if (!responded) obs.upstreamFailed('connect');
          const text = 'upstream sent a response that is not valid HTTP';
          if (responded) upstreamFailed('remote_reset', 502, 'WG_PROXY_UPSTREAM_PROTOCOL', text);
          else hostReply(502, 'WG_PROXY_UPSTREAM_PROTOCOL', text, 'upstream_reset_before_response_started{protocol_error}', UPSTREAM_PROTOCOL_ERROR);
        } else if (why === 'closed') {
          if (!upstreamAborted && !finished) upstreamFailed('remote_reset', 502, 'WG_PROXY_UPSTREAM_UNREACHABLE', 'upstream reset');
        } else {
          if (stream.localReply || finished) return;
          if (!responded) obs.upstreamFailed('connect');
          const refused = code !== undefined && CONNECT_FAILURES.has(code);
          if (refused && upstreamFacts) upstreamFacts = { ...upstreamFacts, transportFailureReason: code };
          const kind: UpstreamFailureKind = responded ? 'remote_reset' : refused ? 'connection_failure' : 'connection_termination';
          upstreamFailed(kind, 503, 'WG_PROXY_UPSTREAM_UNREACHABLE', 'upstream connect error or disconnect/reset before headers');
        }
      },
    });
    if (eos) endUpstream();
  };

  const sink: StreamSink = {
    requestHeaders: (map, eos) => startUpstream(map, eos),
    requestData(data, eos) {
      if (!upstream) return;
      if (data.length > 0 && !upstream.write(data)) {
        req.pause();
        // Waiting on the upstream (a full socket, or a queue for a pooled connection) is not a plugin
        // stall: the upstream call has timeouts of its own.
        clearTimeout(stallTimer);
        upstream.onDrain(() => {
          if (!upstreamEnded && !finished) watchStall('request');
          req.resume();
        });
      }
      if (eos) endUpstream();
    },
    requestTrailers(t) {
      if (!upstream) return;
      endUpstream(Object.fromEntries(t.pairs));
    },
    responseHeaders(map, eos) {
      respHeaders = map;
      status = Number(map.get(':status')) || 502;
      if (eos && req.httpVersionMajor === 2) {
        // HTTP/2: writeHead sends a HEADERS frame on its own; ending here puts END_STREAM on it, as a
        // gRPC Trailers-Only answer needs (grpc-status in the one HEADERS frame).
        res.statusCode = status;
        const out = outgoingHeaders(map);
        for (const k in out) if (out[k] !== undefined) res.setHeader(k, out[k]!);
        res.end();
        return;
      }
      res.writeHead(status, outgoingHeaderList(map));
      if (eos) res.end();
    },
    responseData(data, eos) {
      bytesOut += data.length;
      if (data.length > 0 && !res.write(data) && responded) {
        upstream?.pause();
        res.once('drain', () => upstream?.resume());
      }
      if (eos) res.end();
    },
    responseTrailers(t) {
      respTrailers = t;
      res.addTrailers(Object.fromEntries(t.pairs));
      res.end();
    },
    abortUpstream() {
      upstreamAborted = true;
      upstream?.destroy();
      req.resume(); // drain what the client still sends
    },
    reset() {
      upstream?.destroy();
      res.destroy();
    },
    pause(direction, paused) {
      if (direction === 'request') {
        if (paused) req.pause();
        else req.resume();
      } else if (responded) {
        if (paused) upstream?.pause();
        else upstream?.resume();
      }
    },
  };

  const facts: StreamFacts = {
    startNanos: BigInt(started) * 1_000_000n,
    nowNanos: () => BigInt(Date.now()) * 1_000_000n,
    protocol: req.httpVersionMajor === 2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
    scheme: (socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    source: peer(socket.remoteAddress, socket.remotePort),
    destination: peer(socket.localAddress, socket.localPort),
    connectionId: (BigInt(connectionIds.get(socket) ?? 0) << 16n) | connectionIdTag,
    requestedServerName: (socket as { servername?: string | false }).servername || '',
    tls: () => tlsFactsOf(socket),
    listenerDirection: LISTENER_OUTBOUND,
    routeName: () => route?.name,
    clusterName: () => route?.clusterName,
    upstream: () => upstreamFacts,
  };
  /** A request head refused before routing (Host missing or repeated): no plugin sees it. */
  const badHead = requestHeadProblem(req);
  const stream = new HttpStream(badHead !== undefined || 'unavailable' in chain ? [] : chain, sink, {
    facts,
    phaseTiming: obs.phaseTiming,
    propertySet(key, value) {
      obs.propertySet(key, value);
      if (key === 'clear_route_cache') clearRouteCache = new TextDecoder().decode(value) !== 'off';
    },
    setUpstreamOverrideHost(h) {
      const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(h);
      if (!m) return false;
      overrideHost = { host: m[1]!, port: Number(m[2]) };
      return true;
    },
    requestBufferLimit: ctx.config.gateway.limits.requestBodyBufferBytes,
    responseBufferLimit: ctx.config.gateway.limits.responseBodyBufferBytes,
  });

  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(stallTimer);
    upstream?.destroy();
    stream.finish();
    obs.end({ route: route?.name, cluster: route?.clusterName, method: req.method, status, bytesIn: obs.bytesIn, bytesOut });
    if (ctx.accessLog) {
      ctx.accessLog(accessLogFormatter(ctx.config.gateway)({
        startMs: started, endMs: Date.now(), requestEndMs, upstreamFirstByteMs, requestId, method: req.method, url: req.url, authority,
        requestHeaders: headers, responseHeaders: respHeaders, responseTrailers: respTrailers, status, details: stream.responseCodeDetails,
        responseFlags: stream.responseFlags, bytesReceived: bytesIn, bytesSent: bytesOut, protocol: facts.protocol!,
        routeName: route?.name, clusterName: route?.clusterName, upstreamHost: upstreamFacts?.address, upstreamLocal: upstreamFacts?.localAddress,
        transportFailureReason: upstreamFacts?.transportFailureReason, downstreamRemote: facts.source, downstreamLocal: facts.destination,
        connectionId: facts.connectionId!, property: (k) => stream.storedProperty(k),
      }));
    }
    ctx.done();
  };
  res.on('close', finish);

  if (badHead !== undefined) {
    res.shouldKeepAlive = false;
    hostReply(400, 'WG_PROXY_BAD_REQUEST', badHead, 'http1.codec_error', DOWNSTREAM_PROTOCOL_ERROR);
    req.resume();
    return;
  }
  if ('unavailable' in chain) {
    hostReply(503, 'WG_PROXY_PLUGIN_UNAVAILABLE', chain.unavailable);
    req.resume();
    return;
  }
  const hasBody = requestHasBody(req);
  if (!hasBody) requestEndMs = started;
  stream.requestHeaders(headers, !hasBody);
  if (!upstreamEnded && !stream.localReply) watchStall('request');
  if (hasBody) {
    req.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
      // While nothing went upstream, a slow but live upload is not a stall.
      if (!upstreamEnded && stallTimer) watchStall('request');
      obs.bytesIn += chunk.length;
      stream.requestData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), false);
    });
    req.on('end', () => {
      requestEndMs = Date.now();
      const t = trailerPairs(req.trailers);
      if (t.length > 0) stream.requestTrailers(new HeaderMap(t));
      else stream.requestData(NO_BODY, true);
    });
  }
  req.on('aborted', () => {
    stream.responseFlags |= ResponseFlag.DownstreamConnectionTermination;
    stream.responseCodeDetails ||= 'downstream_remote_disconnect';
    stream.reset('downstream closed');
  });
}

function pathOnly(p: string): string {
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}

/** Node error codes that mean no connection was made (Envoy: connection_failure, flag UF). */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** Envoy response flags the host's ResponseFlag does not list: DPE, UO and UPE. */
const DOWNSTREAM_PROTOCOL_ERROR = 0x40000;
const UPSTREAM_OVERFLOW = 0x80;
const UPSTREAM_PROTOCOL_ERROR = 0x800000;

/** Envoy's TrafficDirection OUTBOUND: how Istio (and so Higress) configures gateway listeners. */
const LISTENER_OUTBOUND = 2n;

function peer(ip: string | undefined, port: number | undefined): Peer | undefined {
  return ip === undefined || port === undefined ? undefined : { ip, port };
}
