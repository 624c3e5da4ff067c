/**
 * Higress Ingress annotations: which are read, how their values are parsed, and a warning naming
 * every other `higress.io/` or `nginx.ingress.kubernetes.io/` annotation (it has no effect here).
 * Prefixes follow Higress: most annotations are read under both prefixes, the nginx one winning
 * when both are set; `rewrite-path`, `destination` and the `*-match-header-*` / `*-match-query-*`
 * family are read only under `higress.io/`.
 * @see https://github.com/alibaba/higress/tree/main/pkg/ingress/kube/annotations
 * @module
 */
import type { PathSegment } from './locate.js';
import type { ResolveContext } from './resolve-context.js';
import type { NamedMatch } from './types.js';
import type { Manifest } from './validate.js';

type IngressManifest = Extract<Manifest, { kind: 'Ingress' }>;

export const HIGRESS_PREFIX = 'higress.io/';

/** The `backend-protocol` values Higress accepts. */
export const BACKEND_PROTOCOLS = ['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPCS'] as const;
export type BackendProtocol = (typeof BACKEND_PROTOCOLS)[number];
export const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

/** Read under both prefixes (nginx first, as Higress's `…ASAP` lookups). */
export const SUPPORTED_BOTH = [
  'canary', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie',
  'canary-weight', 'canary-weight-total', 'rewrite-target', 'use-regex', 'upstream-vhost', 'ignore-path-case', 'match-method',
  // Read by resolve-tls.ts.
  'ssl-redirect', 'force-ssl-redirect', 'auth-tls-secret',
  'backend-protocol',
] as const;

/** Read only under `higress.io/`. */
export const SUPPORTED_HIGRESS_ONLY = ['rewrite-path', 'destination'] as const;

/** `higress.io/<exact|prefix|regex>-match-<header|query>-<name>`. */
const MATCH_KEY = /^(exact|prefix|regex)-match-(header|query)-(.+)$/;

/**
 * Annotations Higress reads that wasmgate does not implement (they get a warning saying so). Names
 * without prefix; Higress reads them under both prefixes unless marked in docs/config.md.
 */
export const HIGRESS_UNSUPPORTED = [
  'default-backend', 'custom-http-errors',
  'permanent-redirect', 'permanent-redirect-code', 'temporal-redirect', 'app-root',
  'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age',
  'timeout', 'route-limit-rpm', 'route-limit-rps', 'route-limit-burst-multiplier',
  'proxy-next-upstream-tries', 'proxy-next-upstream-timeout', 'proxy-next-upstream',
  'load-balance', 'upstream-hash-by',
  'affinity', 'affinity-mode', 'session-cookie-name', 'session-cookie-path', 'session-cookie-max-age', 'session-cookie-expires',
  'whitelist-source-range', 'blacklist-source-range', 'domain-whitelist-source-range', 'domain-blacklist-source-range',
  'ssl-cipher', 'proxy-ssl-secret', 'proxy-ssl-name', 'proxy-ssl-server-name',
  'auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm',
  'request-header-control-add', 'request-header-control-update', 'request-header-control-remove',
  'response-header-control-add', 'response-header-control-update', 'response-header-control-remove',
  'mirror-target-service', 'mirror-percentage', 'ssl-passthrough', 'full-path-regex',
  'enable-http2rpc', 'rpc-destination-name', 'mcp-server', 'mcp-server-match-rule-type', 'mcp-server-match-rule-value', 'mcp-server-match-rule-domains',
] as const;

/** The canary settings of an Ingress with `canary: "true"`. */
export interface CanaryAnnotations {
  readonly header?: string;
  readonly headerValue?: string;
  readonly headerPattern?: string;
  readonly cookie?: string;
  readonly weight: number;
  readonly weightTotal: number;
  /** By header/cookie (a separate route) rather than by weight (a share of the base route). */
  readonly byHeader: boolean;
}

