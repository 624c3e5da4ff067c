/**
 * `networking.k8s.io/v1` `Ingress`: the fields wasmgate routes by, and `tls` (certificates for the
 * Gateway's `listenTls` listener, from `kubernetes.io/tls` Secrets).
 * @see https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, Manifest, NonEmpty, Port, Strict } from './common.js';

const ServiceBackendPort = Strict(
  {
    number: Type.Optional(Port('Service port number')),
    name: Type.Optional(NonEmpty({ description: 'Service port name, looked up in the Service ports' })),
  },
  { description: 'exactly one of number or name' },
);

/** `backend` and `defaultBackend`: a Service, or a McpBridge resource with `higress.io/destination`. */
export const IngressBackendSchema = Strict({
  service: Type.Optional(
    Strict({
      name: NonEmpty({ description: 'a Service in the Ingress namespace' }),
      port: ServiceBackendPort,
    }),
  ),
  resource: Type.Optional(
    Strict(
      {
        apiGroup: Type.Optional(Type.String()),
        kind: NonEmpty(),
        name: NonEmpty(),
      },
      { description: 'only networking.higress.io McpBridge, with the higress.io/destination annotation' },
    ),
  ),
});

const HttpIngressPath = Strict({
  path: Type.Optional(
    Type.String({ pattern: '^/', errorMessage: 'must be an absolute path starting with "/"' }),
  ),
  pathType: Enum(['Exact', 'Prefix', 'ImplementationSpecific'], {
    description: 'ImplementationSpecific is matched as Prefix',
  }),
  backend: IngressBackendSchema,
});

const IngressRule = Strict({
  host: Type.Optional(
    Type.String({
      pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      errorMessage: 'must be a lowercase DNS name, optionally starting with "*." (no port, no IP address)',
    }),
  ),
  http: Type.Optional(Strict({ paths: Type.Array(HttpIngressPath, { minItems: 1 }) })),
});

/** The `spec` of an Ingress. */
export const IngressSpecSchema = Strict({
  ingressClassName: Type.Optional(Type.String({ description: 'ignored: wasmgate serves every Ingress it reads' })),
  defaultBackend: Type.Optional(IngressBackendSchema),
  rules: Type.Optional(Type.Array(IngressRule)),
  tls: Type.Optional(Type.Array(Strict({
    hosts: Type.Optional(Type.Array(Type.String({
      pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      errorMessage: 'must be a lowercase DNS name, optionally starting with "*."',
    }), { description: 'SNI names served with this certificate' })),
    secretName: Type.Optional(NonEmpty({ description: 'a kubernetes.io/tls Secret in the Ingress namespace' })),
  }), { description: 'TLS termination on the Gateway listenTls listener' })),
});

/** A whole Ingress manifest. */
export const IngressSchema = Manifest(IngressSpecSchema);

export type IngressSpec = Static<typeof IngressSpecSchema>;
export type IngressBackend = Static<typeof IngressBackendSchema>;
