/**
 * `pushPlugin`: publish a module as a Higress-compatible OCI image (see plugin-image.ts).
 * @module
 */
import { assertWasm } from './digest.js';
import { sourceError, type SourceContext } from './errors.js';
import { MEDIA_TYPES } from './media-types.js';
import { formatOciRef, parseOciRef } from './oci-ref.js';
import { buildPluginImage, type PluginImageFiles } from './plugin-image.js';
import { loadCredentials } from './pull-secret.js';
import { RegistryClient } from './registry-client.js';
import { DEFAULT_FETCH_TIMEOUT_MS } from './fetch-plugin.js';

/** Options of {@link pushPlugin}. */
export interface PushOptions extends PluginImageFiles {
  /** Reach this image's registry over plain HTTP (adds it to `insecureRegistries`). */
  readonly insecure?: boolean | undefined;
  readonly insecureRegistries?: readonly string[] | undefined;
  /** Docker config JSON with credentials for the registry. */
  readonly pullSecretFile?: string | undefined;
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What was pushed. */
export interface PushResult {
  /** Manifest digest: the value to put in a WasmPlugin's `sha256`, or after `@` in the URL. */
  readonly digest: string;
  /** The normalised reference, `registry/repo:tag`. */
  readonly ref: string;
}

/**
 * Pushes `wasm` to `ref` (`[oci://]registry/repo[:tag]`, default tag `latest`): uploads the blobs the
 * registry lacks, then the manifest.
 * @example
 * const { digest } = await pushPlugin(wasm, 'oci://127.0.0.1:5000/plugins/hello:1.0.0', { insecure: true });
 */
export async function pushPlugin(wasm: Uint8Array, ref: string, opts: PushOptions = {}): Promise<PushResult> {
  const ctx: SourceContext = { url: ref };
  assertWasm(wasm, ctx, 'the file to push');
  const parsed = parseOciRef(ref);
  const image = buildPluginImage(wasm, opts);
  if (parsed.digest && parsed.digest !== image.manifestDigest) {
    throw sourceError('WG_SOURCE_DIGEST_MISMATCH', ctx, `the reference pins ${parsed.digest}, but the image built has digest ${image.manifestDigest}`, {
      hint: 'Push by tag (registry/repo:tag); the digest is printed afterwards.',
    });
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
  const insecureRegistries = [...(opts.insecureRegistries ?? []), ...(opts.insecure ? [parsed.registry] : [])];
  const credentials = opts.pullSecretFile ? await loadCredentials(opts.pullSecretFile, parsed.registry, ctx) : undefined;
  const client = new RegistryClient({ ref: parsed, ctx, signal, timeoutMs, insecureRegistries, credentials, push: true });
  for (const blob of image.blobs) await client.uploadBlob(blob.bytes, blob.digest);
  const tag = parsed.tag ?? (parsed.digest ? undefined : 'latest');
  await client.putManifest(tag ?? image.manifestDigest, image.manifest, MEDIA_TYPES.ociManifest);
  return { digest: image.manifestDigest, ref: formatOciRef({ ...parsed, tag, digest: undefined }) };
}
