/**
 * The resolved, deep-frozen configuration. Runtime code (plugins, proxy, CLI `serve`) only ever sees
 * these types; the raw manifest shapes stay inside `config/schema/`.
 * @module
 */
import type { SourceLocation } from '@wasmgate/host';
import type { AccessLogFormat } from './access-log-format.js';

/** A listening or upstream address. `host` is an IP, a DNS name, or an IPv6 address without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Gateway log levels (Envoy's names; `critical` is the highest). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** Body buffering limits, like Envoy's per-connection buffer limit in Higress. */
export interface GatewayLimits {
  /** Most request-body bytes a plugin may ask the gateway to buffer. @default 1048576 */
  readonly requestBodyBufferBytes: number;
  /** Most response-body bytes a plugin may ask the gateway to buffer. @default 1048576 */
  readonly responseBodyBufferBytes: number;
  /** Default linear-memory cap of each plugin VM (MiB). @default 1024 */
  readonly maxMemoryMiB: number;
  /** Default CPU deadline of one plugin callback (ms). @default 1000 */
  readonly callTimeoutMs: number;
  /** Default CPU deadline of a VM's start and proxy_on_configure (ms). @default 10000 */
  readonly startTimeoutMs: number;
}

/**
 * How the gateway treats request headers as the edge proxy (Gateway `edge`; Envoy's
 * use_remote_address, xff_num_trusted_hops, preserve_external_request_id).
 */
export interface EdgeSettings {
  /** Append the client's address to X-Forwarded-For. @default true */
  readonly useRemoteAddress: boolean;
  /** Proxies in front of the gateway whose X-Forwarded-Proto is believed; 0 = overwrite it. @default 0 */
  readonly xffNumTrustedHops: number;
  /** Keep a client-sent x-request-id (else every request gets a new one). @default true */
  readonly preserveRequestId: boolean;
  /** Drop client-sent `x-envoy-*` request headers. @default true */
  readonly stripEnvoyHeaders: boolean;
}

/** Upstream connections per endpoint and worker, and the queue of requests waiting for one. */
export interface UpstreamPoolSettings {
  /** Connections to one endpoint (per worker). @default 256 */
  readonly maxConnections: number;
  /** Requests waiting for a connection to one endpoint; beyond it: 503 WG_PROXY_UPSTREAM_OVERFLOW. @default 1024 */
  readonly maxPendingRequests: number;
}

/** Listener-level settings from the optional `wasmgate.io/v1alpha1` `Gateway` (defaults when absent). */
export interface GatewaySettings {
  /** Data-plane listener. @default 127.0.0.1:8080 */
  readonly listen: HostPort;
  /** Admin listener (health, reload, stats). @default 127.0.0.1:15000 */
  readonly admin: HostPort;
  /** More Host header values the admin listener answers, lowercase (`name` or `name:port`); see admin/guard.ts. */
  readonly adminAllowedHosts?: readonly string[];
  /** Absolute path of the file holding the admin bearer token (`WASMGATE_ADMIN_TOKEN` wins). */
  readonly adminTokenFile?: string;
  /** Absolute folders local plugin files may be in besides the config folders; set = absolute paths are confined too. */
  readonly pluginDirs?: readonly string[];
  /** HTTPS data-plane listener (HTTP/2 by ALPN, HTTP/1.1); absent = none. Certificates: `Config.tls`. */
  readonly listenTls?: HostPort;
  /** `stdout`, or an absolute file path (relative paths are resolved against the declaring file). */
  readonly accessLog?: string;
  /** The `accessLog` `format` / `jsonFormat`, parsed; absent = the built-in JSON line. */
  readonly accessLogFormat?: AccessLogFormat;
  readonly limits: GatewayLimits;
  /** Data-plane worker threads; undefined = one per CPU (decided by the gateway at start). */
  readonly workers?: number;
  /** How long shutdown waits for in-flight requests before closing them. @default 10000 */
  readonly drainTimeoutMs: number;
  /** Per-request upstream timeout. @default 15000 */
  readonly upstreamTimeoutMs: number;
  /** Request headers at the edge. */
  readonly edge: EdgeSettings;
  /** Upstream connection pool and pending-request queue. */
  readonly upstreamPool: UpstreamPoolSettings;
  /** Absolute path of a docker `config.json` used for OCI pulls. */
  readonly imagePullSecret?: string;
  /** Registries (`host:port`) that may be reached over plain HTTP. */
  readonly insecureRegistries: readonly string[];
  /** @default info */
  readonly logLevel: LogLevel;
  /** OpenTelemetry tracing (OTLP/HTTP); absent = no tracing. */
  readonly tracing?: TracingSettings;
  /** Where the `Gateway` manifest was; absent when only defaults apply. */
  readonly location?: SourceLocation;
}

