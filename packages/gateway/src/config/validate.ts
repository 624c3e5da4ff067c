/**
 * Stage 3: dispatch each document on apiVersion + kind and check it against the kind's schema.
 * Every problem of every document is collected; a document with errors yields no manifest, but
 * keeps its identity so other documents' references to it are not reported as missing too.
 * @module
 */
import type { WasmgateError } from '@wasmgate/host';
import { configError } from './errors.js';
import { locate } from './locate.js';
import type { ParsedDocument } from './parse.js';
import { schemaIssues, stripNulls } from './schema-issues.js';
import {
  MANIFEST_KINDS,
  findKind,
  knownKindsText,
  type GatewaySpec,
  type IngressSpec,
  type ManifestKind,
  type McpBridgeSpec,
  type SecretSpec,
  type ServiceSpec,
  type WasmPluginSpec,
} from './schema/index.js';

/** Kind, namespace and name of a document. */
export interface ManifestIdentity {
  readonly kind: ManifestKind;
  readonly namespace: string;
  readonly name: string;
}

interface ManifestBase<K extends ManifestKind, S> extends ManifestIdentity {
  readonly kind: K;
  readonly spec: S;
  readonly parsed: ParsedDocument;
}

/** A document that passed its schema, typed by kind. */
export type Manifest =
  | ManifestBase<'Ingress', IngressSpec>
  | ManifestBase<'WasmPlugin', WasmPluginSpec>
  | ManifestBase<'Service', ServiceSpec>
  | ManifestBase<'Gateway', GatewaySpec>
  | ManifestBase<'McpBridge', McpBridgeSpec>
  | ManifestBase<'Secret', SecretSpec>;

/** The outcome for one document. */
export interface ValidateResult {
  readonly parsed: ParsedDocument;
  readonly manifest?: Manifest;
  /** Set when kind and metadata are readable, even if the spec is not. */
  readonly identity?: ManifestIdentity;
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
}

/** The namespace of objects that do not name one, as in Kubernetes. */
export const DEFAULT_NAMESPACE = 'default';

/** Validates one document. */
export function validateDocument(parsed: ParsedDocument): ValidateResult {
  const errors: WasmgateError[] = [];
  const warnings: WasmgateError[] = [];
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(
      configError('WG_CONFIG_INVALID', 'a manifest must be a mapping with apiVersion, kind, metadata and spec', locate(parsed, []), {
        hint: 'Each YAML document (separated by "---") must be one Kubernetes-style object.',
      }),
    );
    return { parsed, errors, warnings };
  }
  const doc = value as Record<string, unknown>;
  const entry = findKind(doc.apiVersion, doc.kind);
  if (!entry) {
    errors.push(unknownKind(parsed, doc.apiVersion, doc.kind));
    return { parsed, errors, warnings };
  }
  const cleaned = stripNulls(entry.schema, doc) as Record<string, unknown>;
  for (const issue of schemaIssues(entry.schema, cleaned)) {
    if (issue.unknownField) {
      const hint = issue.suggestion === undefined ? undefined : issue.suggestion.toLowerCase() === String(issue.path.at(-1)).toLowerCase()
        ? `Field names are case-sensitive: write "${issue.suggestion}" (as written, the field is ignored).`
        : `Write "${issue.suggestion}" if that is what you meant (as written, the field is ignored).`;
      warnings.push(configError('WG_CONFIG_UNKNOWN_FIELD', issue.message, locate(parsed, issue.path, 'key'), { hint }));
    } else {
      errors.push(configError('WG_CONFIG_INVALID', issue.message, locate(parsed, issue.path)));
    }
  }
  const identity = identityOf(entry.kind, cleaned.metadata);
  if (errors.length > 0) return identity ? { parsed, identity, errors, warnings } : { parsed, errors, warnings };
  // The schema has been checked, so the shape matches the kind's static type.
  // A Secret has no spec: its type, data and stringData are top-level.
  const spec = entry.kind === 'Secret' ? { type: cleaned.type, data: cleaned.data, stringData: cleaned.stringData } : cleaned.spec ?? {};
  const manifest = { ...identity!, spec, parsed } as Manifest;
  return { parsed, manifest, identity: identity!, errors, warnings };
}

function identityOf(kind: ManifestKind, metadata: unknown): ManifestIdentity | undefined {
  const m = metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof m?.name !== 'string' || m.name === '') return undefined;
  const namespace = typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : DEFAULT_NAMESPACE;
  return { kind, namespace, name: m.name };
}

function unknownKind(parsed: ParsedDocument, apiVersion: unknown, kind: unknown): WasmgateError {
  const where = locate(parsed, apiVersion === undefined || kind === undefined ? [] : ['kind']);
  if (apiVersion === undefined || kind === undefined) {
    const missing = apiVersion === undefined ? 'apiVersion' : 'kind';
    return configError('WG_CONFIG_UNKNOWN_KIND', `the document has no ${missing}`, { ...where, path: missing }, {
      hint: `Every document needs apiVersion and kind; known kinds: ${knownKindsText()}.`,
    });
  }
  const sameKind = MANIFEST_KINDS.find((k) => k.kind === kind);
  // A familiar kind under another apiVersion is the common slip (v1 Service, Ingress v1beta1).
  const hint = sameKind
    ? `wasmgate reads ${sameKind.kind} as apiVersion ${sameKind.apiVersion}${
        sameKind.kind === 'Service' ? ' (a Service with spec.endpoints; Kubernetes v1 Services are not read)' : ''
      }; known kinds: ${knownKindsText()}.`
    : `Known kinds: ${knownKindsText()}. Remove this document or keep it in a file wasmgate does not read.`;
  return configError('WG_CONFIG_UNKNOWN_KIND', `unknown kind ${String(apiVersion)} ${String(kind)}`, where, { hint });
}
