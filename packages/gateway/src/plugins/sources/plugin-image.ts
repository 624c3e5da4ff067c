/**
 * Builds the OCI image Higress publishes for a plugin, byte for byte in the same layout as its
 * `oras push`: an OCI manifest, ORAS's empty `{}` config, optional README.md and spec.yaml layers,
 * and **last** `plugin.tar.gz` holding `plugin.wasm` (Istio and Higress take the last layer).
 * Everything is deterministic (tar mtime 0, fixed gzip level), so the same inputs give the same
 * manifest digest.
 * @module
 */
import { gzipSync } from 'node:zlib';
import { digestOf } from './digest.js';
import { MEDIA_TYPES, type Descriptor } from './media-types.js';
import { writeTar } from './tar-writer.js';

/** A blob to upload. */
export interface Blob {
  readonly digest: string;
  readonly bytes: Uint8Array;
}

/** What to push: blobs (config and layers, in upload order) and the manifest. */
export interface PluginImage {
  readonly blobs: readonly Blob[];
  readonly manifest: Uint8Array;
  readonly manifestDigest: string;
}

/** Extra files Higress puts next to the module (shown by its console and hgctl). */
export interface PluginImageFiles {
  readonly readme?: Uint8Array | string | undefined;
  readonly spec?: Uint8Array | string | undefined;
}

const TITLE = 'org.opencontainers.image.title';
const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? new TextEncoder().encode(v) : v);

/** Assembles the image for `wasm` (already checked to be a module). */
export function buildPluginImage(wasm: Uint8Array, files: PluginImageFiles = {}): PluginImage {
  const blobs: Blob[] = [];
  const describe = (bytes: Uint8Array, mediaType: string, title?: string): Descriptor => {
    const digest = digestOf(bytes);
    blobs.push({ digest, bytes });
    return { mediaType, digest, size: bytes.length, ...(title ? { annotations: { [TITLE]: title } } : {}) };
  };
  const config = describe(new TextEncoder().encode('{}'), MEDIA_TYPES.unknownConfig);
  const layers: Descriptor[] = [];
  if (files.readme !== undefined) layers.push(describe(bytesOf(files.readme), MEDIA_TYPES.readme, 'README.md'));
  if (files.spec !== undefined) layers.push(describe(bytesOf(files.spec), MEDIA_TYPES.spec, 'spec.yaml'));
  const tarball = gzipSync(writeTar([{ name: 'plugin.wasm', data: wasm }]), { level: 9 });
  layers.push(describe(new Uint8Array(tarball), MEDIA_TYPES.ociLayerTarGzip, 'plugin.tar.gz'));
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config,
    layers,
  }));
  return { blobs, manifest, manifestDigest: digestOf(manifest) };
}
