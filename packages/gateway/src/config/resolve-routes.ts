/**
 * Flattens Ingresses into routes (rule × path, plus `defaultBackend`), resolves each backend to a
 * Service port, and puts the routes in match order.
 * @module
 */
import { parseAnnotations, validRegex, type CanaryAnnotations, type IngressAnnotations } from './annotations.js';
import { configError } from './errors.js';
import { locate, type PathSegment } from './locate.js';
import { compareRoutes } from './match-route.js';
import { formatWhere, type ResolveContext } from './resolve-context.js';
import type { IngressBackend } from './schema/index.js';
import type { HostPort, IngressPathType, NamedMatch, RouteConfig, RouteDestination, ServiceConfig } from './types.js';
import type { Manifest } from './validate.js';

type IngressManifest = Extract<Manifest, { kind: 'Ingress' }>;

interface ResolvedBackend {
  readonly service: ServiceConfig;
  readonly port: number;
  readonly endpoints: readonly HostPort[];
}

/** A route of a canary Ingress, merged into its base route once every Ingress is read. */
interface CanaryRoute {
  readonly route: RouteConfig;
  readonly canary: CanaryAnnotations;
  readonly m: IngressManifest;
}

/** Builds all routes, in match order (see `compareRoutes`). */
export function resolveRoutes(
  ingresses: readonly IngressManifest[],
  services: ReadonlyMap<string, ServiceConfig>,
  ctx: ResolveContext,
): RouteConfig[] {
  const routes: RouteConfig[] = [];
  const canaries: CanaryRoute[] = [];
  for (const m of ingresses) {
    const { spec } = m;
    const ann = parseAnnotations(m, ctx);
    let usedDestination = false;
    const add = (base: PathSegment[], backend: IngressBackend, host: string | undefined, path: string,
      declared: IngressPathType, isDefaultBackend: boolean): void => {
      const at = isDefaultBackend ? base : [...base, 'backend'];
      if (backend.resource !== undefined) usedDestination = true;
      const destinations = resolveDestinations(m, at, backend, ann, services, ctx);
      if (!destinations) return;
      const first = destinations[0]!;
      let pathRegex: string | undefined;
      if (ann.useRegex && !isDefaultBackend) {
        pathRegex = `${path}.*`;
        if (!validRegex(ctx, m, [...base, 'path'], pathRegex)) return;
      }
      const conditions = isDefaultBackend ? {} : {
        ...(ann.methods ? { methods: ann.methods } : {}),
        ...(ann.headers.length ? { headers: ann.headers } : {}),
        ...(ann.queryParams.length ? { queryParams: ann.queryParams } : {}),
      };
      const rewrite = {
        ...(ann.rewritePath !== undefined && !isDefaultBackend ? { path: ann.rewritePath } : {}),
        ...(ann.rewriteTarget !== undefined && pathRegex !== undefined ? { regex: { pattern: pathRegex, substitution: ann.rewriteTarget } } : {}),
        ...(ann.upstreamVhost !== undefined ? { host: ann.upstreamVhost } : {}),
      };
      const route: RouteConfig = {
        name: `${m.namespace}/${m.name}`,
        namespace: m.namespace,
        ingress: m.name,
        ...(host !== undefined ? { host } : {}),
        path,
        pathType: declared === 'Exact' ? 'Exact' : 'Prefix',
        declaredPathType: declared,
        service: first.service,
        port: first.port,
        endpoints: first.endpoints,
        clusterName: first.clusterName,
        isDefaultBackend,
        ...(first.tls || ann.backendProtocol === 'GRPCS' || ann.backendProtocol === 'HTTPS' ? { tls: true } : {}),
        ...(first.sni !== undefined ? { sni: first.sni } : {}),
        ...(ann.backendProtocol === 'GRPC' || ann.backendProtocol === 'GRPCS' || ann.backendProtocol === 'HTTP2' ? { http2: true } : {}),
        ...(pathRegex !== undefined ? { pathRegex } : {}),
        ...(ann.ignoreCase && !isDefaultBackend ? { ignoreCase: true } : {}),
        ...conditions,
        ...(Object.keys(rewrite).length ? { rewrite } : {}),
        ...(destinations.length > 1 ? { destinations } : {}),
        location: locate(m.parsed, isDefaultBackend ? base : [...base, 'path']),
      };
      if (ann.canary) canaries.push({ route, canary: ann.canary, m });
      else routes.push(route);
    };
    (spec.rules ?? []).forEach((rule, r) => {
      if (!rule.http) {
        ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'rules', r], 'this rule has no http.paths, so it routes nothing');
        return;
      }
      rule.http.paths.forEach((p, i) => {
        const base: PathSegment[] = ['spec', 'rules', r, 'http', 'paths', i];
        let path = p.path;
        if (path === undefined) {
          if (p.pathType !== 'ImplementationSpecific') {
            ctx.error('WG_CONFIG_INVALID', m, [...base, 'path'], `path is required for pathType ${p.pathType}`);
            return;
          }
          path = '/';
        }
        add(base, p.backend, rule.host, path, p.pathType, false);
      });
    });
    // A defaultBackend catches what no rule matches: a host-less "/" prefix route, ordered last.
    if (spec.defaultBackend) add(['spec', 'defaultBackend'], spec.defaultBackend, undefined, '/', 'Prefix', true);
    if ((spec.rules ?? []).length === 0 && !spec.defaultBackend) {
      ctx.warn('WG_CONFIG_IGNORED', m, ['spec'], `Ingress ${m.namespace}/${m.name} has neither rules nor defaultBackend, so it routes nothing`);
    }
    if (ann.destination && !usedDestination) {
      ctx.warn('WG_CONFIG_IGNORED', m, ann.destination.at, 'higress.io/destination has no effect: no backend of this Ingress is a McpBridge resource',
        'Higress uses the annotation only for backends "resource: {apiGroup: networking.higress.io, kind: McpBridge, name: default}".');
    }
  }
  mergeCanaries(routes, canaries, ctx);
  // Array.prototype.sort is stable, so equal keys keep manifest order (earlier files first).
  routes.sort(compareRoutes);
  return dropShadowed(routes, ctx);
}

