/**
 * Ingress matching, the way Envoy matches the routes Higress builds from Ingresses: first pick the
 * virtual host (exact host, else the longest matching `*.suffix`, else the host-less rules), then
 * the first route of that host whose path matches. A request whose host selects a virtual host but
 * whose path matches none of its routes gets no route (404): it does not fall through to host-less
 * rules, as in Envoy.
 * @module
 */
import type { Config, NamedMatch, RouteConfig, WasmPluginConfig } from './types.js';

/** The parts of a request besides host and path that routes may test (`:method` and headers). */
export interface RequestHeaders {
  /** A header by lowercase name (`:method` included); the first value when repeated. */
  get(name: string): string | undefined;
}

/**
 * Finds the route for a request. `host` is the `Host`/`:authority` value (case-insensitive, port
 * ignored); `path` is the request target (fragment ignored; the query string only counts for
 * query-parameter conditions). Routes with method, header, query or cookie conditions
 * (Higress annotations) match only when `headers` is given and the conditions hold.
 * @example
 * matchRoute(config, 'www.example.com:8080', '/foo/bar?x=1')?.clusterName
 */
export function matchRoute(config: Pick<Config, 'routes'>, host: string, path: string, headers?: RequestHeaders): RouteConfig | undefined {
  const h = normalizeHost(host);
  const p = stripQuery(path);
  const routes = config.routes;
  let i = routes.findIndex((r) => hostMatches(r.host, h));
  if (i < 0) return undefined;
  // Routes of one virtual host are contiguous (see compareRoutes), so scan just that run.
  const selected = routes[i]!.host;
  for (; i < routes.length && routes[i]!.host === selected; i++) {
    const r = routes[i]!;
    if (pathMatches(r, p) && (!hasConditions(r) || (headers !== undefined && conditionsHold(r, path, headers)))) return r;
  }
  return undefined;
}

/**
 * The match order of routes: exact hosts, then wildcard hosts (longer suffix first), then host-less
 * routes; within a host, as Higress sorts them: Exact paths, then Prefix paths, then regex paths,
 * then a condition-less "/" catch-all, default backends last; longer paths first; at equal paths,
 * routes with a method condition, then with more header conditions, then with more query
 * conditions first. Equal keys keep their manifest order (callers sort stably).
 */
export function compareRoutes(a: RouteOrderKey, b: RouteOrderKey): number {
  return (
    hostRank(a.host) - hostRank(b.host) ||
    (b.host?.length ?? 0) - (a.host?.length ?? 0) ||
    compareText(a.host ?? '', b.host ?? '') ||
    Number(a.isDefaultBackend) - Number(b.isDefaultBackend) ||
    pathRank(a) - pathRank(b) ||
    b.path.length - a.path.length ||
    Number((b.methods?.length ?? 0) > 0) - Number((a.methods?.length ?? 0) > 0) ||
    (b.headers?.length ?? 0) + (b.cookies?.length ?? 0) - (a.headers?.length ?? 0) - (a.cookies?.length ?? 0) ||
    (b.queryParams?.length ?? 0) - (a.queryParams?.length ?? 0)
  );
}

/** The fields route order depends on. */
export type RouteOrderKey = Pick<RouteConfig, 'host' | 'path' | 'pathType' | 'isDefaultBackend'> &
  Partial<Pick<RouteConfig, 'pathRegex' | 'methods' | 'headers' | 'queryParams' | 'cookies'>>;

function pathRank(r: RouteOrderKey): number {
  if (r.pathRegex !== undefined) return 2;
  if (r.pathType === 'Exact') return 0;
  return r.path === '/' && !hasConditions(r) ? 3 : 1;
}

/** Per routes list (configs are frozen): whether any route has conditions, so matching reads more than host and path. */
const conditionalRoutes = new WeakMap<readonly RouteConfig[], boolean>();

