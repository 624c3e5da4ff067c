/**
 * `wasmgate.io/v1alpha1` `Service`: stands in for a Kubernetes Service and its endpoints.
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, Manifest, Names, NonEmpty, Port, Strict } from './common.js';

const ServicePortSchema = Strict({
  name: Type.Optional(NonEmpty()),
  port: Port('the Service port Ingress backends and cluster names use'),
  targetPort: Type.Optional(Port('the endpoint port; default: each endpoint as written')),
});

/** The `spec` of a Service. */
export const ServiceSpecSchema = Strict({
  endpoints: Type.Optional(Type.Array(NonEmpty({ description: '"host:port" or "[ipv6]:port"' }), { minItems: 1 })),
  echo: Type.Optional(Type.Boolean({ description: 'true: the built-in echo backend of wasmgate serve/dev/run is the endpoint (instead of endpoints)' })),
  ports: Type.Optional(Type.Array(ServicePortSchema)),
  protocol: Type.Optional(Enum(['http', 'redis'])),
  tls: Type.Optional(Type.Boolean()),
  aliases: Type.Optional(Names('extra cluster host names, e.g. "redis.static", "auth.dns"')),
});

/** A whole Service manifest. */
export const ServiceSchema = Manifest(ServiceSpecSchema);

export type ServiceSpec = Static<typeof ServiceSpecSchema>;
