/**
 * The one resolver for Envoy's built-in attributes (Envoy docs "Attributes"; Envoy's wasm
 * `Context::getProperty` / `findValue` and the CEL wrappers in filters/common/expr/context.cc).
 * The gateway and the harness both reach it through HttpStream, so a plugin reads the same name,
 * type and encoding in both; they differ only in the raw facts they supply (facts.ts).
 *
 * Paths: Envoy takes NUL-separated segments (`response\0code_details`, what the SDKs send for
 * `["response", "code_details"]`); our own code and some SDKs send one dotted segment
 * (`response.code_details`). Both reach {@link attributePath} and become the same segments.
 *
 * Types follow Envoy's serializeValue: strings raw, int64/uint64 8 bytes little-endian, bool 1
 * byte, timestamps and durations int64 nanoseconds, header maps as serialized pairs. Anything this
 * file does not answer is NotFound (undefined) — docs/properties.md lists each deliberate case.
 */
import type { HeaderPair } from '../abi/pairs.js';
import type { HeaderMap } from '../context/header-map.js';
import type { PropertyValue } from '../properties.js';
import type { CertificateFacts, Peer, StreamFacts } from './facts.js';

/** What the chain itself saw of the stream, next to the embedder's facts. */
export interface AttributeSource {
  readonly facts: StreamFacts;
  /** The request headers as the plugins left them (Envoy answers from the live map). */
  requestHeaders(): HeaderMap | undefined;
  requestTrailers(): HeaderMap | undefined;
  /** The response headers / trailers of the upstream answer or of the local reply. */
  responseHeaders(): HeaderMap | undefined;
  responseTrailers(): HeaderMap | undefined;
  /** Request body bytes received from downstream (Envoy bytesReceived). */
  requestBodyBytes(): number;
  /** Response body bytes sent downstream (Envoy bytesSent). */
  responseBodyBytes(): number;
  /** The status the stream answers with (upstream or local reply); undefined before that. */
  responseCode(): number | undefined;
  /** Envoy's response code details; undefined until set. */
  responseCodeDetails(): string | undefined;
  /** Response flags (ResponseFlag bits). */
  responseFlags(): number;
  /** Wall-clock ns when the stream completed (before proxy_on_log); undefined while it runs. */
  completedNanos(): bigint | undefined;
}

type Getter = (s: AttributeSource) => PropertyValue | undefined;

/**
 * Path segments of a property as Envoy would walk them. A single segment with dots is the dotted
 * form: `request.headers.x-foo` ⇒ `request`, `headers`, `x-foo` (the header name keeps its dots).
 */
export function attributePath(path: readonly string[]): readonly string[] {
  if (path.length !== 1) return path;
  const p = path[0]!;
  const dot = p.indexOf('.');
  if (dot < 0) return path;
  const rest = p.slice(dot + 1);
  const dot2 = rest.indexOf('.');
  return dot2 < 0 ? [p.slice(0, dot), rest] : [p.slice(0, dot), rest.slice(0, dot2), rest.slice(dot2 + 1)];
}

/** The canonical dotted key of a path in either form (`response.code_details`). */
export function attributeKey(path: readonly string[]): string {
  return attributePath(path).join('.');
}

/** A built-in attribute, or undefined (NotFound) when the stream has no such value. */
export function resolveAttribute(path: readonly string[], s: AttributeSource): PropertyValue | undefined {
  const [top, field, key, ...more] = attributePath(path);
  if (top === undefined || more.length > 0) return undefined;
  const scalar = TOP_LEVEL[top];
  if (scalar) return field === undefined ? scalar(s) : undefined;
  const group = GROUPS[top];
  if (!group || field === undefined) return undefined; // a whole map (`request`) is not serializable in Envoy either
  if (key !== undefined) {
    const map = HEADER_FIELDS[`${top}.${field}`]?.(s);
    return map ? headerValue(map, key) : undefined;
  }
  return group[field]?.(s);
}

// ---- helpers ---------------------------------------------------------------------------------------


function hostPort(p: Peer): string {
  return p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
}

/** A header map as Envoy's CEL map serializes it: one pair per name, repeated values joined by `,`. */
function headerPairs(map: HeaderMap): { map: HeaderPair[] } {
  const out: HeaderPair[] = [];
  const at = new Map<string, number>();
  for (const [k, v] of map.ordered()) {
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, out.length);
      out.push([k, v]);
    } else {
      out[i] = [k, `${out[i]![1]},${v}`];
    }
  }
  return { map: out };
}

/** `request.headers.<name>`: the values of one header joined by `,` (Envoy's HeadersWrapper). */
function headerValue(map: HeaderMap, name: string): string | undefined {
  const all = map.getAll(name);
  return all.length === 0 ? undefined : all.join(',');
}

function requestPath(s: AttributeSource): string | undefined {
  return s.requestHeaders()?.get(':path');
}

function grpcStatus(s: AttributeSource): bigint | undefined {
  const raw = s.responseTrailers()?.get('grpc-status') ?? s.responseHeaders()?.get('grpc-status');
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return BigInt(raw);
}

const size = (m: HeaderMap | undefined) => m?.byteSize() ?? 0;

// ---- the attribute table ----------------------------------------------------------------------------