/**
 * True when some route of `config` has method, header, query or cookie conditions. Otherwise
 * {@link matchRoute} depends on nothing but the host and the path (the query string aside).
 */
export function routesHaveConditions(config: Pick<Config, 'routes'>): boolean {
  let any = conditionalRoutes.get(config.routes);
  if (any === undefined) conditionalRoutes.set(config.routes, (any = config.routes.some(hasConditions)));
  return any;
}

/** True when the route has method, header, query or cookie conditions. */
export function hasConditions(r: Partial<Pick<RouteConfig, 'methods' | 'headers' | 'queryParams' | 'cookies'>>): boolean {
  return (r.methods?.length ?? 0) + (r.headers?.length ?? 0) + (r.queryParams?.length ?? 0) + (r.cookies?.length ?? 0) > 0;
}

/** Method, header, query-parameter and cookie conditions against a request (`path` with its query). */
export function conditionsHold(r: RouteConfig, path: string, headers: RequestHeaders): boolean {
  if (r.methods && r.methods.length > 0 && !r.methods.includes(headers.get(':method') ?? '')) return false;
  for (const c of r.headers ?? []) if (!valueMatches(c, headers.get(c.name))) return false;
  if (r.queryParams && r.queryParams.length > 0) {
    const query = queryOf(path);
    for (const c of r.queryParams) if (!valueMatches(c, query.get(c.name))) return false;
  }
  if (r.cookies && r.cookies.length > 0) {
    const cookies = cookiesOf(headers.get('cookie'));
    for (const c of r.cookies) if (!valueMatches(c, cookies.get(c.name))) return false;
  }
  return true;
}

/** One condition against a value (absent values never match). */
export function valueMatches(c: Pick<NamedMatch, 'type' | 'value'>, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (c.type === 'exact') return value === c.value;
  if (c.type === 'prefix') return value.startsWith(c.value);
  return regex(c.value, '').test(value);
}

/** Query parameters, not percent-decoded (as Envoy compares them); the first value of a repeated name. */
function queryOf(path: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = path.indexOf('?');
  if (q < 0) return out;
  const end = path.indexOf('#', q);
  for (const part of path.slice(q + 1, end < 0 ? undefined : end).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!out.has(name)) out.set(name, eq < 0 ? '' : part.slice(eq + 1));
  }
  return out;
}

function cookiesOf(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

const regexCache = new Map<string, RegExp>();

/** A whole-string regular expression, compiled once. */
function regex(source: string, flags: '' | 'i'): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (!re) {
    re = new RegExp(`^(?:${source})$`, flags);
    if (regexCache.size > 10000) regexCache.clear();
    regexCache.set(key, re);
  }
  return re;
}

/**
 * Picks the destination of a route with several (weights in proportion) and returns the route as
 * seen by that request: `service`, `port`, `endpoints`, `clusterName` and `tls` are the picked
 * one's. Routes with one destination come back unchanged. `random` is in [0, 1).
 */
export function pickDestination<R extends RouteConfig | undefined>(route: R, random: number = Math.random()): R {
  const all = route?.destinations;
  if (!route || !all || all.length < 2) return route;
  const total = all.reduce((n, d) => n + d.weight, 0);
  if (total <= 0) return route;
  let x = random * total;
  let picked = all[all.length - 1]!;
  for (const d of all) {
    if (d.weight <= 0) continue;
    if (x < d.weight) {
      picked = d;
      break;
    }
    x -= d.weight;
  }
  const { weight: _weight, ...rest } = picked;
  return { ...route, ...rest, ...(picked.sni === undefined ? { sni: undefined } : {}) } as R;
}

/**
 * The path and authority sent upstream for a request that matched `route` (Higress rewrite
 * annotations; the plugins saw the original ones). `path` is the request target, query included:
 * the query string is kept as is.
 */