/** `Gateway` spec.tracing: spans exported over OTLP/HTTP (JSON) by every worker. */
export interface TracingSettings {
  readonly otlpEndpoint: string;
  /** Share of new traces sampled, 0–1. @default 1 */
  readonly samplingRatio: number;
  /** @default wasmgate */
  readonly serviceName: string;
}

/** One port of a wasmgate `Service`. */
export interface ServicePort {
  readonly name?: string;
  /** The Service port: what Ingress backends and cluster names (`outbound|<port>||…`) use. */
  readonly port: number;
  /** The endpoint port traffic goes to; absent means each endpoint's own port. */
  readonly targetPort?: number;
}

/** Protocols a `Service` can speak: `redis` services are for `proxy_redis_init`/`proxy_redis_call`. */
export type ServiceProtocol = 'http' | 'redis';

/** A `wasmgate.io/v1alpha1` `Service`: where a Kubernetes Service name points. */
export interface ServiceConfig {
  readonly namespace: string;
  readonly name: string;
  /** `<name>.<namespace>.svc.cluster.local`, the host part of Istio cluster names. */
  readonly fqdn: string;
  readonly endpoints: readonly HostPort[];
  /** Declared ports; empty means "any port maps to the endpoints as given". */
  readonly ports: readonly ServicePort[];
  readonly protocol: ServiceProtocol;
  /** Connect to the endpoints with TLS. */
  readonly tls: boolean;
  /** Extra cluster host names (`redis.static`, `auth.dns`), as Higress's McpBridge registries give. */
  readonly aliases: readonly string[];
  /** TLS server name (McpBridge `sni`); default: the endpoint host when it is a name. */
  readonly sni?: string;
  /** Set for Services made from an McpBridge registry (`name` and `fqdn` are then `<registry>.<type>`). */
  readonly registry?: { readonly type: 'static' | 'dns'; readonly bridge: string };
  readonly location: SourceLocation;
}

/** The resolved target of a route: a Service and the port the Ingress named. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly fqdn: string;
}

/** Ingress path types; `ImplementationSpecific` is matched as `Prefix`. */
export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** A header, query-parameter or cookie condition of a route (Higress match annotations, canary). */
export interface NamedMatch {
  /** Header names are lowercase; query-parameter and cookie names as written. */
  readonly name: string;
  /** `regex` must match the whole value (Envoy's safe_regex). */
  readonly type: 'exact' | 'prefix' | 'regex';
  readonly value: string;
}

/** One upstream of a route and its share of the traffic (`higress.io/destination`, canary weights). */
export interface RouteDestination {
  readonly service: ServiceRef;
  readonly port: number;
  readonly endpoints: readonly HostPort[];
  readonly clusterName: string;
  /** Connect with TLS (the Service's `tls`, or an `https` McpBridge registry). */
  readonly tls: boolean;
  readonly sni?: string;
  /** Relative weight; the route's destinations are picked per request in proportion. */
  readonly weight: number;
}

/** How the request sent upstream differs from the one received (Higress rewrite annotations). */
export interface RouteRewrite {
  /** `higress.io/rewrite-path`: replaces the matched prefix (Prefix routes) or the whole path. */
  readonly path?: string;
  /** `rewrite-target` on a regex route: every match of `pattern` in the path becomes `substitution` ($1 …). */
  readonly regex?: { readonly pattern: string; readonly substitution: string };
  /** `upstream-vhost`: the Host header sent upstream. */
  readonly host?: string;
}

