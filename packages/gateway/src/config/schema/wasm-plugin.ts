/**
 * `extensions.higress.io/v1alpha1` `WasmPlugin`, with Higress's field names and meanings, plus the
 * wasmgate-only `spec.wasmgate` block.
 * @see https://github.com/alibaba/higress/blob/main/api/extensions/v1alpha1/wasmplugin.proto
 * @module
 */
import { Type, type Static } from '@sinclair/typebox';
import { Enum, FreeForm, Manifest, Names, NonEmpty, Strict } from './common.js';

const MatchRule = Strict({
  ingress: Type.Optional(Names('Ingress names, "namespace/name" or a bare name in the plugin namespace')),
  domain: Type.Optional(Names('hosts: exact, "*.suffix" or "prefix.*"')),
  service: Type.Optional(Names('cluster hosts, e.g. "svc.ns.svc.cluster.local:80" or "llm.dns"')),
  config: Type.Optional(FreeForm('configuration for requests this rule matches')),
  configDisable: Type.Optional(Type.Boolean({ description: 'drop this rule' })),
});

const EnvVar = Strict({
  name: Type.String({
    pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
    errorMessage: 'must be a C identifier (letters, digits and "_", not starting with a digit)',
  }),
  value: Type.Optional(Type.String()),
  valueFrom: Type.Optional(Enum(['INLINE', 'HOST'], { description: 'HOST is not supported and ignored' })),
});

const Scope = Strict({
  routes: Type.Optional(Names('route names "namespace/ingress" (bare names: the plugin namespace)')),
  domains: Type.Optional(Names('hosts: exact, "*.suffix" or "prefix.*"')),
});

const Limits = Strict({
  maxMemoryMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'linear-memory cap per VM in MiB (default: the Gateway\'s limits.maxMemoryMiB, 1024)' })),
  callTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'longest one plugin callback may run, in ms (default: the Gateway\'s limits.callTimeoutMs, 1000)' })),
  startTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'longest VM start + proxy_on_configure may run, in ms (default: the Gateway\'s limits.startTimeoutMs, 10000)' })),
});

/** The `spec` of a WasmPlugin. */
export const WasmPluginSpecSchema = Strict({
  url: NonEmpty({ description: 'file:// path (absolute or relative to this file), plain path, http(s):// or oci://' }),
  sha256: Type.Optional(
    Type.String({ pattern: '^([0-9a-fA-F]{64})?$', errorMessage: 'must be 64 hexadecimal characters' }),
  ),
  imagePullPolicy: Type.Optional(Enum(['UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'])),
  imagePullSecret: Type.Optional(Type.String()),
  verificationKey: Type.Optional(Type.String({ description: 'not supported: signatures are not verified' })),
  pluginConfig: Type.Optional(FreeForm('legacy whole configuration, passed through untouched')),
  pluginName: Type.Optional(Type.String({ description: "Envoy's root_id" })),
  phase: Type.Optional(Enum(['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'])),
  priority: Type.Optional(Type.Integer({ minimum: -2147483648, maximum: 2147483647 })),
  failStrategy: Type.Optional(Enum(['FAIL_CLOSE', 'FAIL_OPEN'])),
  vmConfig: Type.Optional(Strict({ env: Type.Optional(Type.Array(EnvVar)) })),
  defaultConfig: Type.Optional(FreeForm('global configuration')),
  matchRules: Type.Optional(Type.Array(MatchRule)),
  defaultConfigDisable: Type.Optional(Type.Boolean()),
  wasmgate: Type.Optional(
    Strict({ scope: Type.Optional(Scope), limits: Type.Optional(Limits) }, { description: 'wasmgate-only settings' }),
  ),
});

/** A whole WasmPlugin manifest. */
export const WasmPluginSchema = Manifest(WasmPluginSpecSchema);

export type WasmPluginSpec = Static<typeof WasmPluginSpecSchema>;
export type MatchRuleSpec = Static<typeof MatchRule>;