/**
 * Canary Ingresses, as Higress applies them: each canary path joins the non-canary route with the
 * same host, path type and path. By header or cookie it becomes a route of its own, tried first,
 * that carries the base route's settings with the canary's backend; by weight its backend takes
 * `canary-weight` of `canary-weight-total` of the base route's traffic.
 */
function mergeCanaries(routes: RouteConfig[], canaries: readonly CanaryRoute[], ctx: ResolveContext): void {
  const sameRoute = (a: RouteConfig, b: RouteConfig) =>
    a.host === b.host && a.pathType === b.pathType && a.path === b.path && a.pathRegex === b.pathRegex && a.isDefaultBackend === b.isDefaultBackend;
  const weighted = new Map<RouteConfig, { route: RouteConfig; total: number; extra: RouteDestination[] }>();
  for (const c of canaries) {
    const i = routes.findIndex((r) => r.canaryOf === undefined && sameRoute(r, c.route));
    if (i < 0) {
      const what = `${c.route.pathType} ${c.route.path}${c.route.host ? ` on ${c.route.host}` : ''}`;
      ctx.warnings.push(configError('WG_CONFIG_IGNORED', `canary ${c.route.name} has no non-canary route for ${what}, so this path routes nothing`, c.route.location, {
        hint: 'A canary Ingress shares traffic with another Ingress routing the same host, path type and path.',
      }));
      continue;
    }
    const base = routes[i]!;
    const own = destinationsOf(c.route);
    if (c.canary.byHeader) {
      const cond: NamedMatch = c.canary.header !== undefined
        ? c.canary.headerValue !== undefined
          ? { name: c.canary.header, type: 'regex', value: `always|${c.canary.headerValue}` }
          : c.canary.headerPattern !== undefined
            ? { name: c.canary.header, type: 'regex', value: c.canary.headerPattern }
            : { name: c.canary.header, type: 'exact', value: 'always' }
        : { name: c.canary.cookie!, type: 'exact', value: 'always' };
      const { destinations: _d, headers: _h, cookies: _c, methods: _m, queryParams: _q, tls: _t, sni: _s, ...inherited } = base;
      routes.push({
        ...inherited,
        name: c.route.name,
        namespace: c.route.namespace,
        ingress: c.route.ingress,
        service: c.route.service,
        port: c.route.port,
        endpoints: c.route.endpoints,
        clusterName: c.route.clusterName,
        ...(c.route.tls ? { tls: true } : {}),
        ...(c.route.sni !== undefined ? { sni: c.route.sni } : {}),
        ...(c.route.destinations ? { destinations: c.route.destinations } : {}),
        ...(c.route.methods ? { methods: c.route.methods } : {}),
        ...(c.route.queryParams ? { queryParams: c.route.queryParams } : {}),
        ...(c.canary.header !== undefined ? { headers: [cond] } : { cookies: [cond] }),
        canaryOf: c.route.name,
        location: c.route.location,
      });
      continue;
    }
    const entry = weighted.get(base) ?? { route: base, total: c.canary.weightTotal, extra: [] };
    const sum = own.reduce((n, d) => n + d.weight, 0) || 1;
    for (const d of own) entry.extra.push({ ...d, weight: (c.canary.weight * d.weight) / sum });
    weighted.set(base, entry);
  }
  for (const { route, total, extra } of weighted.values()) {
    const canaryShare = extra.reduce((n, d) => n + d.weight, 0);
    if (canaryShare > total) {
      ctx.warnings.push(configError('WG_CONFIG_IGNORED', `the canary weights of ${route.name} add up to ${canaryShare}, more than the total ${total}; the canaries take all its traffic`, route.location));
    }
    const baseShare = Math.max(0, total - canaryShare);
    const own = destinationsOf(route);
    const sum = own.reduce((n, d) => n + d.weight, 0) || 1;
    const destinations = [...own.map((d) => ({ ...d, weight: (baseShare * d.weight) / sum })), ...extra];
    routes[routes.indexOf(route)] = { ...route, destinations };
  }
}

