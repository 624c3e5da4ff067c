/**
 * One client request through the gateway: route, plugin chain (host's HttpStream), upstream, and
 * back. This file is the adapter between Node's http objects and the host's neutral stream model.
 *
 * An exchange is one object: it is the chain's sink (what the chain sends on), the upstream call's
 * event handler (what the upstream answers) and the stream's options (what plugins set), so a
 * request costs one allocation for all of them instead of a closure each. The attribute facts are
 * in exchange-facts.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ERROR_CODE_HEADER, HeaderMap, HttpStream, ResponseFlag, utf8Encode, type ChainFilter, type PhaseTiming, type StreamOptions, type StreamSink,
  type UpstreamFacts, type UpstreamFailureKind,
} from '@wasmgate/host';
import { matchRoute, normalizeHost, pickDestination, routesHaveConditions, upstreamRequest } from '../config/match-route.js';
import type { Config, HostPort, RouteConfig } from '../config/types.js';
import {
  outgoingHeaderList, outgoingHeaders, rawHeader, requestHasBody, requestHeadProblem, requestHeaderMap, trailerPairs,
  responseHeaderMap,
} from './headers.js';
import type { Upstream, UpstreamCall, UpstreamEvents, UpstreamFailure, UpstreamSocket } from './upstream.js';
import { h2UpstreamFor } from './upstream-h2.js';
import { accessLogFormatter } from './access-log.js';
import { startObservation, type ExchangeObservation } from '../observability/exchange-observer.js';
import { ExchangeFacts, type ExchangeState } from './exchange-facts.js';
import { sinkOrderCheck } from './sink-order.js';
import { recordExchange } from './traffic-stats.js';

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

export function handleExchange(req: IncomingMessage, res: ServerResponse, ctx: ExchangeContext): void {
  new Exchange(req, res, ctx).start();
}

/** Node error codes that mean no connection was made (Envoy: connection_failure, flag UF). */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** Envoy response flags the host's ResponseFlag does not list: DPE, UO and UPE. */
const DOWNSTREAM_PROTOCOL_ERROR = 0x40000;
const UPSTREAM_OVERFLOW = 0x80;
const UPSTREAM_PROTOCOL_ERROR = 0x800000;

class Exchange implements StreamSink, UpstreamEvents, StreamOptions, ExchangeState {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #ctx: ExchangeContext;
  readonly #started = Date.now();
  /** performance.now() at arrival, for the dashboard's latency histogram (finer than Date.now()). */
  readonly #startedPerf = performance.now();
  /** The route the chain was chosen for (the dashboard counts the exchange there). */
  readonly #chainRoute: RouteConfig | undefined;
  readonly #headers: HeaderMap;
  readonly #requestId: string;
  /** Metrics (and the trace, when configured) of this exchange. */
  readonly #obs: ExchangeObservation;
  readonly #initialVersion: number;
  readonly #authority: string;
  /** The `:path` the route was picked for. */
  readonly #path: string;
  /** Whether that pick may come out differently for the same host and path (header conditions, weights). */
  readonly #routeMayChange: boolean;
  readonly #chain: ChainFilter[] | { unavailable: string };
  readonly #stream: HttpStream;
  /** The route; a plugin that changes the request head may make it picked again. */
  route: RouteConfig | undefined;
  /** The upstream the request went to, for the `upstream.*` attributes. */
  upstreamFacts: UpstreamFacts | undefined;
  #upstream: UpstreamCall | undefined;
  /** The upstream's response head arrived. */
  #responded = false;
  /** The upstream response has no body (HEAD, 204, 304, content-length 0). */
  #noBody = false;
  #overrideHost: HostPort | undefined;
  #clearRouteCache = true;
  #finished = false;
  /** The chain replaced the upstream exchange (local reply): its end is no longer news. */
  #upstreamAborted = false;
  /** The whole request went upstream: from then on the upstream timeout applies instead. */
  #upstreamEnded = false;
  // A plugin may pause a request (or a response) and never resume it — e.g. a callout it never
  // hears back from. Envoy's route timeout covers that; ours: if nothing went upstream (or nothing
  // came back downstream) within upstreamTimeoutMs of the pause, answer 504 WG_PROXY_STREAM_TIMEOUT.
  #stallTimer: NodeJS.Timeout | undefined;
  #stallPhase: 'request' | 'response' = 'request';
  #status = 0;
  #bytesOut = 0;
  // For the access log: references and numbers only, read by the formatter at the end.
  #bytesIn = 0;
  #requestEndMs: number | undefined;
  #upstreamFirstByteMs: number | undefined;
  #respHeaders: HeaderMap | undefined;
  #respTrailers: HeaderMap | undefined;
  /** A request head refused before routing (Host missing or repeated): no plugin sees it. */
  readonly #badHead: string | undefined;

