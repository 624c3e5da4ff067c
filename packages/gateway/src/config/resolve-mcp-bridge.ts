/**
 * Resolves Higress `McpBridge` manifests: each `static` or `dns` registry becomes a Service whose
 * cluster host is `<name>.static` / `<name>.dns` (as Higress names the ServiceEntry it makes), so
 * plugins reach it as `outbound|<port>||<name>.static` and Ingresses through
 * `higress.io/destination`.
 * @module
 */
import { parseHostPort } from './address.js';
import { locate } from './locate.js';
import { formatWhere, type ResolveContext } from './resolve-context.js';
import type { HostPort, ServiceConfig } from './types.js';
import type { Manifest } from './validate.js';

type McpBridgeManifest = Extract<Manifest, { kind: 'McpBridge' }>;

/** Registry types that need a discovery server wasmgate does not talk to. */
const DISCOVERY_TYPES = new Set(['nacos', 'nacos2', 'nacos3', 'zookeeper', 'consul', 'eureka']);

/** Every cluster host a Service already answers to (FQDN, short forms, aliases). */
function hostsOf(s: ServiceConfig): string[] {
  return [s.fqdn, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`, ...s.aliases];
}

/**
 * Adds a Service for each static/dns registry to `services` (keyed `namespace/<name>.<type>`).
 * A registry whose `<name>.<type>` host is already taken (by a Service alias or another registry)
 * is an error: one cluster name must lead to one place.
 */
export function resolveMcpBridges(bridges: readonly McpBridgeManifest[], services: Map<string, ServiceConfig>, ctx: ResolveContext): void {
  const claimed = new Map<string, string>();
  for (const s of services.values()) for (const h of hostsOf(s)) if (!claimed.has(h)) claimed.set(h, formatWhere(s.location));
  for (const m of bridges) {
    (m.spec.registries ?? []).forEach((reg, i) => {
      const at = ['spec', 'registries', i];
      const type = reg.type.toLowerCase();
      if (type !== 'static' && type !== 'dns') {
        const why = DISCOVERY_TYPES.has(type)
          ? `registry type "${reg.type}" needs a discovery server, which wasmgate does not query`
          : `unknown registry type "${reg.type}"`;
        ctx.warn('WG_CONFIG_IGNORED', m, [...at, 'type'], `${why}; registry "${reg.name}" is skipped`,
          'wasmgate reads static and dns registries; declare the service as a static registry or a wasmgate.io/v1alpha1 Service with aliases.');
        return;
      }
      if (reg.domain === undefined) {
        ctx.error('WG_CONFIG_INVALID', m, at, `registry "${reg.name}" (${type}) needs a domain`,
          type === 'static' ? 'A static registry lists its endpoints: domain: "10.0.0.1:80,10.0.0.2:80".' : 'A dns registry names a host: domain: api.example.com.');
        return;
      }
      const protocol = (reg.protocol ?? 'http').toLowerCase();
      if (protocol !== 'http' && protocol !== 'https') {
        ctx.error('WG_CONFIG_INVALID', m, [...at, 'protocol'], `protocol "${reg.protocol}" is not supported`,
          'wasmgate speaks HTTP/1.1 to upstreams: use http or https (grpc and grpcs need HTTP/2).');
        return;
      }
      const tls = protocol === 'https';
      if (reg.sni !== undefined && !tls) {
        ctx.warn('WG_CONFIG_IGNORED', m, [...at, 'sni'], `sni has no effect on an ${protocol} registry`, 'sni is the TLS server name; set protocol: https or remove it.');
      }
      const port = reg.port ?? 80;
      const endpoints: HostPort[] = [];
      const items = reg.domain.split(',').map((d) => d.trim()).filter((d) => d !== '');
      let ok = items.length > 0;
      for (const item of items) {
        if (type === 'static') {
          const parsed = parseHostPort(item);
          if (parsed.ok) endpoints.push(parsed.value);
          else {
            ctx.error('WG_CONFIG_INVALID', m, [...at, 'domain'], `static endpoint "${item}" ${parsed.reason}`,
              'A static registry domain is a comma-separated list of "ip:port".');
            ok = false;
          }
        } else if (/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(item)) {
          endpoints.push({ host: item.toLowerCase(), port });
        } else {
          ctx.error('WG_CONFIG_INVALID', m, [...at, 'domain'], `dns domain "${item}" is not a host name`,
            'A dns registry domain is a host name without scheme or port; the port is spec.registries[].port.');
          ok = false;
        }
      }
      if (!ok) {
        if (items.length === 0) ctx.error('WG_CONFIG_INVALID', m, [...at, 'domain'], `registry "${reg.name}" has an empty domain`);
        return;
      }
      const host = `${reg.name}.${type}`;
      const first = claimed.get(host);
      if (first !== undefined) {
        ctx.error('WG_CONFIG_DUPLICATE', m, [...at, 'name'], `cluster name "${host}" is already claimed`,
          'Each .static/.dns name must point at exactly one registry or Service alias.', [`first claimed at ${first}`]);
        return;
      }
      const location = locate(m.parsed, [...at, 'name']);
      claimed.set(host, formatWhere(location));
      services.set(`${m.namespace}/${host}`, {
        namespace: m.namespace,
        name: host,
        fqdn: host,
        endpoints,
        ports: [{ port }],
        protocol: 'http',
        tls,
        ...(tls && reg.sni !== undefined ? { sni: reg.sni } : {}),
        aliases: [],
        registry: { type, bridge: `${m.namespace}/${m.name}` },
        location,
      });
    });
  }
}
