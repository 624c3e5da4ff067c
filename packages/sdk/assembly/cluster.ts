// Cluster names for callouts, as wasm-go's cluster_wrapper builds them (Istio `outbound|port|subset|host`
// names), with the `:authority` each sends by default.

import { getHeader, getPropertyString, MapType } from "./host";
import { currentStream } from "./state";

export abstract class Cluster {
  /** The cluster name passed to proxy_http_call. */
  abstract clusterName(): string;
  /** The default `:authority` (the URL's host wins when it has one). */
  abstract hostName(): string;
}

export class FQDNCluster extends Cluster {
  constructor(public fqdn: string, public port: i64, public host: string = "") { super(); }
  clusterName(): string { return "outbound|" + this.port.toString() + "||" + this.fqdn; }
  hostName(): string { return this.host.length ? this.host : this.fqdn; }
}

export class K8sCluster extends Cluster {
  constructor(public serviceName: string, public namespace: string, public port: i64,
    public version: string = "", public host: string = "") { super(); }
  fqdn(): string {
    return this.serviceName + "." + (this.namespace.length ? this.namespace : "default") + ".svc.cluster.local";
  }
  clusterName(): string { return "outbound|" + this.port.toString() + "|" + this.version + "|" + this.fqdn(); }
  hostName(): string { return this.host.length ? this.host : this.fqdn(); }
}

export class StaticIpCluster extends Cluster {
  constructor(public serviceName: string, public port: i64, public host: string = "") { super(); }
  clusterName(): string { return "outbound|" + this.port.toString() + "||" + this.serviceName + ".static"; }
  hostName(): string { return this.host.length ? this.host : this.serviceName; }
}

export class DnsCluster extends Cluster {
  constructor(public serviceName: string, public domain: string, public port: i64) { super(); }
  clusterName(): string { return "outbound|" + this.port.toString() + "||" + this.serviceName + ".dns"; }
  hostName(): string { return this.domain; }
}

/** The cluster the current request is routed to (property `cluster_name`). */
export class RouteCluster extends Cluster {
  constructor(public host: string = "") { super(); }
  clusterName(): string {
    const c = getPropertyString(["cluster_name"]);
    return c !== null ? c : "";
  }
  hostName(): string {
    if (this.host.length) return this.host;
    const s = currentStream();
    if (s !== null && s.host().length) return s.host();
    const h = getHeader(MapType.RequestHeaders, ":authority");
    return h !== null ? h : "";
  }
}

/** Any cluster name, as given. */
export class TargetCluster extends Cluster {
  constructor(public cluster: string, public host: string = "") { super(); }
  clusterName(): string { return this.cluster; }
  hostName(): string { return this.host; }
}
