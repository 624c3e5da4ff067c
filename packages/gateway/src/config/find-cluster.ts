/**
 * Maps an Istio-style cluster name, as plugins pass to `proxy_http_call` and `proxy_redis_init`, to
 * a Service and the endpoints to connect to.
 * @module
 */
import type { Config, HostPort, ServiceConfig } from './types.js';

/** Where a cluster name leads. */
export interface ClusterTarget {
  readonly service: ServiceConfig;
  /** The port from the cluster name (0 when the name has none). */
  readonly port: number;
  /** The endpoints to connect to, with the matching Service port's `targetPort` applied. */
  readonly endpoints: readonly HostPort[];
}

/**
 * Resolves `outbound|<port>|<subset>|<host>` (or a bare host). The host may be a Service FQDN
 * (`svc.ns.svc.cluster.local`), `svc.ns.svc`, `svc.ns`, or one of its aliases (`redis.static`).
 * When the port is one of the Service's declared ports its `targetPort` applies; any other port
 * (Higress's `.static` registries use 80) leaves the endpoints as written.
 * @example
 * findCluster(config, 'outbound|8080||auth.default.svc.cluster.local')?.endpoints
 */
export function findCluster(config: Pick<Config, 'services'>, clusterName: string): ClusterTarget | undefined {
  const fields = clusterName.split('|');
  const isIstio = fields.length === 4 && fields[0] === 'outbound';
  // Redis cluster names may carry "?db=N"; the query is not part of the host.
  const host = (isIstio ? fields[3]! : clusterName).split('?')[0]!.toLowerCase();
  const port = isIstio ? Number(fields[1]) || 0 : 0;
  const service = config.services.find((s) => namesOf(s).includes(host));
  if (!service) return undefined;
  const declared = service.ports.find((p) => p.port === port);
  const targetPort = declared?.targetPort;
  const endpoints = targetPort === undefined ? service.endpoints : service.endpoints.map((e) => ({ host: e.host, port: targetPort }));
  return { service, port, endpoints };
}

function namesOf(s: ServiceConfig): string[] {
  return [s.fqdn, `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`, ...s.aliases];
}
