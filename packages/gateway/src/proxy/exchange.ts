/**
 * One client request through the gateway: route, plugin chain (host's HttpStream), upstream, and
 * back. This file is the adapter between Node's http objects and the host's neutral stream model.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { ERROR_CODE_HEADER, HeaderMap, HttpStream, utf8Encode, type ChainFilter, type PropertyValue, type StreamSink } from '@wasmgate/host';
import { matchRoute, normalizeHost } from '../config/match-route.js';
import type { Config, HostPort, RouteConfig } from '../config/types.js';
import { outgoingHeaders, requestHasBody, requestHeaderMap, responseHeaderMap, trailerPairs } from './headers.js';

/** What an exchange needs from the gateway generation it started on. */
export interface ExchangeContext {
  readonly config: Config;
  readonly agent: Agent;
  /** The chain for a route and host (plugins in order, scoped; undefined entry = refuse with 503). */
  chainFor(route: RouteConfig | undefined, host: string): ChainFilter[] | { unavailable: string };
  accessLog?(entry: Record<string, unknown>): void;
  /** Released when the exchange is over (drain tracking for hot reload). */
  done(): void;
}

const NO_BODY = new Uint8Array(0);
let nextConnectionId = 1;
const connectionIds = new WeakMap<object, number>();

export function handleExchange(req: IncomingMessage, res: ServerResponse, ctx: ExchangeContext): void {
  const started = Date.now();
  const headers = requestHeaderMap(req);
  if (!headers.has('x-request-id')) headers.add('x-request-id', randomUUID());
  const requestId = headers.get('x-request-id')!;
  const initialVersion = headers.version;
  const authority = headers.get(':authority') ?? '';
  let route = matchRoute(ctx.config, authority, pathOnly(headers.get(':path') ?? '/'));
  const chain = ctx.chainFor(route, normalizeHost(authority));
  let upstream: ClientRequest | undefined;
  let upstreamResponse: IncomingMessage | undefined;
  let overrideHost: HostPort | undefined;
  let clearRouteCache = true;
  let finished = false;
  /** The chain replaced the upstream exchange (local reply): its end is no longer news. */
  let upstreamAborted = false;
  let status = 0;
  let bytesOut = 0;
  const socket = req.socket;
  if (!connectionIds.has(socket)) connectionIds.set(socket, nextConnectionId++);

  const hostReply = (code: number, wg: string, text: string) =>
    stream.sendLocalReply({ status: code, details: wg.toLowerCase(), body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, wg]], grpcStatus: undefined });

  const startUpstream = (map: HeaderMap, eos: boolean) => {
    // A plugin that changed :path, :authority or headers makes Envoy pick the route again.
    if (clearRouteCache && map.version !== initialVersion) {
      route = matchRoute(ctx.config, map.get(':authority') ?? '', pathOnly(map.get(':path') ?? '/')) ?? route;
    }
    if (!route) return hostReply(404, 'WG_PROXY_NO_ROUTE', `no route for ${authority}${map.get(':path') ?? ''}`);
    const endpoint = overrideHost ?? route.endpoints[Math.floor(Math.random() * route.endpoints.length)];
    if (!endpoint) return hostReply(503, 'WG_PROXY_UPSTREAM_UNREACHABLE', `route ${route.name} has no endpoints`);
    const out = outgoingHeaders(map);
    out.host = map.get(':authority') ?? authority;
    const up = httpRequest({ host: endpoint.host, port: endpoint.port, method: map.get(':method') ?? 'GET', path: map.get(':path') ?? '/', headers: out, agent: ctx.agent });
    upstream = up;
    up.setTimeout(ctx.config.gateway.upstreamTimeoutMs, () => {
      up.destroy();
      if (!upstreamResponse) hostReply(504, 'WG_PROXY_UPSTREAM_TIMEOUT', 'upstream request timeout');
      else stream.reset('upstream timeout');
    });
    up.on('error', () => {
      if (stream.localReply || finished) return;
      if (!upstreamResponse) hostReply(503, 'WG_PROXY_UPSTREAM_UNREACHABLE', 'upstream connect error or disconnect/reset before headers');
      else stream.reset('upstream reset');
    });
    up.on('response', (ures) => {
      upstreamResponse = ures;
      const code = ures.statusCode ?? 502;
      const noBody = req.method === 'HEAD' || code === 204 || code === 304 || ures.headers['content-length'] === '0';
      stream.responseHeaders(responseHeaderMap(code, ures.rawHeaders), noBody && !ures.headers.trailer);
      ures.on('data', (chunk: Buffer) => stream.responseData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), false));
      // An upstream that goes away mid-body: the IncomingMessage only closes (it emits 'error' only
      // to listeners), so without this the client would wait for the rest forever.
      ures.on('close', () => {
        if (!ures.complete && !upstreamAborted && !finished) stream.reset('upstream reset');
      });
      ures.on('end', () => {
        const t = trailerPairs(ures.trailers);
        if (t.length > 0) stream.responseTrailers(new HeaderMap(t));
        else if (!noBody) stream.responseData(NO_BODY, true);
      });
    });
    if (eos) up.end();
  };

  const sink: StreamSink = {
    requestHeaders: (map, eos) => startUpstream(map, eos),
    requestData(data, eos) {
      if (!upstream) return;
      if (data.length > 0 && !upstream.write(data)) {
        req.pause();
        upstream.once('drain', () => req.resume());
      }
      if (eos) upstream.end();
    },
    requestTrailers(t) {
      if (!upstream) return;
      upstream.addTrailers(Object.fromEntries(t.pairs));
      upstream.end();
    },
    responseHeaders(map, eos) {
      status = Number(map.get(':status')) || 502;
      for (const [k, v] of Object.entries(outgoingHeaders(map))) if (v !== undefined) res.setHeader(k, v);
      res.writeHead(status);
      if (eos) res.end();
    },
    responseData(data, eos) {
      bytesOut += data.length;
      if (data.length > 0 && !res.write(data) && upstreamResponse) {
        upstreamResponse.pause();
        res.once('drain', () => upstreamResponse?.resume());
      }
      if (eos) res.end();
    },
    responseTrailers(t) {
      res.addTrailers(Object.fromEntries(t.pairs));
      res.end();
    },
    abortUpstream() {
      upstreamAborted = true;
      upstream?.destroy();
      upstreamResponse?.destroy();
      req.resume(); // drain what the client still sends
    },
    reset() {
      upstream?.destroy();
      res.destroy();
    },
    pause(direction, paused) {
      const target = direction === 'request' ? req : upstreamResponse;
      if (paused) target?.pause();
      else target?.resume();
    },
  };

  const props = streamProperties(req, headers, () => route, () => status, connectionIds.get(socket) ?? 0, started);
  const stream = new HttpStream('unavailable' in chain ? [] : chain, sink, {
    property: props,
    propertySet(key, value) {
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
    upstream?.destroy();
    stream.finish();
    ctx.accessLog?.({
      time: new Date(started).toISOString(), requestId, method: req.method, path: req.url, authority,
      route: route?.name ?? null, status: status || null, bytesOut, durationMs: Date.now() - started,
      details: stream.responseCodeDetails || null,
      ...(stream.storedProperty('custom_log') ? { custom_log: safeJson(stream.storedProperty('custom_log')!) } : {}),
      ...(stream.storedProperty('ai_log') ? { ai_log: safeJson(stream.storedProperty('ai_log')!) } : {}),
    });
    ctx.done();
  };
  res.on('close', finish);

  if ('unavailable' in chain) {
    hostReply(503, 'WG_PROXY_PLUGIN_UNAVAILABLE', chain.unavailable);
    req.resume();
    return;
  }
  const hasBody = requestHasBody(req);
  stream.requestHeaders(headers, !hasBody);
  if (hasBody) {
    req.on('data', (chunk: Buffer) => stream.requestData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), false));
    req.on('end', () => {
      const t = trailerPairs(req.trailers);
      if (t.length > 0) stream.requestTrailers(new HeaderMap(t));
      else stream.requestData(NO_BODY, true);
    });
  }
  req.on('aborted', () => stream.reset('downstream closed'));
}

