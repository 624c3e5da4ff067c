/**
 * The bytes a plugin receives in `proxy_on_configure`, built the way the Higress controller builds
 * them (`convertIstioWasmPlugin` in pkg/ingress/config/ingress_config.go) before Istio serialises the
 * Struct to JSON. docs/config.md shows the result for a worked example.
 * @module
 */
import type { MatchRuleSpec } from './schema/index.js';

/** The WasmPlugin fields that take part. */
export interface PluginConfigInput {
  readonly pluginConfig?: Record<string, unknown>;
  readonly defaultConfig?: Record<string, unknown>;
  readonly defaultConfigDisable?: boolean;
  readonly matchRules?: readonly MatchRuleSpec[];
}

/** The outcome: the JSON, or "Higress would not install this plugin at all". */
export type PluginConfigJson =
  | { readonly disabled: false; readonly configJson: string; readonly rulesWithoutMatch: readonly number[] }
  | { readonly disabled: true; readonly rulesWithoutMatch: readonly number[] };

/**
 * Builds the configuration JSON:
 * 1. a legacy `pluginConfig` wins and is passed through untouched (its `_rules_` included);
 * 2. otherwise start from `defaultConfig` (dropped when `defaultConfigDisable` is true);
 * 3. append `_rules_`: one entry per matchRule that is not `configDisable`, in order, each being the
 *    rule's `config` plus `_match_route_` (ingress), `_match_domain_` (domain), `_match_service_`
 *    (service) for the lists that are not empty;
 * 4. with `defaultConfigDisable` and no rule left, Higress drops the plugin (`disabled`).
 *
 * An empty result is the empty string: Istio sends no configuration for a Struct without fields.
 * Key order is the manifest's, with `_rules_` last. Ingress names without a namespace are qualified
 * with the plugin's namespace, because wasmgate's `route_name` is always `<namespace>/<ingress>`.
 * Rules with no match list are listed in `rulesWithoutMatch` (Higress rejects the whole plugin).
 */
export function buildPluginConfigJson(input: PluginConfigInput, pluginNamespace: string): PluginConfigJson {
  if (input.pluginConfig !== undefined) {
    return { disabled: false, configJson: serialise(input.pluginConfig), rulesWithoutMatch: [] };
  }
  const rulesWithoutMatch: number[] = [];
  let config: Record<string, unknown> | undefined = input.defaultConfigDisable ? undefined : input.defaultConfig;
  let hasValidRule = false;
  const matchRules = input.matchRules ?? [];
  if (matchRules.length > 0) {
    // A copy, so the manifest value is never changed (and keeps its key order).
    config = { ...(config ?? {}) };
    const rules: Record<string, unknown>[] = [];
    matchRules.forEach((rule, index) => {
      if (rule.configDisable === true) return;
      const entry: Record<string, unknown> = { ...(rule.config ?? {}) };
      const routes = (rule.ingress ?? []).map((name) => qualifyIngress(name, pluginNamespace));
      const domains = rule.domain ?? [];
      const services = rule.service ?? [];
      if (routes.length > 0) entry._match_route_ = routes;
      if (domains.length > 0) entry._match_domain_ = [...domains];
      if (services.length > 0) entry._match_service_ = [...services];
      if (routes.length + domains.length + services.length === 0) {
        rulesWithoutMatch.push(index);
        return;
      }
      rules.push(entry);
    });
    if (rules.length > 0) {
      hasValidRule = true;
      config._rules_ = rules;
    }
  }
  if (!hasValidRule && input.defaultConfigDisable === true) return { disabled: true, rulesWithoutMatch };
  return { disabled: false, configJson: serialise(config), rulesWithoutMatch };
}

/** `ns/name` stays; a bare `name` means the plugin's namespace (where Higress reads WasmPlugins). */
export function qualifyIngress(name: string, pluginNamespace: string): string {
  return name.includes('/') ? name : `${pluginNamespace}/${name}`;
}

/**
 * Istio hands Envoy the plugin config as a protobuf Struct turned into JSON, and Go's protobuf JSON
 * encoders write map (Struct) keys sorted. So Higress plugins receive every object's keys in sorted
 * order, at every depth (`_rules_` first, as `_` sorts before letters); arrays keep their order.
 */
function serialise(config: Record<string, unknown> | undefined): string {
  if (config === undefined || Object.keys(config).length === 0) return '';
  return JSON.stringify(sortKeys(config));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}
