/**
 * Builds unusual images in a test registry by uploading blobs and a manifest directly: Docker v2
 * layouts, the raw-wasm variant, indexes, broken layouts.
 */
import { gzipSync } from 'node:zlib';
import { digestOf } from '../../../src/plugins/sources/digest.js';
import { MEDIA_TYPES, type Descriptor } from '../../../src/plugins/sources/media-types.js';
import { parseOciRef } from '../../../src/plugins/sources/oci-ref.js';
import { RegistryClient } from '../../../src/plugins/sources/registry-client.js';
import { writeTar, type TarFile } from '../../../src/plugins/sources/tar-writer.js';

/** A blob to put in an image: its bytes and media type. */
export interface LayerSpec {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** A tar.gz layer holding `files`. */
export function tarGz(files: TarFile[]): Uint8Array {
  return new Uint8Array(gzipSync(writeTar(files)));
}

/** A client for `<registry>/<repo>` with push rights and plain HTTP. */
export function pushClient(ref: string, extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient {
  const parsed = parseOciRef(ref);
  return new RegistryClient({ ref: parsed, ctx: { url: ref }, signal: AbortSignal.timeout(30_000), insecureRegistries: [parsed.registry], push: true, ...extra });
}

async function upload(client: RegistryClient, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = digestOf(bytes);
  await client.uploadBlob(bytes, digest);
  return { mediaType, digest, size: bytes.length };
}

/** Pushes an image manifest of type `manifestType` with `config` and `layers`; returns its digest. */
export async function pushImage(ref: string, opts: { manifestType: string; configType: string; config?: Uint8Array; layers: LayerSpec[] }): Promise<string> {
  const client = pushClient(ref);
  const config = await upload(client, opts.config ?? new TextEncoder().encode('{}'), opts.configType);
  const layers: Descriptor[] = [];
  for (const l of opts.layers) layers.push(await upload(client, l.bytes, l.mediaType));
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: opts.manifestType, config, layers }));
  const parsed = parseOciRef(ref);
  await client.putManifest(parsed.tag ?? 'latest', manifest, opts.manifestType);
  return digestOf(manifest);
}

/** Pushes an OCI index over already-pushed manifests; returns its digest. */
export async function pushIndex(ref: string, manifests: Descriptor[]): Promise<string> {
  const client = pushClient(ref);
  const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
  await client.putManifest(parseOciRef(ref).tag ?? 'latest', index, MEDIA_TYPES.ociIndex);
  return digestOf(index);
}

/** Size of a stored manifest, for index descriptors. */
export async function manifestDescriptor(ref: string, digest: string, platform?: { os: string; architecture: string }): Promise<Descriptor> {
  const m = await pushClient(ref).getManifest(digest);
  return { mediaType: m.mediaType, digest, size: m.bytes.length, ...(platform ? { platform } : {}) };
}