/** One Ingress rule × path, flattened. */
export interface RouteConfig {
  /** Higress's route name, `<namespace>/<ingress>`: what the `route_name` property returns. */
  readonly name: string;
  readonly namespace: string;
  /** The Ingress's own name. */
  readonly ingress: string;
  /** Exact host or `*.suffix` wildcard, lowercase; absent = any host. */
  readonly host?: string;
  readonly path: string;
  /** How the path is matched (`ImplementationSpecific` is resolved to `Prefix`). */
  readonly pathType: 'Exact' | 'Prefix';
  /** The pathType as written in the manifest. */
  readonly declaredPathType: IngressPathType;
  readonly service: ServiceRef;
  /** The Service port (from `port.number`, or `port.name` looked up in the Service's ports). */
  readonly port: number;
  /** Where traffic goes: the Service endpoints with `targetPort` applied. */
  readonly endpoints: readonly HostPort[];
  /** `outbound|<port>||<fqdn>`: what the `cluster_name` property returns. */
  readonly clusterName: string;
  /** True for the route made from `spec.defaultBackend`. */
  readonly isDefaultBackend: boolean;
  /** Connect to the endpoints with TLS. */
  readonly tls?: boolean;
  /** TLS server name when it is not the endpoint host. */
  readonly sni?: string;
  /** `backend-protocol` GRPC/GRPCS/HTTP2: the upstream is spoken to over HTTP/2 (with `tls`: TLS + ALPN h2). */
  readonly http2?: boolean;
  /**
   * Set when the path is a regular expression (`use-regex`, `rewrite-target`): matched against the
   * whole request path, as Higress's `<path>.*` regex match.
   */
  readonly pathRegex?: string;
  /** `ignore-path-case`: paths compare case-insensitively. */
  readonly ignoreCase?: boolean;
  /** `match-method`: the request method must be one of these. */
  readonly methods?: readonly string[];
  /** Every header condition must hold (`*-match-header-*`, `canary-by-header`). */
  readonly headers?: readonly NamedMatch[];
  /** Every query-parameter condition must hold (`*-match-query-*`). */
  readonly queryParams?: readonly NamedMatch[];
  /** Every cookie condition must hold (`canary-by-cookie`). */
  readonly cookies?: readonly NamedMatch[];
  readonly rewrite?: RouteRewrite;
  /**
   * More than one upstream (weighted `higress.io/destination`, `canary-weight`): each request picks
   * one in proportion to the weights; the fields above (`service`, `endpoints`, `clusterName` …) are
   * the first one's.
   */
  readonly destinations?: readonly RouteDestination[];
  /** The canary Ingress (`<namespace>/<name>`) this route was made from, for header/cookie canaries. */
  readonly canaryOf?: string;
  readonly location: SourceLocation;
}

/** URL schemes a WasmPlugin may use; only `file` is read by the config pipeline itself. */
export type PluginScheme = 'file' | 'http' | 'https' | 'oci';
export type ImagePullPolicy = 'UNSPECIFIED_POLICY' | 'IfNotPresent' | 'Always';
/** Istio filter-chain phases, in chain order: AUTHN, AUTHZ, STATS, then UNSPECIFIED_PHASE. */
export type PluginPhase = 'AUTHN' | 'AUTHZ' | 'STATS' | 'UNSPECIFIED_PHASE';
export type FailStrategy = 'FAIL_CLOSE' | 'FAIL_OPEN';

/** wasmgate-only host-side scoping (`spec.wasmgate.scope`): run the plugin only on these requests. */
export interface PluginScope {
  /** Route names (`<namespace>/<ingress>`). */
  readonly routes?: readonly string[];
  /** Hosts: exact, `*.suffix` or `prefix.*`, compared without the port. */
  readonly domains?: readonly string[];
}