export function upstreamRequest(route: RouteConfig, path: string, authority: string): { path: string; authority: string } {
  const rw = route.rewrite;
  if (!rw) return { path, authority };
  let p = path;
  if (rw.path !== undefined || rw.regex !== undefined) {
    const q = path.search(/[?#]/);
    const bare = q < 0 ? path : path.slice(0, q);
    const rest = q < 0 ? '' : path.slice(q);
    let out = bare;
    if (rw.path !== undefined) {
      if (route.pathRegex !== undefined || route.pathType === 'Exact') out = rw.path;
      else {
        // Higress matches a Prefix path P as "P" exactly or "P/" as prefix, and ends the rewrite with "/".
        const prefix = route.path.replace(/\/+$/, '');
        const target = rw.path.endsWith('/') ? rw.path : `${rw.path}/`;
        out = bare.length <= prefix.length ? target : target + bare.slice(prefix.length + 1);
      }
    } else if (rw.regex) {
      out = bare.replace(new RegExp(rw.regex.pattern, route.ignoreCase ? 'gi' : 'g'), rw.regex.substitution);
    }
    p = out + rest;
  }
  return { path: p, authority: rw.host ?? authority };
}

/** Lowercases and drops the port (`Example.COM:8080` → `example.com`, `[::1]:80` → `[::1]`). */
export function normalizeHost(host: string): string {
  // Each request asks twice (the route, then the plugin scopes), and clients repeat their Host.
  if (host === lastHost) return lastNormalized;
  lastNormalized = normalizeHostNow(host);
  lastHost = host;
  return lastNormalized;
}

let lastHost: string | undefined;
let lastNormalized = '';

function normalizeHostNow(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  return h.replace(/:\d*$/, '');
}

/**
 * A host pattern against a normalized request host. `*.x` matches any host ending in `.x` with at
 * least one character before it; `x.*` (Higress domain-rule form, allowed in `wasmgate.scope.domains`
 * but not in Ingress hosts) matches any host starting with `x.`; anything else must be equal.
 */
export function hostMatches(pattern: string | undefined, host: string): boolean {
  if (pattern === undefined) return true;
  if (pattern.startsWith('*.')) return host.length > pattern.length - 1 && host.endsWith(pattern.slice(1));
  if (pattern.endsWith('.*')) return host.length > pattern.length - 1 && host.startsWith(pattern.slice(0, -1));
  return pattern === host;
}

/**
 * Kubernetes path matching. Exact: the whole path. Prefix: element-wise, ignoring trailing slashes,
 * so `/foo` matches `/foo`, `/foo/` and `/foo/bar` but not `/foobar`; `/` matches everything.
 * A route with `pathRegex` matches when the expression matches the whole path; `ignoreCase`
 * compares without case.
 */
export function pathMatches(route: Pick<RouteConfig, 'path' | 'pathType'> & Partial<Pick<RouteConfig, 'pathRegex' | 'ignoreCase'>>, path: string): boolean {
  if (route.pathRegex !== undefined) return regex(route.pathRegex, route.ignoreCase ? 'i' : '').test(path);
  const p = route.ignoreCase ? path.toLowerCase() : path;
  const routePath = route.ignoreCase ? route.path.toLowerCase() : route.path;
  if (route.pathType === 'Exact') return p === routePath;
  const prefix = routePath.replace(/\/+$/, '');
  return prefix === '' || p === prefix || p.startsWith(`${prefix}/`);
}

function stripQuery(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

function hostRank(host: string | undefined): number {
  if (host === undefined) return 2;
  return host.startsWith('*.') ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * wasmgate's host-side scope (`spec.wasmgate.scope`): a plugin with no scope runs everywhere;
 * otherwise where a listed route or domain matches.
 */
export function pluginInScope(p: WasmPluginConfig, route: RouteConfig | undefined, host: string): boolean {
  const routes = p.scope?.routes ?? [];
  const domains = p.scope?.domains ?? [];
  if (routes.length === 0 && domains.length === 0) return true;
  return (route !== undefined && routes.includes(route.name)) || domains.some((d) => hostMatches(d, host));
}
