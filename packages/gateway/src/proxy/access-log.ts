/**
 * The access-log line of one exchange. The exchange hands over an `AccessLogRecord` (scalars it
 * already has, and references to its header maps: nothing is copied); the generation's format
 * (config/access-log-format.ts, parsed at config load) is compiled here once per config into a
 * function that reads only what its operators name. Without a format: the built-in JSON line.
 * @module
 */
import { hostname } from 'node:os';
import type { Peer } from '@wasmgate/host';
import { operatorType, type AccessLogFormat, type FormatToken, type JsonFormatValue, type OperatorToken } from '../config/access-log-format.js';
import type { GatewaySettings } from '../config/types.js';

/** A header lookup (HeaderMap has it). */
export interface HeaderLookup {
  get(name: string): string | undefined;
}

/** What one finished exchange knows, for its access-log line. */
export interface AccessLogRecord {
  /** Date.now() when the request arrived. */
  readonly startMs: number;
  /** Date.now() when the exchange ended. */
  readonly endMs: number;
  /** When the last request byte arrived from downstream. */
  readonly requestEndMs: number | undefined;
  /** When the upstream's response head arrived. */
  readonly upstreamFirstByteMs: number | undefined;
  readonly requestId: string;
  readonly method: string | undefined;
  /** The request target as received (`req.url`). */
  readonly url: string | undefined;
  readonly authority: string;
  /** The request headers as the plugins left them. */
  readonly requestHeaders: HeaderLookup;
  readonly responseHeaders: HeaderLookup | undefined;
  readonly responseTrailers: HeaderLookup | undefined;
  /** 0 when no response was sent. */
  readonly status: number;
  readonly details: string;
  /** Envoy response flag bits. */
  readonly responseFlags: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly protocol: string;
  readonly routeName: string | undefined;
  readonly clusterName: string | undefined;
  readonly upstreamHost: Peer | undefined;
  readonly upstreamLocal: Peer | undefined;
  readonly transportFailureReason: string | undefined;
  readonly downstreamRemote: Peer | undefined;
  readonly downstreamLocal: Peer | undefined;
  readonly connectionId: bigint;
  /** A property a plugin stored with proxy_set_property (`custom_log`, `ai_log`). */
  property(key: string): string | undefined;
}

/** Formats one record into one line (no newline). */
export type AccessLogFormatter = (r: AccessLogRecord) => string;

const compiled = new WeakMap<GatewaySettings, AccessLogFormatter>();

/** The formatter of a config (compiled on first use, then cached per config). */
export function accessLogFormatter(gateway: GatewaySettings): AccessLogFormatter {
  let f = compiled.get(gateway);
  if (!f) {
    f = compileFormat(gateway.accessLogFormat);
    compiled.set(gateway, f);
  }
  return f;
}

/** Compiles a parsed format; undefined = the built-in JSON line. */
export function compileFormat(format: AccessLogFormat | undefined): AccessLogFormatter {
  if (format === undefined) return defaultJsonLine;
  if (format.kind === 'text') {
    const f = compileText(format.tokens);
    // The writer ends every line; a format ending in "\n" (Envoy's do) does not get an empty line.
    return (r) => {
      const line = f(r);
      return line.endsWith('\n') ? line.slice(0, -1) : line;
    };
  }
  const obj = compileJsonFields(format.fields);
  return (r) => JSON.stringify(obj(r));
}

/** The line wasmgate writes without a format (kept as it always was). */
function defaultJsonLine(r: AccessLogRecord): string {
  const customLog = r.property('custom_log');
  const aiLog = r.property('ai_log');
  return JSON.stringify({
    time: new Date(r.startMs).toISOString(), requestId: r.requestId, method: r.method, path: r.url, authority: r.authority,
    route: r.routeName ?? null, status: r.status || null, bytesOut: r.bytesSent, durationMs: r.endMs - r.startMs,
    details: r.details || null,
    ...(customLog ? { custom_log: safeJson(customLog) } : {}),
    ...(aiLog ? { ai_log: safeJson(aiLog) } : {}),
  });
}

// ---- values -------------------------------------------------------------------------------------

/** An operator's value: undefined = missing (`-` in text, null in JSON). */
type Getter = (r: AccessLogRecord) => string | number | undefined;

