/**
 * Resolves WasmPlugins: URL scheme and file path, defaults, env, scope, the configuration JSON, and
 * the filter-chain order.
 * @module
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseOciRef } from '../plugins/sources/oci-ref.js';
import { locate } from './locate.js';
import { buildPluginConfigJson, qualifyIngress } from './plugin-config-json.js';
import type { ResolveContext } from './resolve-context.js';
import type { PluginPhase, PluginScheme, PluginScope, WasmPluginConfig } from './types.js';
import type { Manifest } from './validate.js';

type PluginManifest = Extract<Manifest, { kind: 'WasmPlugin' }>;

/** Istio inserts each phase's plugins at its place in the chain; UNSPECIFIED_PHASE goes last, before the router. */
export const PHASE_ORDER: readonly PluginPhase[] = ['AUTHN', 'AUTHZ', 'STATS', 'UNSPECIFIED_PHASE'];

/** Resolves every plugin and returns them in chain order. `ingresses` holds every `namespace/name` defined. */
export function resolvePlugins(
  manifests: readonly PluginManifest[],
  ingresses: ReadonlySet<string>,
  ctx: ResolveContext,
): WasmPluginConfig[] {
  const plugins: WasmPluginConfig[] = [];
  for (const m of manifests) {
    const plugin = resolvePlugin(m, ingresses, ctx);
    if (plugin) plugins.push(plugin);
  }
  return plugins.sort(comparePlugins);
}

/** Chain order: phase, then priority (highest first), then namespace and name, as Istio sorts. */
export function comparePlugins(
  a: Pick<WasmPluginConfig, 'phase' | 'priority' | 'namespace' | 'name'>,
  b: Pick<WasmPluginConfig, 'phase' | 'priority' | 'namespace' | 'name'>,
): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    PHASE_ORDER.indexOf(a.phase) - PHASE_ORDER.indexOf(b.phase) ||
    b.priority - a.priority ||
    text(a.namespace, b.namespace) ||
    text(a.name, b.name)
  );
}

