/**
 * The kinds wasmgate reads, keyed by apiVersion + kind. Also the source of `wasmgate schema`
 * (each entry's `schema` is plain JSON Schema).
 * @module
 */
import type { TSchema } from '@sinclair/typebox';
import { GatewaySchema } from './gateway.js';
import { IngressSchema } from './ingress.js';
import { McpBridgeSchema } from './mcp-bridge.js';
import { SecretSchema } from './secret.js';
import { ServiceSchema } from './service.js';
import { WasmPluginSchema } from './wasm-plugin.js';

export type { GatewaySpec } from './gateway.js';
export type { IngressBackend, IngressSpec } from './ingress.js';
export type { McpBridgeRegistry, McpBridgeSpec } from './mcp-bridge.js';
export type { SecretSpec } from './secret.js';
export type { ServiceSpec } from './service.js';
export type { MatchRuleSpec, WasmPluginSpec } from './wasm-plugin.js';

/** The manifest kinds, by name. */
export type ManifestKind = 'Ingress' | 'WasmPlugin' | 'Service' | 'Gateway' | 'McpBridge' | 'Secret';

/** One readable kind. */
export interface KindEntry {
  readonly apiVersion: string;
  readonly kind: ManifestKind;
  /** JSON Schema of the whole manifest (TypeBox-built). */
  readonly schema: TSchema;
}

/** Every kind wasmgate reads. */
export const MANIFEST_KINDS: readonly KindEntry[] = Object.freeze([
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', schema: IngressSchema },
  { apiVersion: 'extensions.higress.io/v1alpha1', kind: 'WasmPlugin', schema: WasmPluginSchema },
  { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Service', schema: ServiceSchema },
  { apiVersion: 'wasmgate.io/v1alpha1', kind: 'Gateway', schema: GatewaySchema },
  { apiVersion: 'networking.higress.io/v1', kind: 'McpBridge', schema: McpBridgeSchema },
  { apiVersion: 'v1', kind: 'Secret', schema: SecretSchema },
]);

/** `apiVersion kind` of every readable kind, for hints. */
export function knownKindsText(): string {
  return MANIFEST_KINDS.map((k) => `${k.apiVersion} ${k.kind}`).join(', ');
}

/** Finds the entry for a document's apiVersion and kind. */
export function findKind(apiVersion: unknown, kind: unknown): KindEntry | undefined {
  return MANIFEST_KINDS.find((k) => k.apiVersion === apiVersion && k.kind === kind);
}