function getter(t: OperatorToken): Getter {
  switch (t.op) {
    case 'START_TIME': {
      const fmt = t.fmt;
      return fmt === undefined ? (r) => new Date(r.startMs).toISOString() : (r) => strftime(fmt, r.startMs);
    }
    case 'REQ':
      return header((r) => r.requestHeaders, t.arg!, t.alt);
    case 'REQ_WITHOUT_QUERY': {
      const get = header((r) => r.requestHeaders, t.arg!, t.alt);
      return (r) => {
        const v = get(r);
        if (v === undefined) return undefined;
        const q = String(v).indexOf('?');
        return q < 0 ? v : String(v).slice(0, q);
      };
    }
    case 'RESP':
      return header((r) => r.responseHeaders, t.arg!, t.alt);
    case 'TRAILER':
      return header((r) => r.responseTrailers, t.arg!, t.alt);
    case 'DURATION':
      return (r) => r.endMs - r.startMs;
    case 'REQUEST_DURATION':
      return (r) => (r.requestEndMs === undefined ? undefined : r.requestEndMs - r.startMs);
    case 'RESPONSE_DURATION':
      return (r) => (r.upstreamFirstByteMs === undefined ? undefined : r.upstreamFirstByteMs - r.startMs);
    case 'RESPONSE_CODE':
      return (r) => r.status;
    case 'RESPONSE_CODE_DETAILS':
      return (r) => r.details || undefined;
    case 'RESPONSE_FLAGS':
      return (r) => responseFlags(r.responseFlags);
    case 'BYTES_RECEIVED':
      return (r) => r.bytesReceived;
    case 'BYTES_SENT':
      return (r) => r.bytesSent;
    case 'PROTOCOL':
      return (r) => r.protocol;
    case 'UPSTREAM_HOST':
      return (r) => address(r.upstreamHost);
    case 'UPSTREAM_LOCAL_ADDRESS':
      return (r) => address(r.upstreamLocal);
    case 'UPSTREAM_CLUSTER':
      return (r) => r.clusterName;
    case 'UPSTREAM_TRANSPORT_FAILURE_REASON':
      return (r) => r.transportFailureReason || undefined;
    case 'ROUTE_NAME':
      return (r) => r.routeName;
    case 'DOWNSTREAM_REMOTE_ADDRESS':
      return (r) => address(r.downstreamRemote);
    case 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT':
      return (r) => r.downstreamRemote?.ip;
    case 'DOWNSTREAM_LOCAL_ADDRESS':
      return (r) => address(r.downstreamLocal);
    case 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT':
      return (r) => r.downstreamLocal?.ip;
    case 'FILTER_STATE': {
      // Envoy keeps a Wasm plugin's set_property("x") as the filter state "wasm.x".
      const key = t.arg!.startsWith('wasm.') ? t.arg!.slice(5) : undefined;
      return key === undefined ? () => undefined : (r) => r.property(key);
    }
    case 'CONNECTION_ID':
      return (r) => Number(r.connectionId);
    case 'HOSTNAME': {
      const h = hostname();
      return () => h;
    }
    default:
      return () => undefined;
  }
}

function header(map: (r: AccessLogRecord) => HeaderLookup | undefined, name: string, alt: string | undefined): Getter {
  if (alt === undefined) return (r) => map(r)?.get(name);
  return (r) => {
    const m = map(r);
    return m?.get(name) ?? m?.get(alt);
  };
}

function address(p: Peer | undefined): string | undefined {
  if (!p) return undefined;
  return p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
}

/** Envoy's short names of the response flags, in Envoy's order. */
const FLAG_NAMES: readonly (readonly [number, string])[] = [
  [0x1, 'LH'], [0x2, 'UH'], [0x4, 'UT'], [0x8, 'LR'], [0x10, 'UR'], [0x20, 'UF'], [0x40, 'UC'], [0x80, 'UO'], [0x100, 'NR'],
  [0x200, 'DI'], [0x400, 'FI'], [0x800, 'RL'], [0x1000, 'UAEX'], [0x2000, 'RLSE'], [0x4000, 'DC'], [0x8000, 'URX'], [0x10000, 'SI'],
];

function responseFlags(bits: number): string | undefined {
  if (bits === 0) return undefined;
  const names: string[] = [];
  for (const [bit, name] of FLAG_NAMES) if (bits & bit) names.push(name);
  return names.length > 0 ? names.join(',') : undefined;
}

function truncate(v: string, max: number | undefined): string {
  return max !== undefined && v.length > max ? v.slice(0, max) : v;
}