/** What the supported annotations of one Ingress say. */
export interface IngressAnnotations {
  readonly methods?: readonly string[];
  readonly headers: readonly NamedMatch[];
  readonly queryParams: readonly NamedMatch[];
  readonly ignoreCase: boolean;
  readonly rewritePath?: string;
  readonly rewriteTarget?: string;
  /** Paths are regular expressions (`use-regex`, or `rewrite-target` without `rewrite-path`). */
  readonly useRegex: boolean;
  readonly upstreamVhost?: string;
  /** `backend-protocol`, upper-cased: GRPC/HTTP2 = HTTP/2 cleartext (prior knowledge), GRPCS = HTTP/2 over TLS (ALPN h2), HTTPS = TLS. */
  readonly backendProtocol?: BackendProtocol;
  readonly canary?: CanaryAnnotations;
  /** `higress.io/destination` as written, and where. */
  readonly destination?: { readonly text: string; readonly at: PathSegment[] };
  /** Where each read annotation is (for later errors), by name without prefix. */
  readonly where: ReadonlyMap<string, PathSegment[]>;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Parses an Ingress's annotations; unsupported ones and unusable values become warnings. */
export function parseAnnotations(m: IngressManifest, ctx: ResolveContext): IngressAnnotations {
  const all = (m.parsed.value as { metadata?: { annotations?: Record<string, unknown> } }).metadata?.annotations ?? {};
  const where = new Map<string, PathSegment[]>();
  const keyPath = (key: string): PathSegment[] => ['metadata', 'annotations', key];
  const values = new Map<string, { key: string; value: string }>();
  const headers: NamedMatch[] = [];
  const queryParams: NamedMatch[] = [];
  for (const [key, raw] of Object.entries(all)) {
    const prefix = key.startsWith(HIGRESS_PREFIX) ? HIGRESS_PREFIX : key.startsWith(NGINX_PREFIX) ? NGINX_PREFIX : undefined;
    if (!prefix) continue; // kubectl.kubernetes.io/… and the like are not routing settings
    const name = key.slice(prefix.length);
    const value = typeof raw === 'string' ? raw.split('\n').map((l) => l.trim()).join('\n') : String(raw);
    const match = MATCH_KEY.exec(name);
    if (match) {
      if (prefix !== HIGRESS_PREFIX) {
        ctx.warn('WG_CONFIG_IGNORED', m, keyPath(key), `annotation ${key} has no effect: Higress reads ${name} only as ${HIGRESS_PREFIX}${name}`);
        continue;
      }
      const [, type, what, target] = match;
      const item: NamedMatch = { name: what === 'header' ? target!.toLowerCase() : target!, type: type as NamedMatch['type'], value };
      if (item.type === 'regex' && !validRegex(ctx, m, keyPath(key), value)) continue;
      (what === 'header' ? headers : queryParams).push(item);
      continue;
    }
    const both = (SUPPORTED_BOTH as readonly string[]).includes(name);
    const higressOnly = (SUPPORTED_HIGRESS_ONLY as readonly string[]).includes(name);
    if (higressOnly && prefix !== HIGRESS_PREFIX) {
      ctx.warn('WG_CONFIG_IGNORED', m, keyPath(key), `annotation ${key} has no effect: Higress reads ${name} only as ${HIGRESS_PREFIX}${name}`);
      continue;
    }
    if (both || higressOnly) {
      // nginx.ingress.kubernetes.io/ wins over higress.io/ when both are set, as in Higress.
      const earlier = values.get(name);
      if (earlier && earlier.key.startsWith(NGINX_PREFIX)) {
        ctx.warn('WG_CONFIG_IGNORED', m, keyPath(key), `annotation ${key} is overridden by ${earlier.key}`, 'Higress reads the nginx.ingress.kubernetes.io/ form first; keep one of the two.');
        continue;
      }
      if (earlier) ctx.warn('WG_CONFIG_IGNORED', m, keyPath(earlier.key), `annotation ${earlier.key} is overridden by ${key}`, 'Higress reads the nginx.ingress.kubernetes.io/ form first; keep one of the two.');
      values.set(name, { key, value });
      where.set(name, keyPath(key));
      continue;
    }
    const known = (HIGRESS_UNSUPPORTED as readonly string[]).includes(name);
    ctx.warn('WG_CONFIG_IGNORED', m, keyPath(key),
      known ? `annotation ${key} is not supported by wasmgate; it has no effect` : `annotation ${key} is not one Higress reads; it has no effect`,
      'docs/config.md lists the annotations wasmgate implements.');
  }

  const text = (name: string): string | undefined => {
    const v = values.get(name)?.value;
    return v === undefined || v === '' ? undefined : v;
  };
  const bool = (name: string): boolean | undefined => {
    const v = values.get(name);
    if (!v) return undefined;
    // Go's strconv.ParseBool, which Higress uses.
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v.value)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v.value)) return false;
    ctx.warn('WG_CONFIG_IGNORED', m, keyPath(v.key), `annotation ${v.key} is not a boolean ("${v.value}"), so it is off`, 'Use "true" or "false".');
    return undefined;
  };
  const int = (name: string): number | undefined => {
    const v = values.get(name);
    if (!v) return undefined;
    if (/^[+-]?\d+$/.test(v.value)) return Number(v.value);
    ctx.warn('WG_CONFIG_IGNORED', m, keyPath(v.key), `annotation ${v.key} is not an integer ("${v.value}"), so it is ignored`);
    return undefined;
  };

  let methods: string[] | undefined;
  const methodText = text('match-method');
  if (methodText !== undefined) {
    methods = [];
    for (const word of methodText.split(' ').filter((w) => w !== '')) {
      const upper = word.toUpperCase();
      if (!METHODS.has(upper)) {
        ctx.warn('WG_CONFIG_IGNORED', m, where.get('match-method')!, `"${word}" in match-method is not an HTTP method; it is skipped`, `Methods: ${[...METHODS].join(' ')} (space-separated).`);
      } else if (!methods.includes(upper)) methods.push(upper);
    }
    if (methods.length === 0) methods = undefined;
  }

  const rewritePath = text('rewrite-path');
  const rewriteTarget = text('rewrite-target');
  let useRegex = bool('use-regex') ?? false;
  // Higress: a rewrite-target without rewrite-path makes every path of the Ingress a regex.
  if (rewritePath === undefined && rewriteTarget !== undefined) useRegex = true;
  if (rewritePath !== undefined && rewriteTarget !== undefined) {
    ctx.warn('WG_CONFIG_IGNORED', m, where.get('rewrite-target')!, 'rewrite-target has no effect when higress.io/rewrite-path is set', 'Keep one of the two.');
  }
  if (rewritePath !== undefined && !rewritePath.startsWith('/')) {
    ctx.error('WG_CONFIG_INVALID', m, where.get('rewrite-path')!, `rewrite-path "${rewritePath}" must start with "/"`);
  }

  let canary: CanaryAnnotations | undefined;
  const canaryOn = bool('canary');
  const canaryKeys = ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie', 'canary-weight', 'canary-weight-total'];
  if (canaryOn) {
    // Higress's precedence: header (with value, else pattern), then cookie, then weight.
    const header = text('canary-by-header');
    const headerValue = text('canary-by-header-value');
    const headerPattern = headerValue === undefined ? text('canary-by-header-pattern') : undefined;
    const cookie = headerValue === undefined && headerPattern === undefined ? text('canary-by-cookie') : undefined;
    const byHeader = header !== undefined || cookie !== undefined;
    if (headerPattern !== undefined && !validRegex(ctx, m, where.get('canary-by-header-pattern')!, headerPattern)) return done();
    const weight = int('canary-weight') ?? 0;
    const total = int('canary-weight-total');
    const weightTotal = total !== undefined && total > 0 ? total : 100;
    if (byHeader && where.has('canary-weight')) {
      ctx.warn('WG_CONFIG_IGNORED', m, where.get('canary-weight')!, 'canary-weight has no effect when canary-by-header or canary-by-cookie is set (Higress splits by header or cookie first)');
    }
    if (!byHeader && (weight < 0 || weight > weightTotal)) {
      ctx.error('WG_CONFIG_INVALID', m, where.get('canary-weight') ?? keyPath('canary-weight'), `canary-weight ${weight} is outside 0-${weightTotal}`);
    }
    if (headerValue !== undefined && header === undefined) {
      ctx.warn('WG_CONFIG_IGNORED', m, where.get('canary-by-header-value')!, 'canary-by-header-value has no effect without canary-by-header');
    }
    canary = {
      ...(header !== undefined ? { header: header.toLowerCase() } : {}),
      ...(headerValue !== undefined ? { headerValue } : {}),
      ...(headerPattern !== undefined ? { headerPattern } : {}),
      ...(cookie !== undefined ? { cookie } : {}),
      weight,
      weightTotal,
      byHeader,
    };
  } else {
    for (const k of canaryKeys) {
      const at = where.get(k);
      if (at) ctx.warn('WG_CONFIG_IGNORED', m, at, `${k} has no effect without canary: "true"`, `Add ${HIGRESS_PREFIX}canary: "true" to make this Ingress a canary.`);
    }
  }
  return done();

  function done(): IngressAnnotations {
    const destination = values.get('destination');
    const upstreamVhost = text('upstream-vhost');
    const protocolText = text('backend-protocol')?.toUpperCase();
    const backendProtocol = (BACKEND_PROTOCOLS as readonly string[]).includes(protocolText ?? '') ? protocolText as BackendProtocol : undefined;
    if (protocolText !== undefined && !backendProtocol) {
      ctx.warn('WG_CONFIG_IGNORED', m, where.get('backend-protocol')!, `backend-protocol "${protocolText}" is not one of ${BACKEND_PROTOCOLS.join(', ')}; the backend is reached over HTTP/1.1`);
    }
    return {
      ...(methods ? { methods } : {}),
      headers,
      queryParams,
      ignoreCase: bool('ignore-path-case') ?? false,
      ...(rewritePath !== undefined ? { rewritePath } : {}),
      ...(rewriteTarget !== undefined && rewritePath === undefined ? { rewriteTarget: rewriteTarget.replace(/\\(\d)/g, '$$$1') } : {}),
      useRegex,
      ...(upstreamVhost !== undefined ? { upstreamVhost } : {}),
      ...(backendProtocol !== undefined && backendProtocol !== 'HTTP' ? { backendProtocol } : {}),
      ...(canary ? { canary } : {}),
      ...(destination ? { destination: { text: destination.value, at: keyPath(destination.key) } } : {}),
      where,
    };
  }
}

/** True when `source` compiles as a (JavaScript) regular expression; an error otherwise. */
export function validRegex(ctx: ResolveContext, m: Manifest, at: readonly PathSegment[], source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch (e) {
    ctx.error('WG_CONFIG_INVALID', m, at, `"${source}" is not a valid regular expression: ${(e as Error).message}`,
      'Higress passes the expression to Envoy (RE2); wasmgate evaluates it with JavaScript RegExp, which accepts the common RE2 syntax.');
    return false;
  }
}
