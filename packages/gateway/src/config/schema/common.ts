/**
 * Schema building blocks shared by the manifest kinds. Objects are closed (`additionalProperties:
 * false`) so that unknown fields surface; the validator turns those into warnings, not errors.
 * An `errorMessage` option on a schema replaces the generic message for pattern mismatches.
 * @module
 */
import { Type, type TLiteral, type TProperties, type TSchema, type TUnion } from '@sinclair/typebox';

/** A closed object: unknown keys are reported (as warnings). */
export function Strict<T extends TProperties>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** One of a fixed set of strings. */
export function Enum<const V extends readonly string[]>(
  values: V,
  options: { description?: string } = {},
): TUnion<TLiteral<V[number]>[]> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  ) as TUnion<TLiteral<V[number]>[]>;
}

/** A string with at least one character. */
export const NonEmpty = (options: { description?: string } = {}) => Type.String({ minLength: 1, ...options });

/** A TCP port. */
export const Port = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, ...(description ? { description } : {}) });

/**
 * A mapping with any content: plugin configuration (`defaultConfig`, `matchRules[].config`,
 * `pluginConfig`), passed to the plugin as JSON without looking inside.
 */
export const FreeForm = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

/** A list of non-empty strings. */
export const Names = (description: string) => Type.Array(NonEmpty(), { description });

/** Kubernetes object names (RFC 1123 subdomain). */
export const ObjectName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  maxLength: 253,
  errorMessage: 'must be a lowercase RFC 1123 name (a-z, 0-9, "-" and ".", starting and ending alphanumeric)',
});

/** Kubernetes namespaces (RFC 1123 label). */
export const NamespaceName = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  maxLength: 63,
  errorMessage: 'must be a lowercase RFC 1123 label (a-z, 0-9 and "-", at most 63 characters)',
});

/**
 * `metadata`: only name and namespace are used. It stays open because Kubernetes adds many fields
 * (uid, resourceVersion, creationTimestamp, …) that are not worth a warning.
 */
export const Metadata = Type.Object(
  {
    name: ObjectName,
    namespace: Type.Optional(NamespaceName),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { description: 'Kubernetes object metadata; namespace defaults to "default"' },
);

/** The envelope every manifest has: apiVersion, kind, metadata, spec (and a status we ignore). */
export function Manifest<S extends TSchema>(spec: S, specRequired: boolean = true) {
  return Strict({
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: Metadata,
    spec: specRequired ? spec : Type.Optional(spec),
    // Written by controllers, never by users; accepted so `kubectl get -o yaml` output loads.
    status: Type.Optional(Type.Unknown()),
  });
}
