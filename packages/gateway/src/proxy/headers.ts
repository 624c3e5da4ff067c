/**
 * Node HTTP ↔ the host's neutral header model: pseudo headers (`:method`, `:path`, `:authority`,
 * `:scheme`, `:status`) plus lower-cased pairs in wire order; hop-by-hop headers never cross.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { HeaderMap } from '@wasmgate/host';
import type { EdgeSettings } from '../config/types.js';

/** Connection-scoped headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * An absolute-form request target (`http://host[:port]/path?query`, RFC 9112 §3.2.2) split into its
 * authority and its origin-form path; undefined for any other form (origin, asterisk, authority).
 */
export function absoluteForm(target: string): { authority: string; path: string } | undefined {
  if (target.charCodeAt(0) === 0x2f) return undefined; // '/': origin-form, the usual case
  const m = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (!m) return undefined;
  const authority = m[1]!.slice(m[1]!.lastIndexOf('@') + 1); // userinfo is not part of Host
  const rest = m[2]!;
  return { authority, path: rest.startsWith('/') ? rest : `/${rest}` };
}

/**
 * Why a request head must be refused with 400 before anything else sees it, or undefined:
 * RFC 9112 §3.2 — more than one Host, or none on HTTP/1.1 (HTTP/1.0 without Host is allowed: it
 * routes as an empty authority, i.e. the catch-all rules).
 */
export function requestHeadProblem(req: IncomingMessage): string | undefined {
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return 'the request has more than one Host header';
  if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return 'the HTTP/1.1 request has no Host header';
  return undefined;
}

/**
 * Request headers as plugins see them: pseudo headers first, then the rest (empty values kept). With
 * `edge`, the edge rules of {@link applyEdgeHeaders} are applied in the same pass over the raw
 * headers (this runs once per request): `x-envoy-*` dropped as they are copied, and the first
 * X-Forwarded-For / X-Forwarded-Proto / x-request-id remembered, so each rule is one in-place write or
 * one append afterwards instead of another scan of the map per rule. A request that repeats one of
 * those three headers (rare) takes the general path.
 */
export function requestHeaderMap(req: IncomingMessage, edge?: EdgeSettings, remoteAddress?: string): HeaderMap {
  // Straight into `pairs`: the names are lower-case already, so the constructor's copy is not needed.
  const map = new HeaderMap();
  const pairs = map.pairs;
  // An absolute-form target routes by its path, and its authority replaces Host (RFC 9112 §3.2.2).
  const url = req.url ?? '/';
  const absolute = absoluteForm(url);
  // The TLS listener's sockets (and HTTP/2's, through the compatibility API's proxy) are encrypted.
  const scheme = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
  // `:authority` is filled in after the pass over the raw headers, which finds Host (HTTP/1) or the
  // `:authority` pseudo header (HTTP/2) without node:http building its `headers` object.
  const authorityPair: [string, string] = [':authority', ''];
  pairs.push([':method', req.method ?? 'GET'], [':path', absolute?.path ?? url], authorityPair, [':scheme', scheme]);
  let host: string | undefined;
  let h2Authority: string | undefined;
  const strip = edge?.stripEnvoyHeaders === true;
  let xff = -1;
  let xfp = -1;
  let rid = -1;
  let forwardedFor: string | undefined;
  let repeated = false;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    // HTTP/2's own pseudo headers are in rawHeaders too; the ones above stand for them.
    if (k === 'host') {
      host ??= raw[i + 1]!;
      continue;
    }
    if (k.charCodeAt(0) === 0x3a) {
      if (k === ':authority') h2Authority ??= raw[i + 1]!;
      continue;
    }
    const v = raw[i + 1]!;
    if (edge !== undefined && k.charCodeAt(0) === 0x78 /* x */) {
      if (strip && k.startsWith('x-envoy-')) continue;
      if (k === 'x-forwarded-for') {
        forwardedFor = forwardedFor === undefined ? v : `${forwardedFor},${v}`;
        if (xff >= 0) repeated = true;
        else xff = pairs.length;
      } else if (k === 'x-forwarded-proto') {
        if (xfp >= 0) repeated = true;
        else xfp = pairs.length;
      } else if (k === 'x-request-id') {
        if (rid >= 0) repeated = true;
        else rid = pairs.length;
      }
    }
    pairs.push([k, v]);
  }
  authorityPair[1] = absolute?.authority ?? host ?? h2Authority ?? '';
  if (edge === undefined) return map;
  if (repeated) {
    applyEdgeHeaders(map, edge, remoteAddress);
    return map;
  }
  if (edge.useRemoteAddress && remoteAddress !== undefined) {
    putOnce(map, xff, 'x-forwarded-for', forwardedFor === undefined || forwardedFor === '' ? remoteAddress : `${forwardedFor},${remoteAddress}`);
  }
  // With no trusted hop in front, what the client says about its scheme is not believed.
  if (edge.xffNumTrustedHops === 0 || xfp < 0) putOnce(map, xfp, 'x-forwarded-proto', scheme);
  if (!edge.preserveRequestId || rid < 0 || pairs[rid]![1] === '') putOnce(map, rid, 'x-request-id', randomUUID());
  return map;
}

