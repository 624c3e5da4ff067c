/**
 * The config pipeline's public surface: `loadConfig` (files) and `loadConfigFromSources` (texts)
 * produce a deep-frozen {@link Config}; `matchRoute` and `findCluster` answer questions about it.
 * @module
 */
export { loadConfig, loadConfigFromSources, type LoadOptions, type LoadResult } from './load-config.js';
export { readConfigSources, type ConfigSource, type ReadResult } from './read.js';
export { matchRoute, compareRoutes, hostMatches, normalizeHost, pathMatches, routesHaveConditions } from './match-route.js';
export { findCluster, type ClusterTarget } from './find-cluster.js';
export { buildPluginConfigJson, qualifyIngress, type PluginConfigInput, type PluginConfigJson } from './plugin-config-json.js';
export { comparePlugins, PHASE_ORDER } from './resolve-plugins.js';
export { GATEWAY_DEFAULTS } from './resolve-gateway.js';
export { formatHostPort, parseHostPort } from './address.js';
export { deepFreeze, type DeepReadonly } from './freeze.js';
export { CONFIG_ERRORS, type ConfigErrorCode } from './errors.js';
export { MANIFEST_KINDS, type KindEntry, type ManifestKind } from './schema/index.js';
export type * from './types.js';
