/**
 * `oci://` plugin source: pull policy, cache, manifest (and index) resolution, layer extraction.
 * @module
 */
import { assertWasm, normalizeSha256, sha256Hex } from './digest.js';
import { sourceError, type SourceContext } from './errors.js';
import { extractPlugin, parseManifest, pluginLayer, selectFromIndex } from './oci-layout.js';
import { formatOciRef, manifestReference, parseOciRef, type OciRef } from './oci-ref.js';
import { defaultCacheDir, PluginCache } from './plugin-cache.js';
import { loadCredentials } from './pull-secret.js';
import { RegistryClient } from './registry-client.js';
import type { FetchedPlugin, FetchOptions, ImagePullPolicy } from './types.js';

/**
 * The policy in force: an explicit one wins; unspecified means Always for `:latest` (or no tag)
 * and IfNotPresent otherwise, as in Istio and Kubernetes.
 */
export function effectivePullPolicy(ref: OciRef, policy: ImagePullPolicy | undefined): 'Always' | 'IfNotPresent' {
  if (policy === 'Always' || policy === 'IfNotPresent') return policy;
  return !ref.digest && (ref.tag ?? 'latest') === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Fetches an `oci://` plugin. `signal` already carries the overall timeout. */
export async function fetchOciPlugin(url: string, opts: FetchOptions, signal: AbortSignal): Promise<FetchedPlugin> {
  const ctx: SourceContext = { url, pluginName: opts.pluginName };
  const ref = parseOciRef(url, opts.pluginName);
  const expected = opts.sha256 ? `sha256:${normalizeSha256(opts.sha256, ctx)}` : undefined;
  if (ref.digest && expected && ref.digest !== expected) {
    throw sourceError('WG_SOURCE_DIGEST_MISMATCH', ctx, `the URL pins ${ref.digest} but sha256 says ${expected}`, {
      hint: 'Give the same digest in both places, or drop one of them.',
    });
  }
  const pinned = ref.digest ?? expected;
  const tagKey = ref.digest ? undefined : formatOciRef({ ...ref, tag: ref.tag ?? 'latest' });
  const cacheDir = opts.cacheDir === false ? undefined : (opts.cacheDir ?? defaultCacheDir(process.env, process.cwd()));
  const cache = cacheDir ? new PluginCache(cacheDir) : undefined;
  const result = (bytes: Uint8Array, sha256: string, digest: string, fromCache: boolean): FetchedPlugin => ({ bytes, sha256, digest, url, fromCache });

  // IfNotPresent: a pinned digest or a known tag answers from disk, without touching the network.
  if (cache && effectivePullPolicy(ref, opts.imagePullPolicy) === 'IfNotPresent') {
    const digest = pinned ?? (tagKey ? await cache.digestForTag(tagKey) : undefined);
    const hit = digest ? await cache.get(digest) : undefined;
    if (digest && hit) return result(hit.bytes, hit.sha256, digest, true);
  }

  const credentials = opts.pullSecretFile ? await loadCredentials(opts.pullSecretFile, ref.registry, ctx) : undefined;
  const client = new RegistryClient({ ref, ctx, signal, timeoutMs: opts.timeoutMs, insecureRegistries: opts.insecureRegistries, credentials });
  const top = await client.getManifest(manifestReference(ref));
  if (pinned && top.digest !== pinned) {
    throw sourceError('WG_SOURCE_DIGEST_MISMATCH', ctx, `image manifest digest is ${top.digest}, but ${ref.digest ? 'the URL pins' : 'sha256 expects'} ${pinned}`, {
      details: [`expected: ${pinned}`, `actual:   ${top.digest}`],
    });
  }
  const remember = async (bytes: Uint8Array) => {
    if (!cache) return;
    try {
      await cache.put(top.digest, bytes, url);
      if (tagKey) await cache.setTag(tagKey, top.digest);
    } catch (e) {
      opts.onWarning?.(`plugin cache ${cacheDir ?? ''} not written: ${(e as Error).message}`);
    }
  };

  // Always (or a cache miss): the manifest decides; unchanged content is still served from disk.
  const hit = cache ? await cache.get(top.digest) : undefined;
  if (hit) {
    await remember(hit.bytes);
    return result(hit.bytes, hit.sha256, top.digest, true);
  }

  let manifest = parseManifest(top.bytes, top.mediaType, ctx);
  if (manifest.kind === 'index') {
    const chosen = selectFromIndex(manifest.manifests, ctx);
    const inner = await client.getManifest(chosen.digest);
    manifest = parseManifest(inner.bytes, inner.mediaType, ctx);
    if (manifest.kind !== 'image') throw sourceError('WG_SOURCE_MANIFEST', ctx, 'an image index points at another index');
  }
  const { layer, format } = pluginLayer(manifest, ctx);
  const blob = await client.getBlob(layer);
  const bytes = extractPlugin(blob, format, ctx);
  assertWasm(bytes, ctx, format === 'raw' ? 'the wasm layer' : 'plugin.wasm in the image');
  await remember(bytes);
  return result(bytes, sha256Hex(bytes), top.digest, false);
}