/** What HeaderMap.set does for a name present at most once, at index `at` (-1: absent): overwrite it there, else append. */
function putOnce(map: HeaderMap, at: number, name: string, value: string): void {
  if (at >= 0) map.pairs[at] = [name, value];
  else map.pairs.push([name, value]);
  map.version++;
}

/**
 * What the edge does to a client's request headers before the chain sees them (the Gateway's `edge`,
 * applied by {@link requestHeaderMap} in its pass, and here for a map that repeats a header it sets),
 * after Envoy's use_remote_address / xff_num_trusted_hops / preserve_external_request_id):
 * X-Forwarded-For gets the client address appended, X-Forwarded-Proto is the connection's scheme
 * unless the client is a trusted hop, `x-envoy-*` headers from the client are dropped, and
 * `x-request-id` is kept or replaced.
 */
export function applyEdgeHeaders(map: HeaderMap, edge: EdgeSettings, remoteAddress: string | undefined): void {
  if (edge.stripEnvoyHeaders) {
    let w = 0;
    for (const p of map.pairs) if (!p[0].startsWith('x-envoy-')) map.pairs[w++] = p;
    map.pairs.length = w;
  }
  if (edge.useRemoteAddress && remoteAddress !== undefined) {
    const previous = map.getAll('x-forwarded-for').join(',');
    map.set('x-forwarded-for', previous === '' ? remoteAddress : `${previous},${remoteAddress}`);
  }
  // With no trusted hop in front, what the client says about its scheme is not believed.
  if (edge.xffNumTrustedHops === 0 || !map.has('x-forwarded-proto')) map.set('x-forwarded-proto', map.get(':scheme') ?? 'http');
  if (!edge.preserveRequestId || !map.get('x-request-id')) map.set('x-request-id', randomUUID());
}

export function responseHeaderMap(status: number, raw: string[]): HeaderMap {
  const map = new HeaderMap();
  map.pairs.push([':status', String(status)]);
  for (let i = 0; i < raw.length; i += 2) map.pairs.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return map;
}

/**
 * The header names the `connection` headers nominate as hop-by-hop (RFC 9110 §7.6.1), or undefined
 * when there are none beyond the fixed set. Nearly every message says just `keep-alive`, which is in
 * the fixed set already: that value costs one comparison instead of a split, a trim, a lower-casing
 * and a Set per message (this runs on every request and every response).
 */
function nominatedHeaders(pairs: readonly (readonly [string, string])[]): Set<string> | undefined {
  let nominated: Set<string> | undefined;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    if (p[0] !== 'connection') continue;
    const v = p[1];
    if (v.length === 10 && v.toLowerCase() === 'keep-alive') continue;
    for (const t of v.split(',')) (nominated ??= new Set()).add(t.trim().toLowerCase());
  }
  return nominated;
}

/**
 * Pairs → Node outgoing headers (repeated names become arrays), without pseudo headers and without
 * hop-by-hop headers: the fixed set, and any header the `connection` header names (RFC 9110 §7.6.1).
 */
export function outgoingHeaders(map: HeaderMap, keepHost = false): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const nominated = nominatedHeaders(map.pairs);
  for (const [k, v] of map.pairs) {
    if (k.charCodeAt(0) === 0x3a || HOP_BY_HOP.has(k) || nominated?.has(k) || (k === 'host' && !keepHost)) continue;
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else out[k] = Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  return out;
}

/**
 * {@link outgoingHeaders} as a flat [name, value, name, value, …] list, the form
 * `ServerResponse.writeHead(status, list)` takes without a setHeader call per header. One pass over
 * the pairs, no intermediate object (this runs once per response); repeated names stay in wire order.
 */
export function outgoingHeaderList(map: HeaderMap): string[] {
  const pairs = map.pairs;
  const nominated = nominatedHeaders(pairs);
  const list: string[] = [];
  for (const [k, v] of pairs) {
    if (k.charCodeAt(0) === 0x3a || HOP_BY_HOP.has(k) || nominated?.has(k) || k === 'host') continue;
    list.push(k, v);
  }
  return list;
}

/** First value of `name` (lower-case) in a Node rawHeaders-style list, or undefined. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    if (k.length === name.length && k.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

export function trailerPairs(trailers: IncomingHttpHeaders | NodeJS.Dict<string>): [string, string][] {
  return Object.entries(trailers).flatMap(([k, v]) => (v === undefined ? [] : Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]));
}

/** Whether a request announces a body (otherwise its headers end the stream). */
export function requestHasBody(req: IncomingMessage): boolean {
  // HTTP/2: a body unless the HEADERS frame ended the stream (content-length is optional there).
  if (req.httpVersionMajor === 2) return !(req as unknown as { stream?: { endAfterHeaders?: boolean } }).stream?.endAfterHeaders;
  const raw = req.rawHeaders;
  if (rawHeader(raw, 'transfer-encoding') !== undefined) return true;
  const cl = rawHeader(raw, 'content-length');
  return cl !== undefined && cl !== '0';
}