function pathOnly(p: string): string {
  const q = p.indexOf('?');
  return q < 0 ? p : p.slice(0, q);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Envoy attributes for a stream (ABI reference §7). */
function streamProperties(req: IncomingMessage, headers: HeaderMap, route: () => RouteConfig | undefined, status: () => number, connectionId: number, started: number) {
  const s = req.socket;
  const addr = (ip: string | undefined, port: number | undefined) => (ip?.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  return (path: readonly string[]): PropertyValue | undefined => {
    const key = path.join('.');
    const p = headers.get(':path') ?? '/';
    switch (key) {
      case 'route_name': return route()?.name;
      case 'cluster_name': return route()?.clusterName;
      case 'request.path': return p;
      case 'request.url_path': return pathOnly(p);
      case 'request.query': return p.includes('?') ? p.slice(p.indexOf('?') + 1) : '';
      case 'request.host': return headers.get(':authority');
      case 'request.scheme': return 'http';
      case 'request.method': return headers.get(':method');
      case 'request.id': return headers.get('x-request-id');
      case 'request.referer': return headers.get('referer');
      case 'request.useragent': return headers.get('user-agent');
      case 'request.protocol': return `HTTP/${req.httpVersion}`;
      case 'request.time': return BigInt(started) * 1_000_000n;
      case 'request.duration': return BigInt(Date.now() - started) * 1_000_000n;
      case 'request.headers': return { map: headers.pairs.filter(([k]) => !k.startsWith(':')) };
      case 'source.address': return addr(s.remoteAddress, s.remotePort);
      case 'source.port': return BigInt(s.remotePort ?? 0);
      case 'destination.address': return addr(s.localAddress, s.localPort);
      case 'destination.port': return BigInt(s.localPort ?? 0);
      case 'connection.id': return BigInt(connectionId);
      case 'connection.mtls': return false;
      case 'response.code': return status() ? BigInt(status()) : undefined;
      default: return undefined;
    }
  };
}
