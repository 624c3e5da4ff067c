/**
 * Flattens Ingresses into routes (rule × path, plus `defaultBackend`), resolves each backend to a
 * Service port, and puts the routes in match order.
 * @module
 */
import { configError } from './errors.js';
import { locate, type PathSegment } from './locate.js';
import { compareRoutes } from './match-route.js';
import { formatWhere, type ResolveContext } from './resolve-context.js';
import type { IngressBackend } from './schema/index.js';
import type { HostPort, IngressPathType, RouteConfig, ServiceConfig } from './types.js';
import type { Manifest } from './validate.js';

type IngressManifest = Extract<Manifest, { kind: 'Ingress' }>;

interface ResolvedBackend {
  readonly service: ServiceConfig;
  readonly port: number;
  readonly endpoints: readonly HostPort[];
}

/** Builds all routes, in match order (see `compareRoutes`). */
export function resolveRoutes(
  ingresses: readonly IngressManifest[],
  services: ReadonlyMap<string, ServiceConfig>,
  ctx: ResolveContext,
): RouteConfig[] {
  const routes: RouteConfig[] = [];
  for (const m of ingresses) {
    const { spec } = m;
    const add = (base: PathSegment[], backend: IngressBackend, host: string | undefined, path: string,
      declared: IngressPathType, isDefaultBackend: boolean): void => {
      const target = resolveBackend(m, isDefaultBackend ? base : [...base, 'backend'], backend, services, ctx);
      if (!target) return;
      routes.push({
        name: `${m.namespace}/${m.name}`,
        namespace: m.namespace,
        ingress: m.name,
        ...(host !== undefined ? { host } : {}),
        path,
        pathType: declared === 'Exact' ? 'Exact' : 'Prefix',
        declaredPathType: declared,
        service: { namespace: target.service.namespace, name: target.service.name, fqdn: target.service.fqdn },
        port: target.port,
        endpoints: target.endpoints,
        clusterName: `outbound|${target.port}||${target.service.fqdn}`,
        isDefaultBackend,
        location: locate(m.parsed, isDefaultBackend ? base : [...base, 'path']),
      });
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
    if (spec.tls !== undefined) {
      ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'tls'], 'spec.tls is ignored: wasmgate does not terminate TLS');
    }
  }
  // Array.prototype.sort is stable, so equal keys keep manifest order (earlier files first).
  routes.sort(compareRoutes);
  return dropShadowed(routes, ctx);
}

function resolveBackend(
  m: IngressManifest,
  at: PathSegment[],
  backend: IngressBackend,
  services: ReadonlyMap<string, ServiceConfig>,
  ctx: ResolveContext,
): ResolvedBackend | undefined {
  if (backend.resource !== undefined) {
    ctx.error('WG_CONFIG_INVALID', m, [...at, 'resource'], 'resource backends are not supported', 'Use backend.service with a wasmgate.io/v1alpha1 Service.');
    return undefined;
  }
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
    const key = `${r.host ?? '*'} ${r.pathType} ${r.path}`;
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