function resolvePlugin(m: PluginManifest, ingresses: ReadonlySet<string>, ctx: ResolveContext): WasmPluginConfig | undefined {
  const { spec } = m;
  const source = resolveUrl(spec.url, m.parsed.file);
  let missingFile = false;
  if ('reason' in source) {
    ctx.error('WG_CONFIG_INVALID', m, ['spec', 'url'], source.reason, source.hint ??
      'Use file:///absolute/path.wasm, file://relative/path.wasm or a plain path (relative to this file), http(s)://host/path.wasm, or oci://registry/repo:tag.');
  } else {
    if (source.looksLikeOci) {
      ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'url'], `"${spec.url}" has no scheme, so wasmgate reads it as a local file; Istio and Higress would pull it as oci://${spec.url}`,
        `Write oci://${spec.url} to pull the image, or file://${spec.url} to silence this warning.`);
    }
    const outside = source.resolvedPath !== undefined ? outsideRoots(source.resolvedPath, spec.url, m.parsed.file, ctx) : undefined;
    if (outside !== undefined) {
      ctx.error('WG_CONFIG_PLUGIN_PATH', m, ['spec', 'url'], outside.message, outside.hint);
      missingFile = true;
    } else if (source.resolvedPath !== undefined) {
      ctx.pluginFiles.add(source.resolvedPath);
      const why = ctx.checkPluginFiles && !source.looksLikeOci ? unreadableFile(source.resolvedPath) : undefined;
      if (why !== undefined) {
        // serve would refuse a FAIL_CLOSE plugin it cannot read, and skip a FAIL_OPEN one.
        const failOpen = spec.failStrategy === 'FAIL_OPEN';
        const message = `plugin file ${source.resolvedPath} ${why}${failOpen ? '; the plugin is FAIL_OPEN, so it is skipped' : ''}`;
        const hint = `Build the plugin or fix the path (${isAbsolute(spec.url.replace(/^file:\/\//i, '')) ? 'absolute' : `relative to ${dirname(m.parsed.file)}`}).`;
        if (failOpen) ctx.warn('WG_CONFIG_PLUGIN_FILE', m, ['spec', 'url'], message, hint);
        else {
          ctx.error('WG_CONFIG_PLUGIN_FILE', m, ['spec', 'url'], message, hint);
          missingFile = true;
        }
      }
    }
  }
  (spec.matchRules ?? []).forEach((rule, i) => {
    (rule.domain ?? []).forEach((d, j) => checkDomain(m, ['spec', 'matchRules', i, 'domain', j], d, ctx));
  });
  (spec.wasmgate?.scope?.domains ?? []).forEach((d, j) => checkDomain(m, ['spec', 'wasmgate', 'scope', 'domains', j], d, ctx));

  const built = buildPluginConfigJson(spec, m.namespace);
  for (const i of built.rulesWithoutMatch) {
    ctx.error('WG_CONFIG_INVALID', m, ['spec', 'matchRules', i], 'match rule has no ingress, domain or service list, so it matches nothing',
      'Add ingress, domain or service to the rule, or set configDisable: true (Higress rejects the whole plugin otherwise).');
  }
  if (spec.pluginConfig !== undefined) {
    for (const field of ['defaultConfig', 'matchRules', 'defaultConfigDisable'] as const) {
      if (spec[field] !== undefined) {
        ctx.warn('WG_CONFIG_IGNORED', m, ['spec', field], `${field} is ignored because pluginConfig is set (Higress passes pluginConfig through as is)`);
      }
    }
  }
  (spec.matchRules ?? []).forEach((rule, i) => {
    (rule.ingress ?? []).forEach((ref, j) => checkIngressRef(m, ['spec', 'matchRules', i, 'ingress', j], ref, ingresses, ctx));
  });
  if (spec.verificationKey !== undefined) {
    ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'verificationKey'], 'verificationKey is ignored: wasmgate does not verify signatures (Higress does not either)');
  }
  if ('reason' in source || missingFile || built.rulesWithoutMatch.length > 0) return undefined;
  if (built.disabled) {
    ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'defaultConfigDisable'],
      `plugin ${m.namespace}/${m.name} is not installed: defaultConfigDisable is true and no match rule is enabled (as in Higress)`);
    return undefined;
  }

  const env: [string, string][] = [];
  (spec.vmConfig?.env ?? []).forEach((e, i) => {
    if (e.valueFrom === 'HOST') {
      ctx.warn('WG_CONFIG_IGNORED', m, ['spec', 'vmConfig', 'env', i, 'valueFrom'], `valueFrom HOST is not supported; ${e.name} is not set`,
        'Give the value inline with value: instead.');
      return;
    }
    env.push([e.name, e.value ?? '']);
  });

  const scopeSpec = spec.wasmgate?.scope;
  let scope: PluginScope | undefined;
  if (scopeSpec) {
    const routes = scopeSpec.routes?.map((ref, j) => checkIngressRef(m, ['spec', 'wasmgate', 'scope', 'routes', j], ref, ingresses, ctx));
    const domains = scopeSpec.domains?.map((d) => d.toLowerCase());
    scope = { ...(routes ? { routes } : {}), ...(domains ? { domains } : {}) };
  }
  const limits = spec.wasmgate?.limits;
  const sha256 = spec.sha256 ? spec.sha256.toLowerCase() : undefined;
  return {
    namespace: m.namespace,
    name: m.name,
    key: `${m.namespace}/${m.name}`,
    url: spec.url,
    scheme: source.scheme,
    ...(source.resolvedPath !== undefined ? { resolvedPath: source.resolvedPath } : {}),
    ...(sha256 !== undefined ? { sha256 } : {}),
    imagePullPolicy: spec.imagePullPolicy ?? 'UNSPECIFIED_POLICY',
    ...(spec.imagePullSecret ? { imagePullSecret: spec.imagePullSecret } : {}),
    rootId: spec.pluginName ?? '',
    phase: spec.phase ?? 'UNSPECIFIED_PHASE',
    priority: spec.priority ?? 0,
    failStrategy: spec.failStrategy ?? 'FAIL_CLOSE',
    // fromEntries defines own properties, so a variable named __proto__ stays a plain entry.
    env: Object.fromEntries(env),
    ...(scope ? { scope } : {}),
    ...(limits ? { limits: { ...limits } } : {}),
    configJson: built.configJson,
    location: locate(m.parsed, ['metadata', 'name']),
  };
}

