/**
 * Stage 4: the cross-document work. Duplicates are found, references resolved and defaults applied;
 * the result is the (not yet frozen) `Config`.
 * @module
 */
import type { WasmgateError } from '@wasmgate/host';
import { configError } from './errors.js';
import { locate } from './locate.js';
import { formatWhere, identityKey, ResolveContext } from './resolve-context.js';
import { resolveGateway } from './resolve-gateway.js';
import { pluginDirsOf } from './resolve-admin.js';
import { resolvePlugins } from './resolve-plugins.js';
import { resolveRoutes } from './resolve-routes.js';
import { resolveMcpBridges } from './resolve-mcp-bridge.js';
import { resolveServices } from './resolve-services.js';
import { resolveTls } from './resolve-tls.js';
import type { Config, ConfigOverrides } from './types.js';
import type { Manifest, ValidateResult } from './validate.js';

/** What resolving produced; `config` is set even when there are errors, for diagnostics only. */
export interface ResolveResult {
  readonly config: Config;
  readonly errors: WasmgateError[];
  readonly warnings: WasmgateError[];
  /** Every local plugin path named (see `LoadResult.pluginFiles`). */
  readonly pluginFiles: string[];
}

/** Resolves validated documents (in file and document order) into a Config. */
export function resolveConfig(
  documents: readonly ValidateResult[],
  sources: readonly string[],
  overrides: ConfigOverrides = {},
  options: { readonly checkPluginFiles?: boolean; readonly configDirs?: readonly string[] } = {},
): ResolveResult {
  const broken = documents.filter((d) => !d.manifest && d.identity).map((d) => d.identity!);
  const ctx = new ResolveContext(broken.map((i) => identityKey(i.kind, i.namespace, i.name)), options.checkPluginFiles === true);
  const manifests = dropDuplicates(documents, ctx);
  const of = <K extends Manifest['kind']>(kind: K) => manifests.filter((m): m is Extract<Manifest, { kind: K }> => m.kind === kind);

  const services = resolveServices(of('Service'), ctx, overrides.echoBackend);
  resolveMcpBridges(of('McpBridge'), services, ctx);
  const routes = resolveRoutes(of('Ingress'), services, ctx);
  const ingressNames = new Set(
    documents.flatMap((d) => (d.identity?.kind === 'Ingress' ? [`${d.identity.namespace}/${d.identity.name}`] : [])),
  );
  const pluginDirs = pluginDirsOf(of('Gateway')[0], overrides);
  ctx.pluginRoots = { configDirs: options.configDirs ?? [], ...(pluginDirs ? { pluginDirs } : {}) };
  const plugins = resolvePlugins(of('WasmPlugin'), ingressNames, ctx);
  const gateway = resolveGateway(of('Gateway')[0], overrides, ctx);
  const tls = resolveTls(of('Ingress'), of('Secret'), ctx, gateway.listenTls !== undefined);
  const config: Config = {
    sources: [...sources],
    gateway,
    services: [...services.values()].sort((a, b) => compare(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)),
    routes,
    plugins,
    ...(tls ? { tls } : {}),
  };
  return { config, errors: ctx.errors, warnings: ctx.warnings, pluginFiles: [...ctx.pluginFiles] };
}

/**
 * Reports a second object with the same kind, namespace and name (and any second Gateway) and keeps
 * only the first, so later stages see each object once. Broken documents count too.
 */
function dropDuplicates(documents: readonly ValidateResult[], ctx: ResolveContext): Manifest[] {
  const first = new Map<string, string>();
  const kept: Manifest[] = [];
  for (const d of documents) {
    if (!d.identity) continue;
    const { kind, namespace, name } = d.identity;
    const key = kind === 'Gateway' ? 'Gateway' : identityKey(kind, namespace, name);
    const where = locate(d.parsed, ['metadata', 'name']);
    const earlier = first.get(key);
    if (earlier !== undefined) {
      const message = kind === 'Gateway'
        ? 'there is more than one Gateway; wasmgate reads at most one'
        : `duplicate ${kind} ${namespace}/${name}`;
      ctx.errors.push(configError('WG_CONFIG_DUPLICATE', message, where, { details: [`first defined at ${earlier}`] }));
      continue;
    }
    first.set(key, formatWhere(where));
    if (d.manifest) kept.push(d.manifest);
  }
  return kept;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
