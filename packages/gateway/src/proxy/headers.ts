/**
 * Node HTTP ↔ the host's neutral header model: pseudo headers (`:method`, `:path`, `:authority`,
 * `:scheme`, `:status`) plus lower-cased pairs in wire order; hop-by-hop headers never cross.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { HeaderMap } from '@wasmgate/host';

/** Connection-scoped headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** Request headers as plugins see them: pseudo headers first, then the rest (empty values kept). */
export function requestHeaderMap(req: IncomingMessage): HeaderMap {
  // Straight into `pairs`: the names are lower-case already, so the constructor's copy is not needed.
  const map = new HeaderMap();
  map.pairs.push(
    [':method', req.method ?? 'GET'], [':path', req.url ?? '/'],
    [':authority', req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? ''],
    // The TLS listener's sockets (and HTTP/2's, through the compatibility API's proxy) are encrypted.
    [':scheme', (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http'],
  );
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    // HTTP/2's own pseudo headers are in rawHeaders too; the ones above stand for them.
    if (k === 'host' || k.charCodeAt(0) === 0x3a) continue;
    map.pairs.push([k, raw[i + 1]!]);
  }
  return map;
}

export function responseHeaderMap(status: number, raw: string[]): HeaderMap {
  const map = new HeaderMap();
  map.pairs.push([':status', String(status)]);
  for (let i = 0; i < raw.length; i += 2) map.pairs.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return map;
}

/**
 * Pairs → Node outgoing headers (repeated names become arrays), without pseudo headers and without
 * hop-by-hop headers: the fixed set, and any header the `connection` header names (RFC 9110 §7.6.1).
 */
export function outgoingHeaders(map: HeaderMap, keepHost = false): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  // Built only when there is a connection header (this runs twice per request).
  let nominated: Set<string> | undefined;
  for (const [k, v] of map.pairs) if (k === 'connection') for (const t of v.split(',')) (nominated ??= new Set()).add(t.trim().toLowerCase());
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
 * `ServerResponse.writeHead(status, list)` takes without a setHeader call per header.
 */
export function outgoingHeaderList(map: HeaderMap): string[] {
  const list: string[] = [];
  const out = outgoingHeaders(map);
  for (const k in out) {
    const v = out[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) list.push(k, x);
    else list.push(k, String(v));
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
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}