/** Qualifies an Ingress reference and warns when no such Ingress is defined (the rule could never match). */
function checkIngressRef(m: PluginManifest, path: (string | number)[], ref: string, ingresses: ReadonlySet<string>, ctx: ResolveContext): string {
  const qualified = qualifyIngress(ref, m.namespace);
  if (!ingresses.has(qualified)) {
    ctx.warn('WG_CONFIG_REF_NOT_FOUND', m, path, `no Ingress ${qualified} is defined, so this never matches a route`,
      'Route names are "<namespace>/<ingress name>"; a bare name means the WasmPlugin namespace.');
  }
  return qualified;
}

type UrlSource = { scheme: PluginScheme; resolvedPath?: string; looksLikeOci: boolean } | { reason: string; hint?: string };

const URL_SCHEMES = ['file', 'http', 'https', 'oci'];

/** Splits `spec.url` into scheme and, for files, an absolute path relative to the declaring file. */
export function resolveUrl(url: string, declaringFile: string): UrlSource {
  const base = dirname(declaringFile);
  // README placeholders (`oci://<your_registry_hub>/plugins/x:1.0.0`) copied as they are.
  const placeholder = /<[^<>]*>/.exec(url);
  if (placeholder) {
    return { reason: `"${url}" contains the placeholder ${placeholder[0]}`, hint: `Replace ${placeholder[0]} with a real value (for an image: the registry host, e.g. oci://higress-registry.cn-hangzhou.cr.aliyuncs.com/plugins/…).` };
  }
  if (url.trim() !== url) return { reason: `"${url}" starts or ends with spaces`, hint: 'Remove the spaces around the URL.' };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(url);
  if (!m) {
    // `oci:/host/repo` or `https:host/x`: a scheme with a slash missing would be read as a file path.
    const bare = /^([A-Za-z][A-Za-z0-9+.-]+):(\/?)(?!\/)(.*)$/s.exec(url);
    if (bare && (URL_SCHEMES.includes(bare[1]!.toLowerCase()) || bare[2] === '/')) {
      const scheme = bare[1]!.toLowerCase();
      if (!URL_SCHEMES.includes(scheme)) return { reason: `unsupported URL scheme "${scheme}:"` };
      return { reason: `"${url}" has ${bare[2] === '/' ? 'one slash' : 'no slashes'} after "${bare[1]}:"`, hint: `Write ${scheme}://${bare[3]}.` };
    }
    // Istio treats a scheme-less url as an OCI reference; one with a tag or digest probably is one.
    const looksLikeOci = !url.endsWith('.wasm') && /^[^/]+\.[^/]+\/.+[:@]/.test(url);
    return { scheme: 'file', resolvedPath: isAbsolute(url) ? url : resolve(base, url), looksLikeOci };
  }
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (scheme) {
    case 'file': {
      if (rest === '') return { reason: 'file:// needs a path' };
      let path = rest;
      try {
        path = decodeURIComponent(rest);
      } catch {
        // Not percent-encoded after all: use it as written.
      }
      return { scheme: 'file', resolvedPath: isAbsolute(path) ? path : resolve(base, path), looksLikeOci: false };
    }
    case 'http':
    case 'https':
      if (/\s/.test(url) || !URL.canParse(url) || new URL(url).hostname === '') return { reason: `"${url}" is not a valid ${scheme} URL` };
      return { scheme, looksLikeOci: false };
    case 'oci': {
      if (!/^[^\s/]+\/\S+$/.test(rest)) return { reason: `"${url}" is not an OCI reference (oci://registry/repository[:tag|@sha256:digest])` };
      const host = rest.slice(0, rest.indexOf('/'));
      if (!OCI_REGISTRY.test(host)) {
        return { reason: `"${url}" names the registry "${host}", which is not a host name or host:port`, hint: 'Write oci://registry.example.com[:port]/repository:tag.' };
      }
      try {
        parseOciRef(url);
      } catch (e) {
        return { reason: `"${url}" is ${(e as Error).message.replace(/^.*?: not/, 'not')}` };
      }
      return { scheme, looksLikeOci: false };
    }
    default:
      return { reason: `unsupported URL scheme "${scheme}://"` };
  }
}