// ---- text ---------------------------------------------------------------------------------------

function compileText(tokens: readonly FormatToken[]): (r: AccessLogRecord) => string {
  const parts = tokens.map((t): ((r: AccessLogRecord) => string) => {
    if (typeof t === 'string') return () => t;
    const get = getter(t);
    const max = t.max;
    return (r) => {
      const v = get(r);
      return v === undefined ? '-' : truncate(String(v), max);
    };
  });
  return (r) => {
    let out = '';
    for (const p of parts) out += p(r);
    return out;
  };
}

// ---- JSON ---------------------------------------------------------------------------------------

function compileJsonFields(fields: readonly (readonly [string, JsonFormatValue])[]): (r: AccessLogRecord) => Record<string, unknown> {
  const parts = fields.map(([k, v]) => [k, compileJsonValue(v)] as const);
  return (r) => {
    const out: Record<string, unknown> = {};
    for (const [k, f] of parts) out[k] = f(r);
    return out;
  };
}

function compileJsonValue(v: JsonFormatValue): (r: AccessLogRecord) => unknown {
  if ('constant' in v) {
    const c = v.constant;
    return () => c;
  }
  if ('fields' in v) return compileJsonFields(v.fields);
  const [only] = v.tokens;
  // A value that is exactly one operator keeps its type (numbers stay numbers; TYPED filter state
  // is parsed JSON), and a missing value is null, as Envoy's json_format does.
  if (v.tokens.length === 1 && only !== undefined && typeof only !== 'string') {
    const get = getter(only);
    const type = operatorType(only);
    const max = only.max;
    return (r) => {
      const x = get(r);
      if (x === undefined) return null;
      if (type === 'number') return x;
      if (type === 'typed') return safeJson(String(x));
      return truncate(String(x), max);
    };
  }
  return compileText(v.tokens);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// ---- START_TIME ---------------------------------------------------------------------------------

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Envoy's START_TIME formatting (absl::FormatTime plus %f/%<n>f/%s), always UTC as Envoy's. */
export function strftime(fmt: string, ms: number): string {
  const d = new Date(ms);
  const frac = (digits: number) => pad((ms % 1000 + 1000) % 1000, 3).concat('000000').slice(0, digits);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const rest = fmt.slice(i + 1);
    const long = /^(E([1-9*])S|([1-9])f|Ez)/.exec(rest);
    if (long) {
      i += long[0].length;
      if (long[2] !== undefined) {
        const s = pad(d.getUTCSeconds());
        const ms3 = frac(9);
        out += long[2] === '*' ? (ms % 1000 === 0 ? s : `${s}.${ms3.replace(/0+$/, '')}`) : `${s}.${ms3.slice(0, Number(long[2]))}`;
      } else if (long[3] !== undefined) out += frac(Number(long[3]));
      else out += '+00:00';
      continue;
    }
    i++;
    switch (fmt[i]) {
      case 'Y': out += d.getUTCFullYear(); break;
      case 'y': out += pad(d.getUTCFullYear() % 100); break;
      case 'm': out += pad(d.getUTCMonth() + 1); break;
      case 'd': out += pad(d.getUTCDate()); break;
      case 'e': out += String(d.getUTCDate()).padStart(2, ' '); break;
      case 'H': out += pad(d.getUTCHours()); break;
      case 'I': out += pad(((d.getUTCHours() + 11) % 12) + 1); break;
      case 'p': out += d.getUTCHours() < 12 ? 'AM' : 'PM'; break;
      case 'M': out += pad(d.getUTCMinutes()); break;
      case 'S': out += pad(d.getUTCSeconds()); break;
      case 'j': out += pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3); break;
      case 'a': out += DAYS[d.getUTCDay()]!.slice(0, 3); break;
      case 'A': out += DAYS[d.getUTCDay()]; break;
      case 'b': case 'h': out += MONTHS[d.getUTCMonth()]!.slice(0, 3); break;
      case 'B': out += MONTHS[d.getUTCMonth()]; break;
      case 'z': out += '+0000'; break;
      case 'Z': out += 'UTC'; break;
      case 's': out += Math.floor(ms / 1000); break;
      case 'f': out += frac(9); break;
      case 'T': out += `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`; break;
      case 'F': out += `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; break;
      case 'D': out += `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)}`; break;
      case 'R': out += `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '%': out += '%'; break;
      default: out += `%${fmt[i] ?? ''}`;
    }
  }
  return out;
}
