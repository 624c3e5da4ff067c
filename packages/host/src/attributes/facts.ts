/**
 * What the embedder (the gateway's exchange, the harness's test stream) knows about one stream that
 * the chain cannot know by itself: clocks, connection and upstream addresses, route and cluster.
 * The chain adds what it sees pass (headers, sizes, response code and details) and the resolver
 * (resolve.ts) turns both into Envoy attributes, so the gateway and the harness cannot disagree
 * on names, types or encodings — only on the raw facts they feed in.
 */

/** An IP endpoint. `ip` is bare (no brackets for IPv6); the resolver formats `ip:port`. */
export interface Peer {
  readonly ip: string;
  readonly port: number;
}

/** The upstream connection of a stream, once one was chosen. */
export interface UpstreamFacts {
  /** The upstream host the request went to (`upstream.address` / `upstream.port`). */
  readonly address?: Peer;
  /** The local end of the upstream socket, where the embedder knows it (`upstream.local_address`). */
  readonly localAddress?: Peer;
  /** Why the connection to the upstream failed ('' when it did not). */
  readonly transportFailureReason?: string;
}

/** A certificate as the `connection.*_certificate` attributes show it. */
export interface CertificateFacts {
  /** Subject in RFC 2253 form (`CN=client,O=Example`), as Envoy prints it. */
  readonly subject: string;
  /** URI and DNS subjectAltNames, in certificate order (the attributes give the first). */
  readonly uriSans: readonly string[];
  readonly dnsSans: readonly string[];
  /** Lowercase hex SHA-256 of the DER certificate. */
  readonly sha256: string;
}

/** The downstream TLS connection (absent on plain-text listeners: the attributes are NotFound). */
export interface TlsFacts {
  /** `TLSv1.2`, `TLSv1.3` (`connection.tls_version`). */
  readonly version: string;
  /** The certificate the gateway presented. */
  readonly local?: CertificateFacts;
  /** The client's certificate, when it sent one (mTLS). */
  readonly peer?: CertificateFacts;
  /** A client certificate was presented and verified (`connection.mtls`). */
  readonly mtls: boolean;
}

/** Raw facts of one stream, supplied by the embedder. Absent members make their attributes NotFound. */
export interface StreamFacts {
  /** Wall-clock ns since the Unix epoch when the request arrived (`request.time`). */
  readonly startNanos?: bigint;
  /** Wall-clock ns now (taken when the stream completes, for `request.duration`). */
  nowNanos?(): bigint;
  /** `HTTP/1.0`, `HTTP/1.1`, `HTTP/2` … (`request.protocol`). */
  readonly protocol?: string;
  /** Scheme when the request headers carry no `:scheme`. */
  readonly scheme?: string;
  /** Downstream peer (`source.*`) and the local end of the downstream connection (`destination.*`). */
  readonly source?: Peer;
  readonly destination?: Peer;
  /** Downstream connection id (`connection.id`, `connection_id`). */
  readonly connectionId?: bigint;
  /** SNI of the downstream TLS connection; '' on plain-text listeners. */
  readonly requestedServerName?: string;
  /** The downstream TLS connection, read when a plugin asks; undefined on plain text. */
  tls?(): TlsFacts | undefined;
  /** Envoy's listener traffic direction (0 unspecified, 1 inbound, 2 outbound). */
  readonly listenerDirection?: bigint;
  /** Higress route name (`route_name`, `xds.route_name`); may change when the route is picked again. */
  routeName?(): string | undefined;
  /** Cluster name (`cluster_name`, `xds.cluster_name`). */
  clusterName?(): string | undefined;
  /** The upstream, once the request was sent to one. */
  upstream?(): UpstreamFacts | undefined;
}

/**
 * Envoy's response flags (StreamInfo::CoreResponseFlag, as the `response.flags` bitmask). Only the
 * ones wasmgate can produce are listed.
 */
export const ResponseFlag = {
  /** UH: no healthy upstream host (a route without endpoints). */
  NoHealthyUpstream: 0x2,
  /** UT: upstream request timeout. */
  UpstreamRequestTimeout: 0x4,
  /** UR: upstream remote reset. */
  UpstreamRemoteReset: 0x10,
  /** UF: upstream connection failure. */
  UpstreamConnectionFailure: 0x20,
  /** UC: upstream connection termination. */
  UpstreamConnectionTermination: 0x40,
  /** NR: no route. */
  NoRouteFound: 0x100,
  /** DC: downstream connection termination. */
  DownstreamConnectionTermination: 0x4000,
  /** SI: stream idle timeout. */
  StreamIdleTimeout: 0x10000,
} as const;