/** A registry: host name, IPv4 or bracketed IPv6, optional port. */
const OCI_REGISTRY = /^(([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * A match-rule or scope domain: an exact host, `*.suffix` or `prefix.*` (Higress's forms), made of
 * non-empty DNS labels; case does not matter, a port never matches.
 */
const DOMAIN = /^(\*\.)?[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?(\.[a-z0-9_]([-a-z0-9_]*[a-z0-9_])?)*(\.\*)?$/i;

function checkDomain(m: PluginManifest, path: (string | number)[], domain: string, ctx: ResolveContext): void {
  if (DOMAIN.test(domain) && !(domain.startsWith('*.') && domain.endsWith('.*'))) return;
  ctx.error('WG_CONFIG_INVALID', m, path, `"${domain}" is not a domain: write an exact host, "*.suffix" or "prefix.*" (DNS labels, no empty label, no port, no spaces)`,
    'Examples: example.com, *.example.com, api.*');
}

/**
 * Why a local plugin path is not allowed (undefined when it is). A relative path must stay inside
 * the manifest's folder, a --config folder or a `pluginDirs` folder ("../" cannot climb out); an
 * absolute path is the author's explicit choice and allowed, until the Gateway sets `pluginDirs`:
 * then every path (symlinks followed, when files are checked) must be inside one of those folders.
 * docs/RATIONALE.md says why.
 */
function outsideRoots(path: string, url: string, manifest: string, ctx: ResolveContext): { message: string; hint: string } | undefined {
  const own = dirname(manifest);
  const { configDirs, pluginDirs } = ctx.pluginRoots;
  const roots = [own, ...configDirs, ...(pluginDirs ?? [])];
  let written = url.replace(/^file:\/\/(localhost(?=\/))?/i, '');
  try {
    written = decodeURIComponent(written);
  } catch {
    // As written.
  }
  const strict = pluginDirs !== undefined;
  if (!strict && isAbsolute(written)) return undefined;
  const inside = (p: string, root: string) => {
    const rel = relative(root, p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  let ok = roots.some((r) => inside(path, r));
  if (ok && strict && ctx.checkPluginFiles) {
    // A symlink inside an allowed folder must not lead out of them.
    const real = (p: string) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    };
    const target = real(path);
    ok = roots.some((r) => inside(target, real(r)));
  }
  if (ok) return undefined;
  const where = strict ? `outside the config folder ${own} and the Gateway's pluginDirs` : `outside the config folder ${own} (the relative path climbs out of it)`;
  return {
    message: `plugin file ${path} is ${where}`,
    hint: `Move the plugin into ${own}, or add its folder to the Gateway's pluginDirs (pluginDirs: ["${dirname(path)}"]).`,
  };
}

/** Why a local plugin file cannot be loaded, or undefined when it can. */
function unreadableFile(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'is a directory';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'does not exist';
    if (code === 'EACCES') return 'cannot be read (permission denied)';
    return `cannot be read (${(e as Error).message})`;
  }
}
