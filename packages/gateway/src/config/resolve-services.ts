/**
 * Resolves `Service` manifests: endpoints parsed, FQDN computed, ports and aliases checked.
 * @module
 */
import { parseHostPort } from './address.js';
import { locate } from './locate.js';
import { formatWhere, type ResolveContext } from './resolve-context.js';
import type { HostPort, ServiceConfig, ServicePort } from './types.js';
import type { Manifest } from './validate.js';

type ServiceManifest = Extract<Manifest, { kind: 'Service' }>;

/** The FQDN Istio cluster names use for a Kubernetes Service. */
export function serviceFqdn(namespace: string, name: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** Resolves every Service; the map is keyed `namespace/name`. */
export function resolveServices(manifests: readonly ServiceManifest[], ctx: ResolveContext, echoBackend?: string): Map<string, ServiceConfig> {
  const services = new Map<string, ServiceConfig>();
  // Alias (and FQDN) → where it was first claimed, so one cluster name never means two Services.
  const claimed = new Map<string, string>();
  for (const m of manifests) {
    const { spec } = m;
    if (m.name.includes('.')) {
      ctx.error('WG_CONFIG_INVALID', m, ['metadata', 'name'], `Service name "${m.name}" must not contain "."`,
        'Kubernetes Service names are RFC 1035 labels; the name becomes the first label of <name>.<namespace>.svc.cluster.local.');
    }
    const endpoints: HostPort[] = [];
    if (spec.echo === true) {
      if (spec.endpoints !== undefined) {
        ctx.error('WG_CONFIG_INVALID', m, ['spec', 'echo'], 'a Service has either endpoints or echo: true, not both', 'Remove spec.endpoints to route to the built-in echo backend, or spec.echo to route to the endpoints.');
      }
      const echo = echoBackend === undefined ? undefined : parseHostPort(echoBackend);
      if (echo?.ok) endpoints.push(echo.value);
      else {
        ctx.error('WG_CONFIG_INVALID', m, ['spec', 'echo'], 'echo: true needs the built-in echo backend, which only wasmgate serve, dev and run start',
          'Serve this config with "wasmgate serve" or "wasmgate dev"; an embedder passes overrides.echoBackend ("host:port" of an echo backend it started).');
      }
    } else if (spec.endpoints === undefined) {
      ctx.error('WG_CONFIG_INVALID', m, ['spec', 'endpoints'], 'is required',
        'List the Service\'s endpoints ("host:port"), or write echo: true to route to the built-in echo backend of wasmgate serve/dev/run.');
    }
    (spec.echo === true ? [] : spec.endpoints ?? []).forEach((text, i) => {
      const parsed = parseHostPort(text);
      if (parsed.ok) endpoints.push(parsed.value);
      else ctx.error('WG_CONFIG_INVALID', m, ['spec', 'endpoints', i], `endpoint "${text}" ${parsed.reason}`);
    });
    const ports: ServicePort[] = [];
    const portNames = new Set<string>();
    const portNumbers = new Set<number>();
    (spec.ports ?? []).forEach((p, i) => {
      if (p.name !== undefined && portNames.has(p.name)) {
        ctx.error('WG_CONFIG_DUPLICATE', m, ['spec', 'ports', i, 'name'], `port name "${p.name}" is used twice in Service ${m.namespace}/${m.name}`);
      }
      if (portNumbers.has(p.port)) {
        ctx.error('WG_CONFIG_DUPLICATE', m, ['spec', 'ports', i, 'port'], `port ${p.port} is listed twice in Service ${m.namespace}/${m.name}`);
      }
      if (p.name !== undefined) portNames.add(p.name);
      portNumbers.add(p.port);
      ports.push({ port: p.port, ...(p.name !== undefined ? { name: p.name } : {}), ...(p.targetPort !== undefined ? { targetPort: p.targetPort } : {}) });
    });
    const fqdn = serviceFqdn(m.namespace, m.name);
    const here = formatWhere(locate(m.parsed, ['metadata', 'name']));
    claimed.set(fqdn, here);
    const aliases: string[] = [];
    (spec.aliases ?? []).forEach((raw, i) => {
      const alias = raw.toLowerCase();
      const first = claimed.get(alias);
      if (first !== undefined) {
        ctx.error('WG_CONFIG_DUPLICATE', m, ['spec', 'aliases', i], `cluster name "${alias}" is already claimed`,
          'Each alias must point at exactly one Service.', [`first claimed at ${first}`]);
        return;
      }
      claimed.set(alias, formatWhere(locate(m.parsed, ['spec', 'aliases', i])));
      aliases.push(alias);
    });
    services.set(`${m.namespace}/${m.name}`, {
      namespace: m.namespace,
      name: m.name,
      fqdn,
      endpoints,
      ports,
      protocol: spec.protocol ?? 'http',
      tls: spec.tls ?? false,
      aliases,
      location: locate(m.parsed, ['metadata', 'name']),
    });
  }
  return services;
}