  // StreamOptions (the HttpStream keeps this object as its options).
  readonly facts: ExchangeFacts;
  readonly phaseTiming: PhaseTiming | undefined;
  readonly requestBufferLimit: number;
  readonly responseBufferLimit: number;

  constructor(req: IncomingMessage, res: ServerResponse, ctx: ExchangeContext) {
    this.#req = req;
    this.#res = res;
    this.#ctx = ctx;
    const headers = (this.#headers = requestHeaderMap(req, ctx.config.gateway.edge, req.socket.remoteAddress));
    this.#requestId = headers.get('x-request-id') ?? '';
    this.#obs = startObservation(ctx.config, req, headers);
    this.#initialVersion = headers.version;
    const authority = (this.#authority = headers.get(':authority') ?? '');
    // Higress annotations may match on method, headers and query; weighted routes pick an upstream once.
    const path = (this.#path = headers.get(':path') ?? '/');
    const matched = matchRoute(ctx.config, authority, path, headers);
    this.#routeMayChange = (matched?.destinations?.length ?? 0) >= 2 || routesHaveConditions(ctx.config);
    this.route = pickDestination(matched);
    this.#chain = ctx.chainFor(this.route, normalizeHost(authority));
    this.#chainRoute = this.route;
    this.facts = new ExchangeFacts(req, this.#started, this);
    this.phaseTiming = this.#obs.phaseTiming;
    this.requestBufferLimit = ctx.config.gateway.limits.requestBodyBufferBytes;
    this.responseBufferLimit = ctx.config.gateway.limits.responseBodyBufferBytes;
    this.#badHead = requestHeadProblem(req);
    const chain = this.#badHead !== undefined || 'unavailable' in this.#chain ? [] : this.#chain;
    this.#stream = new HttpStream(chain, sinkOrderCheck ? sinkOrderCheck(this) : this, this);
  }

  start(): void {
    const req = this.#req;
    this.#res.on('close', () => this.#finish());
    if (this.#badHead !== undefined) {
      this.#res.shouldKeepAlive = false;
      this.#hostReply(400, 'WG_PROXY_BAD_REQUEST', this.#badHead, 'http1.codec_error', DOWNSTREAM_PROTOCOL_ERROR);
      req.resume();
      return;
    }
    if ('unavailable' in this.#chain) {
      this.#hostReply(503, 'WG_PROXY_PLUGIN_UNAVAILABLE', this.#chain.unavailable);
      req.resume();
      return;
    }
    const hasBody = requestHasBody(req);
    if (!hasBody) this.#requestEndMs = this.#started;
    this.#stream.requestHeaders(this.#headers, !hasBody);
    if (!this.#upstreamEnded && !this.#stream.localReply) this.#watchStall('request');
    if (hasBody) {
      req.on('data', (chunk: Buffer) => this.#clientData(chunk));
      req.on('end', () => this.#clientEnd());
    }
    req.on('aborted', () => this.#clientAborted());
  }

  // ── The client side ──────────────────────────────────────────────────────────────────────────

  #clientData(chunk: Buffer): void {
    this.#bytesIn += chunk.length;
    // While nothing went upstream, a slow but live upload is not a stall.
    if (!this.#upstreamEnded && this.#stallTimer) this.#watchStall('request');
    this.#obs.bytesIn += chunk.length;
    this.#stream.requestData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), false);
  }

  #clientEnd(): void {
    this.#requestEndMs = Date.now();
    const t = trailerPairs(this.#req.trailers);
    if (t.length > 0) this.#stream.requestTrailers(new HeaderMap(t));
    else this.#stream.requestData(NO_BODY, true);
  }

  #clientAborted(): void {
    const stream = this.#stream;
    stream.responseFlags |= ResponseFlag.DownstreamConnectionTermination;
    stream.responseCodeDetails ||= 'downstream_remote_disconnect';
    stream.reset('downstream closed');
  }

  // ── Replies of the gateway's own, and the stall timer ────────────────────────────────────────

  /** A reply of the gateway's own; `details` and `flag` are Envoy's where Envoy has them. */
  #hostReply(code: number, wg: string, text: string, details = wg.toLowerCase(), flag = 0): void {
    this.#stream.responseFlags |= flag;
    this.#stream.sendLocalReply({ status: code, details, body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, wg]], grpcStatus: undefined });
  }

  /** An upstream failure: a 503/504 before its response headers (Envoy's local reply), a reset after. */
  #upstreamFailed(kind: UpstreamFailureKind, status: number, wg: string, text: string): void {
    this.#stream.upstreamFailed(kind, { status, body: utf8Encode(`${text}\n`), headers: [[ERROR_CODE_HEADER, wg]], grpcStatus: undefined });
  }

  #endUpstream(trailers?: Record<string, string>): void {
    this.#upstreamEnded = true;
    clearTimeout(this.#stallTimer);
    this.#upstream?.end(trailers);
  }

  #watchStall(phase: 'request' | 'response'): void {
    clearTimeout(this.#stallTimer);
    this.#stallPhase = phase;
    this.#stallTimer = setTimeout(stalled, this.#ctx.config.gateway.upstreamTimeoutMs, this);
    this.#stallTimer.unref();
  }

  /** The stall timer fired (module-level `stalled` calls this: no closure per arming). */
  static stalled(x: Exchange): void {
    if (x.#finished || x.#stream.localReply || x.#stream.responseStarted) return;
    const phase = x.#stallPhase;
    if (phase === 'request' && x.#upstreamEnded) return;
    const who = phase === 'request' ? 'the request' : 'the response';
    x.#hostReply(504, 'WG_PROXY_STREAM_TIMEOUT', `a plugin paused ${who} and did not resume it within ${x.#ctx.config.gateway.upstreamTimeoutMs} ms`,
      'stream_idle_timeout', ResponseFlag.StreamIdleTimeout);
  }

  // ── StreamOptions: what plugins set ──────────────────────────────────────────────────────────

  propertySet(key: string, value: Uint8Array): void {
    this.#obs.propertySet(key, value);
    if (key === 'clear_route_cache') this.#clearRouteCache = new TextDecoder().decode(value) !== 'off';
  }

  setUpstreamOverrideHost(h: string): boolean {
    const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(h);
    if (!m) return false;
    this.#overrideHost = { host: m[1]!, port: Number(m[2]) };
    return true;
  }

  // ── StreamSink: what the chain sends on ──────────────────────────────────────────────────────

  requestHeaders(map: HeaderMap, eos: boolean): void {
    const ctx = this.#ctx;
    let route = this.route;
    // A plugin that changed :path, :authority or headers makes Envoy pick the route again. When the
    // match reads only host and path, both are unchanged and the route has one destination, picking
    // again gives the route we have (a plugin that adds and removes headers changes only the version).
    if (this.#clearRouteCache && map.version !== this.#initialVersion) {
      const authority = map.get(':authority') ?? '';
      const path = map.get(':path') ?? '/';
      if (this.#routeMayChange || authority !== this.#authority || path !== this.#path) {
        route = this.route = pickDestination(matchRoute(ctx.config, authority, path, map)) ?? route;
      }
    }
    if (!route) {
      return this.#hostReply(404, 'WG_PROXY_NO_ROUTE', `no route for ${this.#authority}${map.get(':path') ?? ''}`, 'route_not_found', ResponseFlag.NoRouteFound);
    }
    const endpoint = this.#overrideHost ?? route.endpoints[Math.floor(Math.random() * route.endpoints.length)];
    if (!endpoint) {
      return this.#hostReply(503, 'WG_PROXY_UPSTREAM_UNREACHABLE', `route ${route.name} has no endpoints`, 'no_healthy_upstream', ResponseFlag.NoHealthyUpstream);
    }
    this.upstreamFacts = { address: { ip: endpoint.host, port: endpoint.port }, transportFailureReason: '' };
    const out = outgoingHeaders(map);
    // Route rewrites (rewrite-path/-target, upstream-vhost) change only what the upstream sees.
    const target = upstreamRequest(route, map.get(':path') ?? '/', map.get(':authority') ?? this.#authority);
    out.host = target.authority;
    this.#obs.upstreamStart(route.name, route.clusterName, out);
    // backend-protocol GRPC/GRPCS/HTTP2: HTTP/2 to the upstream (upstream-h2.ts).
    this.#upstream = (route.http2 ? h2UpstreamFor(ctx.upstream) : ctx.upstream).call({
      host: endpoint.host, port: endpoint.port, method: map.get(':method') ?? 'GET', path: target.path,
      ...(route.tls ? { tls: true, ...(route.sni !== undefined ? { servername: route.sni } : {}) } : {}),
      headers: out, timeoutMs: ctx.config.gateway.upstreamTimeoutMs,
    }, !eos, this);
    if (eos) this.#endUpstream();
  }

  requestData(data: Uint8Array, eos: boolean): void {
    const upstream = this.#upstream;
    if (!upstream) return;
    if (data.length > 0 && !upstream.write(data)) {
      this.#req.pause();
      // Waiting on the upstream (a full socket, or a queue for a pooled connection) is not a plugin
      // stall: the upstream call has timeouts of its own.
      clearTimeout(this.#stallTimer);
      upstream.onDrain(() => {
        if (!this.#upstreamEnded && !this.#finished) this.#watchStall('request');
        this.#req.resume();
      });
    }
    if (eos) this.#endUpstream();
  }

  requestTrailers(t: HeaderMap): void {
    if (!this.#upstream) return;
    this.#endUpstream(Object.fromEntries(t.pairs));
  }

  responseHeaders(map: HeaderMap, eos: boolean): void {
    const res = this.#res;
    this.#respHeaders = map;
    const status = (this.#status = Number(map.get(':status')) || 502);
    if (eos && this.#req.httpVersionMajor === 2) {
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
  }

  responseData(data: Uint8Array, eos: boolean): void {
    this.#bytesOut += data.length;
    if (data.length > 0 && !this.#res.write(data) && this.#responded) {
      this.#upstream?.pause();
      this.#res.once('drain', () => this.#upstream?.resume());
    }
    if (eos) this.#res.end();
  }

  responseTrailers(t: HeaderMap): void {
    this.#respTrailers = t;
    this.#res.addTrailers(Object.fromEntries(t.pairs));
    this.#res.end();
  }

  abortUpstream(): void {
    this.#upstreamAborted = true;
    this.#upstream?.destroy();
    this.#req.resume(); // drain what the client still sends
  }

  reset(): void {
    this.#upstream?.destroy();
    this.#res.destroy();
  }

  pause(direction: 'request' | 'response', paused: boolean): void {
    if (direction === 'request') {
      if (paused) this.#req.pause();
      else this.#req.resume();
    } else if (this.#responded) {
      if (paused) this.#upstream?.pause();
      else this.#upstream?.resume();
    }
  }

  // ── UpstreamEvents: what the upstream answers ────────────────────────────────────────────────

  connected(s: UpstreamSocket): void {
    this.upstreamFacts = {
      address: { ip: s.remoteAddress, port: s.remotePort }, localAddress: { ip: s.localAddress, port: s.localPort }, transportFailureReason: '',
    };
  }

  response(code: number, raw: string[]): void {
    this.#responded = true;
    this.#upstreamFirstByteMs = Date.now();
    this.#obs.upstreamResponse(code);
    const cl = rawHeader(raw, 'content-length');
    const noBody = (this.#noBody = this.#req.method === 'HEAD' || code === 204 || code === 304 || cl === '0');
    this.#stream.responseHeaders(responseHeaderMap(code, raw), noBody && rawHeader(raw, 'trailer') === undefined);
    if (!this.#stream.responseStarted && !this.#stream.localReply) this.#watchStall('response');
  }

  data(chunk: Uint8Array): void {
    this.#stream.responseData(chunk, false);
  }

  end(trailers: [string, string][]): void {
    if (trailers.length > 0) this.#stream.responseTrailers(new HeaderMap(trailers));
    else if (!this.#noBody) this.#stream.responseData(NO_BODY, true);
  }

  fail(why: UpstreamFailure, code?: string): void {
    const stream = this.#stream;
    const obs = this.#obs;
    const responded = this.#responded;
    if (why === 'timeout') {
      obs.upstreamFailed('timeout');
      this.#upstreamFailed('timeout', 504, 'WG_PROXY_UPSTREAM_TIMEOUT', 'upstream request timeout');
    } else if (why === 'overflow') {
      if (stream.localReply || this.#finished) return;
      obs.upstreamFailed('connect');
      this.#hostReply(503, 'WG_PROXY_UPSTREAM_OVERFLOW', 'upstream connection pool and its pending-request queue are full',
        'upstream_reset_before_response_started{overflow}', UPSTREAM_OVERFLOW);
    } else if (why === 'protocol') {
      if (stream.localReply || this.#finished) return;
      if (!responded) obs.upstreamFailed('connect');
      const text = 'upstream sent a response that is not valid HTTP';
      if (responded) this.#upstreamFailed('remote_reset', 502, 'WG_PROXY_UPSTREAM_PROTOCOL', text);
      else this.#hostReply(502, 'WG_PROXY_UPSTREAM_PROTOCOL', text, 'upstream_reset_before_response_started{protocol_error}', UPSTREAM_PROTOCOL_ERROR);
    } else if (why === 'closed') {
      if (!this.#upstreamAborted && !this.#finished) this.#upstreamFailed('remote_reset', 502, 'WG_PROXY_UPSTREAM_UNREACHABLE', 'upstream reset');
    } else {
      if (stream.localReply || this.#finished) return;
      if (!responded) obs.upstreamFailed('connect');
      const refused = code !== undefined && CONNECT_FAILURES.has(code);
      if (refused && this.upstreamFacts) this.upstreamFacts = { ...this.upstreamFacts, transportFailureReason: code };
      const kind: UpstreamFailureKind = responded ? 'remote_reset' : refused ? 'connection_failure' : 'connection_termination';
      this.#upstreamFailed(kind, 503, 'WG_PROXY_UPSTREAM_UNREACHABLE', 'upstream connect error or disconnect/reset before headers');
    }
  }

  // ── The end ──────────────────────────────────────────────────────────────────────────────────

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#stallTimer);
    this.#upstream?.destroy();
    const stream = this.#stream;
    stream.finish();
    const route = this.route;
    const req = this.#req;
    const res = this.#res;
    recordExchange(this.#chainRoute, this.#chain, this.#startedPerf, !res.writableFinished || res.statusCode >= 500);
    this.#obs.end({ route: route?.name, cluster: route?.clusterName, method: req.method, status: this.#status, bytesIn: this.#obs.bytesIn, bytesOut: this.#bytesOut });
    const ctx = this.#ctx;
    if (ctx.accessLog) {
      const facts = this.facts;
      const up = this.upstreamFacts;
      ctx.accessLog(accessLogFormatter(ctx.config.gateway)({
        startMs: this.#started, endMs: Date.now(), requestEndMs: this.#requestEndMs, upstreamFirstByteMs: this.#upstreamFirstByteMs, requestId: this.#requestId,
        method: req.method, url: req.url, authority: this.#authority,
        requestHeaders: this.#headers, responseHeaders: this.#respHeaders, responseTrailers: this.#respTrailers, status: this.#status,
        details: stream.responseCodeDetails, responseFlags: stream.responseFlags, bytesReceived: this.#bytesIn, bytesSent: this.#bytesOut,
        protocol: facts.protocol, routeName: route?.name, clusterName: route?.clusterName, upstreamHost: up?.address, upstreamLocal: up?.localAddress,
        transportFailureReason: up?.transportFailureReason, downstreamRemote: facts.source, downstreamLocal: facts.destination,
        connectionId: facts.connectionId, property: (k) => stream.storedProperty(k),
      }));
    }
    ctx.done();
  }
}

const stalled = Exchange.stalled;
