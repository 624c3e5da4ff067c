/**
 * `wasmgate.io/v1alpha1` `Gateway`: listener-level settings. Optional; at most one.
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, Manifest, Names, NonEmpty, Strict } from './common.js';

const Bytes = (description: string) => Type.Optional(Type.Integer({ minimum: 0, description }));

/** The `spec` of a Gateway. */
export const GatewaySpecSchema = Strict({
  listen: Type.Optional(NonEmpty({ description: 'data-plane "host:port" (default 127.0.0.1:8080)' })),
  admin: Type.Optional(NonEmpty({ description: 'admin "host:port" (default 127.0.0.1:15000)' })),
  listenTls: Type.Optional(NonEmpty({ description: 'HTTPS data-plane "host:port" (no default: no TLS listener); certificates from Ingress spec.tls' })),
  adminAllowedHosts: Type.Optional(Names('more Host header values the admin listener answers ("name", or "name:port"); see docs/config.md#admin-security')),
  adminTokenFile: Type.Optional(NonEmpty({ description: 'file holding the admin bearer token (WASMGATE_ADMIN_TOKEN wins); required for POST, /config_dump and /stats.json' })),
  pluginDirs: Type.Optional(Names('folders local plugin files may also be in (relative to this file); setting it confines absolute paths too')),
  accessLog: Type.Optional(Type.Union([
    NonEmpty({ description: '"stdout" or a file path' }),
    Strict({
      path: NonEmpty({ description: '"stdout" or a file path' }),
      format: Type.Optional(NonEmpty({ description: 'an Envoy format string, or "default" for Envoy\'s default format' })),
      jsonFormat: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Envoy json_format: field → "%OPERATOR%", constant or mapping' })),
    }),
  ], { errorMessage: 'must be "stdout", a file path, or a mapping {path, format | jsonFormat}' })),
  limits: Type.Optional(
    Strict({
      requestBodyBufferBytes: Bytes('default 1048576'),
      responseBodyBufferBytes: Bytes('default 1048576'),
      maxMemoryMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'default linear-memory cap per plugin VM, MiB (default 1024)' })),
      callTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'default CPU deadline of one plugin callback, ms (default 1000)' })),
      startTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'default CPU deadline of VM start + configure, ms (default 10000)' })),
    }),
  ),
  workers: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'data-plane worker threads (default: the number of CPUs)' })),
  drainTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'how long shutdown waits for in-flight requests (default 10000)' })),
  upstreamTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'default 15000' })),
  edge: Type.Optional(
    Strict({
      useRemoteAddress: Type.Optional(Type.Boolean({ description: 'append the client address to X-Forwarded-For (default true)' })),
      xffNumTrustedHops: Type.Optional(Type.Integer({ minimum: 0, maximum: 64, description: 'trusted proxies in front; 0 = X-Forwarded-Proto is overwritten (default 0)' })),
      preserveRequestId: Type.Optional(Type.Boolean({ description: 'keep a client-sent x-request-id (default true)' })),
      stripEnvoyHeaders: Type.Optional(Type.Boolean({ description: 'drop client-sent x-envoy-* headers (default true)' })),
    }),
  ),
  upstreamPool: Type.Optional(
    Strict({
      maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'connections per upstream endpoint and worker (default 256)' })),
      maxPendingRequests: Type.Optional(Type.Integer({ minimum: 0, maximum: 1048576, description: 'requests waiting for a connection, per endpoint and worker (default 1024)' })),
    }),
  ),
  imagePullSecret: Type.Optional(NonEmpty({ description: 'path of a docker config.json' })),
  insecureRegistries: Type.Optional(Names('registries reached over plain HTTP, "host:port"')),
  logLevel: Type.Optional(Enum(['trace', 'debug', 'info', 'warn', 'error', 'critical'])),
  tracing: Type.Optional(
    Strict({
      otlpEndpoint: NonEmpty({ description: 'OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces' }),
      samplingRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'share of new traces sampled (default 1); an incoming traceparent decides for its own' })),
      serviceName: Type.Optional(NonEmpty({ description: 'service.name of the spans (default "wasmgate")' })),
    }),
  ),
});

/** A whole Gateway manifest; its spec may be left out (all defaults). */
export const GatewaySchema = Manifest(GatewaySpecSchema, false);

export type GatewaySpec = Static<typeof GatewaySpecSchema>;
