/**
 * Ingress matching, the way Envoy matches the routes Higress builds from Ingresses: first pick the
 * virtual host (exact host, else the longest matching `*.suffix`, else the host-less rules), then
 * the first route of that host whose path matches. A request whose host selects a virtual host but
 * whose path matches none of its routes gets no route (404): it does not fall through to host-less
 * rules, as in Envoy.
 * @module
 */
import type { Config, RouteConfig } from './types.js';

/**
 * Finds the route for a request. `host` is the `Host`/`:authority` value (case-insensitive, port
 * ignored); `path` is the request target (query string and fragment ignored).
 * @example
 * matchRoute(config, 'www.example.com:8080', '/foo/bar?x=1')?.clusterName
 */
export function matchRoute(config: Pick<Config, 'routes'>, host: string, path: string): RouteConfig | undefined {
  const h = normalizeHost(host);
  const p = stripQuery(path);
  const routes = config.routes;
  let i = routes.findIndex((r) => hostMatches(r.host, h));
  if (i < 0) return undefined;
  // Routes of one virtual host are contiguous (see compareRoutes), so scan just that run.
  const selected = routes[i]!.host;
  for (; i < routes.length && routes[i]!.host === selected; i++) {
    if (pathMatches(routes[i]!, p)) return routes[i];
  }
  return undefined;
}

/**
 * The match order of routes: exact hosts, then wildcard hosts (longer suffix first), then host-less
 * routes; within a host, Exact paths before Prefix paths, longer prefixes first, default backends
 * last. Equal keys keep their manifest order (callers sort stably).
 */
export function compareRoutes(a: RouteOrderKey, b: RouteOrderKey): number {
  return (
    hostRank(a.host) - hostRank(b.host) ||
    (b.host?.length ?? 0) - (a.host?.length ?? 0) ||
    compareText(a.host ?? '', b.host ?? '') ||
    Number(a.isDefaultBackend) - Number(b.isDefaultBackend) ||
    (a.pathType === b.pathType ? 0 : a.pathType === 'Exact' ? -1 : 1) ||
    b.path.length - a.path.length
  );
}

/** The fields route order depends on. */
export type RouteOrderKey = Pick<RouteConfig, 'host' | 'path' | 'pathType' | 'isDefaultBackend'>;

/** Lowercases and drops the port (`Example.COM:8080` → `example.com`, `[::1]:80` → `[::1]`). */
export function normalizeHost(host: string): string {
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
 */
export function pathMatches(route: Pick<RouteConfig, 'path' | 'pathType'>, path: string): boolean {
  if (route.pathType === 'Exact') return path === route.path;
  const prefix = route.path.replace(/\/+$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
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