const REQUEST: Record<string, Getter> = {
  path: requestPath,
  url_path: (s) => requestPath(s)?.split('?')[0],
  host: (s) => s.requestHeaders()?.get(':authority') ?? s.requestHeaders()?.get('host'),
  scheme: (s) => s.requestHeaders()?.get(':scheme') ?? s.facts.scheme,
  method: (s) => s.requestHeaders()?.get(':method'),
  headers: (s) => { const m = s.requestHeaders(); return m && headerPairs(m); },
  referer: (s) => s.requestHeaders()?.get('referer'),
  useragent: (s) => s.requestHeaders()?.get('user-agent'),
  time: (s) => s.facts.startNanos,
  id: (s) => s.requestHeaders()?.get('x-request-id'),
  protocol: (s) => s.facts.protocol,
  query: (s) => {
    const p = requestPath(s);
    if (p === undefined) return undefined;
    const q = p.indexOf('?');
    return q < 0 ? '' : p.slice(q + 1);
  },
  // Envoy answers the duration once the request is complete (in proxy_on_log), NotFound before.
  duration: (s) => {
    const done = s.completedNanos();
    const start = s.facts.startNanos;
    return done === undefined || start === undefined ? undefined : done - start;
  },
  size: (s) => BigInt(s.requestBodyBytes()),
  total_size: (s) => BigInt(s.requestBodyBytes() + size(s.requestHeaders()) + size(s.requestTrailers())),
};

const RESPONSE: Record<string, Getter> = {
  code: (s) => { const c = s.responseCode(); return c === undefined ? undefined : BigInt(c); },
  code_details: (s) => s.responseCodeDetails(),
  flags: (s) => BigInt(s.responseFlags()),
  grpc_status: grpcStatus,
  headers: (s) => { const m = s.responseHeaders(); return m && headerPairs(m); },
  trailers: (s) => { const m = s.responseTrailers(); return m && headerPairs(m); },
  size: (s) => BigInt(s.responseBodyBytes()),
  total_size: (s) => BigInt(s.responseBodyBytes() + size(s.responseHeaders()) + size(s.responseTrailers())),
};

const peer = (which: 'source' | 'destination'): Record<string, Getter> => ({
  address: (s) => { const p = s.facts[which]; return p && hostPort(p); },
  port: (s) => { const p = s.facts[which]; return p && BigInt(p.port); },
});

// On plain-text connections the TLS attributes are NotFound (as in Envoy without TLS) while mtls is
// false and the SNI is ''. A certificate attribute whose certificate (or SAN) is absent is NotFound.
const tlsOf = (s: AttributeSource) => s.facts.tls?.();
const cert = (which: 'local' | 'peer', get: (c: CertificateFacts) => string | undefined): Getter => (s) => {
  const c = tlsOf(s)?.[which];
  return c && get(c);
};
const CONNECTION: Record<string, Getter> = {
  id: (s) => s.facts.connectionId,
  mtls: (s) => tlsOf(s)?.mtls ?? false,
  requested_server_name: (s) => s.facts.requestedServerName,
  tls_version: (s) => tlsOf(s)?.version,
  subject_local_certificate: cert('local', (c) => c.subject),
  subject_peer_certificate: cert('peer', (c) => c.subject),
  uri_san_local_certificate: cert('local', (c) => c.uriSans[0]),
  uri_san_peer_certificate: cert('peer', (c) => c.uriSans[0]),
  dns_san_local_certificate: cert('local', (c) => c.dnsSans[0]),
  dns_san_peer_certificate: cert('peer', (c) => c.dnsSans[0]),
  sha256_peer_certificate_digest: cert('peer', (c) => c.sha256),
};

const UPSTREAM: Record<string, Getter> = {
  address: (s) => { const p = s.facts.upstream?.()?.address; return p && hostPort(p); },
  port: (s) => { const p = s.facts.upstream?.()?.address; return p && BigInt(p.port); },
  local_address: (s) => { const p = s.facts.upstream?.()?.localAddress; return p && hostPort(p); },
  transport_failure_reason: (s) => { const u = s.facts.upstream?.(); return u && (u.transportFailureReason ?? ''); },
  request_attempt_count: (s) => (s.facts.upstream?.() ? 1n : undefined),
};

const XDS: Record<string, Getter> = {
  route_name: (s) => s.facts.routeName?.(),
  cluster_name: (s) => s.facts.clusterName?.(),
};

const GROUPS: Record<string, Record<string, Getter>> = {
  request: REQUEST, response: RESPONSE, source: peer('source'), destination: peer('destination'),
  connection: CONNECTION, upstream: UPSTREAM, xds: XDS,
};

/** Maps that take a key segment (`request.headers.<name>`). */
const HEADER_FIELDS: Record<string, (s: AttributeSource) => HeaderMap | undefined> = {
  'request.headers': (s) => s.requestHeaders(),
  'response.headers': (s) => s.responseHeaders(),
  'response.trailers': (s) => s.responseTrailers(),
};

/** Single-segment attributes (Higress's route_name / cluster_name, Envoy's connection_id …). */
const TOP_LEVEL: Record<string, Getter> = {
  route_name: (s) => s.facts.routeName?.(),
  cluster_name: (s) => s.facts.clusterName?.(),
  connection_id: (s) => s.facts.connectionId,
  listener_direction: (s) => s.facts.listenerDirection,
};

/** Every attribute this resolver can answer, by dotted key (docs and tests iterate it). */
export const BUILTIN_ATTRIBUTES: readonly string[] = [
  ...Object.entries(GROUPS).flatMap(([g, fields]) => Object.keys(fields).map((f) => `${g}.${f}`)),
  ...Object.keys(TOP_LEVEL),
];