/** A route's destinations: its list, or its one upstream at weight 100. */
function destinationsOf(r: RouteConfig): RouteDestination[] {
  if (r.destinations) return [...r.destinations];
  return [{
    service: r.service, port: r.port, endpoints: r.endpoints, clusterName: r.clusterName, tls: r.tls ?? false,
    ...(r.sni !== undefined ? { sni: r.sni } : {}), weight: 100,
  }];
}

/** Every cluster host a Service answers to. */
function hostsOf(s: ServiceConfig): string[] {
  return [s.fqdn, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`, ...s.aliases];
}

function destination(service: ServiceConfig, port: number, endpoints: readonly HostPort[], weight: number): RouteDestination {
  return {
    service: { namespace: service.namespace, name: service.name, fqdn: service.fqdn },
    port,
    endpoints,
    clusterName: `outbound|${port}||${service.fqdn}`,
    tls: service.tls,
    ...(service.sni !== undefined ? { sni: service.sni } : {}),
    weight,
  };
}

/**
 * The upstreams of one backend: a Service port, or, for a McpBridge resource backend, the
 * `higress.io/destination` lines (`[<weight>%] <host>[:<port>] [<subset>]`, weights adding up to 100).
 */
function resolveDestinations(
  m: IngressManifest,
  at: PathSegment[],
  backend: IngressBackend,
  ann: IngressAnnotations,
  services: ReadonlyMap<string, ServiceConfig>,
  ctx: ResolveContext,
): RouteDestination[] | undefined {
  if (backend.resource === undefined) {
    const target = resolveBackend(m, at, backend, services, ctx);
    return target ? [destination(target.service, target.port, target.endpoints, 100)] : undefined;
  }
  const res = backend.resource;
  if (res.kind !== 'McpBridge' || (res.apiGroup ?? '') !== 'networking.higress.io') {
    ctx.error('WG_CONFIG_INVALID', m, [...at, 'resource'], `resource backend ${res.apiGroup ?? '(core)'}/${res.kind} is not supported`,
      'wasmgate reads resource backends of kind McpBridge (apiGroup networking.higress.io) with a higress.io/destination annotation, or backend.service.');
    return undefined;
  }
  if (!ann.destination) {
    ctx.error('WG_CONFIG_INVALID', m, [...at, 'resource'], 'a McpBridge resource backend needs the higress.io/destination annotation',
      'Name the upstream on the Ingress: higress.io/destination: "my-svc.dns:443" (or "my-svc.static", or weighted lines "60% a.static\n40% b.dns").');
    return undefined;
  }
  const dAt = ann.destination.at;
  const lines = ann.destination.text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) {
    ctx.error('WG_CONFIG_INVALID', m, dAt, 'higress.io/destination is empty');
    return undefined;
  }
  const out: RouteDestination[] = [];
  let sum = 0;
  let ok = true;
  for (const line of lines) {
    const words = line.split(/\s+/);
    let weight = 100;
    if (words[0]!.endsWith('%')) {
      const w = words.shift()!.slice(0, -1);
      if (!/^\d+$/.test(w)) {
        ctx.error('WG_CONFIG_INVALID', m, dAt, `destination "${line}": "${w}%" is not a whole percentage`);
        ok = false;
        continue;
      }
      weight = Number(w);
    }
    sum += weight;
    const address = words[0];
    if (address === undefined) {
      ctx.error('WG_CONFIG_INVALID', m, dAt, `destination "${line}" names no host`);
      ok = false;
      continue;
    }
    if (words[1] !== undefined) {
      ctx.warn('WG_CONFIG_IGNORED', m, dAt, `destination "${line}": subset "${words[1]}" is ignored (wasmgate Services have no subsets)`);
    }
    const colon = address.lastIndexOf(':');
    const host = (colon < 0 ? address : address.slice(0, colon)).toLowerCase();
    const portText = colon < 0 ? undefined : address.slice(colon + 1);
    if (portText !== undefined && !/^\d{1,5}$/.test(portText)) {
      ctx.error('WG_CONFIG_INVALID', m, dAt, `destination "${line}": port "${portText}" is not a number`);
      ok = false;
      continue;
    }
    const service = [...services.values()].find((s) => hostsOf(s).includes(host));
    if (!service) {
      const known = [...services.values()].filter((s) => s.registry).map((s) => s.fqdn);
      ctx.error('WG_CONFIG_REF_NOT_FOUND', m, dAt, `destination "${line}": no Service or McpBridge registry is named "${host}"`,
        `Declare it as an McpBridge registry (networking.higress.io/v1) or a wasmgate.io/v1alpha1 Service with that alias` +
          (known.length ? `; registries: ${known.join(', ')}.` : '.'));
      ok = false;
      continue;
    }
    let port = portText !== undefined ? Number(portText) : undefined;
    if (port === undefined) {
      if (service.ports.length > 1) {
        ctx.error('WG_CONFIG_INVALID', m, dAt, `destination "${line}": ${service.fqdn} has several ports; name one ("${host}:<port>")`);
        ok = false;
        continue;
      }
      port = service.ports[0]?.port ?? 80;
    }
    const declared = service.ports.find((p) => p.port === port);
    const targetPort = declared?.targetPort;
    const endpoints = targetPort === undefined ? service.endpoints : service.endpoints.map((e) => ({ host: e.host, port: targetPort }));
    out.push(destination(service, port, endpoints, weight));
  }
  if (!ok) return undefined;
  if (sum !== 100) {
    ctx.error('WG_CONFIG_INVALID', m, dAt, `the destination weights add up to ${sum}, not 100`, 'Higress drops a destination whose weights do not add up to 100.');
    return undefined;
  }
  // Weight 0 lines stay listed but are never picked; a single destination needs no list.
  return out;
}

function resolveBackend(
  m: IngressManifest,
  at: PathSegment[],
  backend: IngressBackend,
  services: ReadonlyMap<string, ServiceConfig>,
  ctx: ResolveContext,
): ResolvedBackend | undefined {
  if (!backend.service) {
    ctx.error('WG_CONFIG_INVALID', m, at, 'backend.service is required');
    return undefined;
  }
  const { name, port } = backend.service;
  const service = services.get(`${m.namespace}/${name}`);
  if (!service) {
    if (ctx.isBroken('Service', m.namespace, name)) return undefined; // already reported where it is defined
    const inNs = [...services.values()].filter((s) => s.namespace === m.namespace).map((s) => s.name);
    ctx.error('WG_CONFIG_REF_NOT_FOUND', m, [...at, 'service', 'name'], `Service "${name}" not found in namespace "${m.namespace}"`,
      `Define a wasmgate.io/v1alpha1 Service named "${name}" in namespace "${m.namespace}" (Ingress backends refer to their own namespace)` +
        (inNs.length ? `; Services there: ${inNs.join(', ')}.` : '.'));
    return undefined;
  }
  const portPath = [...at, 'service', 'port'];
  if ((port.number === undefined) === (port.name === undefined)) {
    ctx.error('WG_CONFIG_INVALID', m, portPath, 'set exactly one of port.number and port.name');
    return undefined;
  }
  const listed = service.ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ');
  let match = service.ports.find((p) => (port.number !== undefined ? p.port === port.number : p.name === port.name));
  if (!match) {
    if (port.number !== undefined && service.ports.length === 0) {
      match = { port: port.number }; // no declared ports: any port maps to the endpoints as written
    } else {
      const what = port.number !== undefined ? `port ${port.number}` : `port named "${port.name}"`;
      ctx.error('WG_CONFIG_REF_NOT_FOUND', m, [...portPath, port.number !== undefined ? 'number' : 'name'],
        `Service ${service.namespace}/${service.name} has no ${what}`,
        service.ports.length ? `Its ports are: ${listed}.` : 'The Service declares no spec.ports, so only port.number can be used; or add spec.ports with names.');
      return undefined;
    }
  }
  const targetPort = match.targetPort;
  const endpoints = targetPort === undefined ? service.endpoints : service.endpoints.map((e) => ({ host: e.host, port: targetPort }));
  return { service, port: match.port, endpoints };
}

/** A route with the same host, path type and path as an earlier one can never match: warn and drop it. */
function dropShadowed(routes: RouteConfig[], ctx: ResolveContext): RouteConfig[] {
  const first = new Map<string, RouteConfig>();
  return routes.filter((r) => {
    const key = `${r.host ?? '*'} ${r.pathType} ${r.path} ${JSON.stringify([r.pathRegex, r.ignoreCase, r.methods, r.headers, r.queryParams, r.cookies])}`;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, r);
      return true;
    }
    const what = `${r.pathType} ${r.path}${r.host ? ` on ${r.host}` : ''}`;
    ctx.warnings.push(
      configError('WG_CONFIG_IGNORED', `${what} is already routed by ${earlier.name}; this path never matches`, r.location, {
        details: [`first defined at ${formatWhere(earlier.location)}`],
      }),
    );
    return false;
  });
}