/** wasmgate-only resource limits (`spec.wasmgate.limits`), as written; absent fields take the Gateway's. */
export interface PluginLimits {
  readonly maxMemoryMiB?: number;
  readonly callTimeoutMs?: number;
  readonly startTimeoutMs?: number;
}

/** A resolved WasmPlugin. */
export interface WasmPluginConfig {
  readonly namespace: string;
  readonly name: string;
  /** `<namespace>/<name>`, unique. */
  readonly key: string;
  /** `spec.url` as written. */
  readonly url: string;
  readonly scheme: PluginScheme;
  /** Absolute path of the module for `file` URLs and plain paths. */
  readonly resolvedPath?: string;
  /** Lowercase hex. */
  readonly sha256?: string;
  readonly imagePullPolicy: ImagePullPolicy;
  /** As written; the OCI fetcher interprets it. */
  readonly imagePullSecret?: string;
  /** `spec.pluginName` (Envoy's root_id); empty when not set. */
  readonly rootId: string;
  readonly phase: PluginPhase;
  readonly priority: number;
  readonly failStrategy: FailStrategy;
  /** `vmConfig.env` entries with inline values. */
  readonly env: Readonly<Record<string, string>>;
  readonly scope?: PluginScope;
  readonly limits?: PluginLimits;
  /**
   * The exact bytes the plugin receives in `proxy_on_configure`, built like the Higress controller
   * (see docs/config.md). Empty when Higress would send no configuration at all.
   */
  readonly configJson: string;
  readonly location: SourceLocation;
}

/** Everything the gateway runs from. Deep-frozen. */
export interface Config {
  /** Absolute paths of every file read (the hot-reload watcher watches these). */
  readonly sources: readonly string[];
  readonly gateway: GatewaySettings;
  /** Sorted by namespace, then name. */
  readonly services: readonly ServiceConfig[];
  /** In match order: see `matchRoute`. */
  readonly routes: readonly RouteConfig[];
  /** In filter-chain order: phase, then priority (highest first), then namespace/name. */
  readonly plugins: readonly WasmPluginConfig[];
  /** Certificates and redirects from Ingress `spec.tls` (absent: none). */
  readonly tls?: TlsConfig;
}

/** One certificate from an Ingress `spec.tls` entry and its `kubernetes.io/tls` Secret. */
export interface TlsCertificate {
  /** `<namespace>/<secretName>`. */
  readonly secret: string;
  /** SNI names: exact or `*.suffix`, lowercase; empty = only a default certificate. */
  readonly hosts: readonly string[];
  /** PEM certificate chain and private key. */
  readonly cert: string;
  readonly key: string;
  /** `auth-tls-secret`: PEM CA bundle client certificates must chain to (mTLS); absent = none asked. */
  readonly clientCa?: string;
  readonly location: SourceLocation;
}

/** TLS termination on `GatewaySettings.listenTls`. */
export interface TlsConfig {
  /** In manifest order; the first is the default certificate (no SNI, or an unknown name). */
  readonly certificates: readonly TlsCertificate[];
  /** `<namespace>/<ingress>` of Ingresses with `ssl-redirect` / `force-ssl-redirect`: plain HTTP gets 308 to https. */
  readonly sslRedirect: readonly string[];
}


/** CLI flags that win over the `Gateway` manifest. */
export interface ConfigOverrides {
  /** `host:port` for the data-plane listener. */
  readonly listen?: string;
  /** `host:port` for the admin listener. */
  readonly admin?: string;
  /**
   * Folders local plugin files may be in besides the config folders (added to the Gateway's
   * `pluginDirs`; setting it confines absolute paths too). For embedders and `wasmgate run`.
   */
  readonly pluginDirs?: readonly string[];
  /** `host:port` for the HTTPS data-plane listener (`--listen-tls`). */
  readonly listenTls?: string;
  /** Data-plane worker threads (`--workers`). */
  readonly workers?: number;
  /**
   * `host:port` of the built-in echo backend the CLI started (serve, dev, run): the endpoint of
   * every Service with `spec.echo: true`. Without it such a Service is an error.
   */
  readonly echoBackend?: string;
}
