/**
 * `v1` `Secret` of type `kubernetes.io/tls`: the certificate and key an Ingress `spec.tls` entry names
 * by `secretName`, as `kubectl apply` takes it (`data` base64, or `stringData` plain PEM). Other
 * Secret types are read and ignored (with a warning) unless an Ingress names them.
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Metadata, Strict } from './common.js';

const SecretData = Type.Record(Type.String(), Type.String(), { description: 'tls.crt, tls.key (and ca.crt): base64 in data, PEM in stringData' });

/** The fields of a Secret wasmgate reads (a Secret has no `spec`: they are top-level). */
export const SecretFieldsSchema = {
  type: Type.Optional(Type.String({ description: 'kubernetes.io/tls for certificates; Opaque and others are accepted for ca.crt' })),
  data: Type.Optional(SecretData),
  stringData: Type.Optional(SecretData),
  immutable: Type.Optional(Type.Boolean()),
};

/** A whole Secret manifest. */
export const SecretSchema = Strict({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: Metadata,
  ...SecretFieldsSchema,
});

const SecretSpecSchema = Type.Object(SecretFieldsSchema);
/** What wasmgate keeps of a Secret, as its "spec". */
export type SecretSpec = Static<typeof SecretSpecSchema>;
