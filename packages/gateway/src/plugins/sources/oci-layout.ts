/**
 * Which layer of an image holds the plugin, following Istio's image fetcher (which Higress uses):
 *  1. Docker v2 manifest → the last layer, a `rootfs.diff.tar.gzip`, with a `plugin.wasm` inside;
 *  2. otherwise the last layer is `application/vnd.oci.image.layer.v1.tar+gzip` with `plugin.wasm`
 *     (Higress's ORAS images);
 *  3. otherwise exactly two layers, one of them the raw module
 *     (`application/vnd.module.wasm.content.layer.v1+wasm`).
 * Nothing else is accepted, so a plugin that loads here loads in Higress too.
 * @module
 */
import { gunzipSync } from 'node:zlib';
import { sourceError, type SourceContext } from './errors.js';
import { MEDIA_TYPES, type Descriptor } from './media-types.js';
import { baseName, readTar, TarFormatError } from './tar-reader.js';

/** A parsed manifest: an image (config + layers) or an index pointing at images. */
export type ParsedManifest =
  | { readonly kind: 'image'; readonly mediaType: string; readonly layers: readonly Descriptor[] }
  | { readonly kind: 'index'; readonly mediaType: string; readonly manifests: readonly Descriptor[] };

/** Where the module is: a tarball to search for plugin.wasm, or the raw module. */
export interface PluginLayer {
  readonly layer: Descriptor;
  readonly format: 'tar+gzip' | 'raw';
}

const INDEX_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];
const IMAGE_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest];

function isDescriptor(d: unknown): d is Descriptor {
  const r = d as Record<string, unknown> | null;
  return typeof r === 'object' && r !== null && typeof r.mediaType === 'string' && typeof r.digest === 'string' && typeof r.size === 'number';
}

/** Parses manifest bytes; `contentType` is the response's Content-Type, used when the JSON has no mediaType. */
export function parseManifest(bytes: Uint8Array, contentType: string, ctx: SourceContext): ParsedManifest {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof json !== 'object' || json === null) throw new Error('not an object');
  } catch (cause) {
    throw sourceError('WG_SOURCE_MANIFEST', ctx, `the manifest is not valid JSON (${(cause as Error).message})`, { cause });
  }
  let mediaType = typeof json.mediaType === 'string' ? json.mediaType : contentType;
  if (json.schemaVersion === 1) mediaType = 'application/vnd.docker.distribution.manifest.v1+json';
  // An OCI manifest may omit mediaType; recognise it by shape.
  if (!INDEX_TYPES.includes(mediaType) && !IMAGE_TYPES.includes(mediaType)) {
    if (Array.isArray(json.manifests)) mediaType = MEDIA_TYPES.ociIndex;
    else if (Array.isArray(json.layers) && json.schemaVersion === 2) mediaType = MEDIA_TYPES.ociManifest;
  }
  const list = (key: string) => {
    const value = json[key];
    if (!Array.isArray(value) || !value.every(isDescriptor)) {
      throw sourceError('WG_SOURCE_MANIFEST', ctx, `the manifest's "${key}" is not a list of descriptors`);
    }
    return value;
  };
  if (INDEX_TYPES.includes(mediaType)) return { kind: 'index', mediaType, manifests: list('manifests') };
  if (IMAGE_TYPES.includes(mediaType)) return { kind: 'image', mediaType, layers: list('layers') };
  throw sourceError('WG_SOURCE_MANIFEST', ctx, `unsupported manifest type "${mediaType || 'unknown'}"`, {
    details: [`supported: ${[...IMAGE_TYPES, ...INDEX_TYPES].join(', ')}`],
  });
}

/**
 * Picks the image of an index: a Wasm-looking entry first (platform wasm/wasi or a wasm artifact
 * type), then linux/amd64 (what Istio's fetcher resolves to), then the only entry.
 */
export function selectFromIndex(manifests: readonly Descriptor[], ctx: SourceContext): Descriptor {
  const images = manifests.filter((m) => IMAGE_TYPES.includes(m.mediaType));
  const wasmish = images.find((m) => m.platform?.architecture === 'wasm' || /^wasi/.test(m.platform?.os ?? '') || /wasm/.test(m.artifactType ?? ''));
  const amd64 = images.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64');
  const chosen = wasmish ?? amd64 ?? (images.length === 1 ? images[0] : undefined);
  if (!chosen) {
    const platforms = manifests.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'} ${m.mediaType}`);
    throw sourceError('WG_SOURCE_MANIFEST', ctx, 'the image index has no wasm or linux/amd64 image to take the plugin from', { details: platforms });
  }
  return chosen;
}

/** Applies Istio's layer rules (see the module comment). */
export function pluginLayer(manifest: ParsedManifest & { kind: 'image' }, ctx: SourceContext): PluginLayer {
  const layers = manifest.layers;
  const last = layers.at(-1);
  const found = layers.map((l) => l.mediaType).join(', ') || 'none';
  if (manifest.mediaType === MEDIA_TYPES.dockerManifest) {
    if (last?.mediaType === MEDIA_TYPES.dockerLayer) return { layer: last, format: 'tar+gzip' };
    throw sourceError('WG_SOURCE_MANIFEST', ctx, `the last layer of a Docker image must be ${MEDIA_TYPES.dockerLayer} (layers: ${found})`);
  }
  if (last?.mediaType === MEDIA_TYPES.ociLayerTarGzip) return { layer: last, format: 'tar+gzip' };
  const raw = layers.find((l) => l.mediaType === MEDIA_TYPES.wasmLayer);
  if (layers.length === 2 && raw) return { layer: raw, format: 'raw' };
  throw sourceError('WG_SOURCE_MANIFEST', ctx, `no layer to take the plugin from (layers: ${found})`, {
    details: [
      `expected the last layer to be ${MEDIA_TYPES.ociLayerTarGzip} holding plugin.wasm`,
      `or exactly two layers, one ${MEDIA_TYPES.wasmLayer}`,
    ],
  });
}

/** Limit for a decompressed layer, so a gzip bomb cannot exhaust memory. */
const MAX_LAYER_BYTES = 1024 * 1024 * 1024;

/** Returns the module bytes from a layer blob: the raw blob, or plugin.wasm from the tarball. */
export function extractPlugin(blob: Uint8Array, format: PluginLayer['format'], ctx: SourceContext): Uint8Array {
  if (format === 'raw') return blob;
  let tar: Uint8Array;
  try {
    const out = gunzipSync(blob, { maxOutputLength: MAX_LAYER_BYTES });
    tar = new Uint8Array(out.buffer, out.byteOffset, out.byteLength); // a plain Uint8Array, not a Buffer
  } catch (cause) {
    throw sourceError('WG_SOURCE_ARCHIVE', ctx, `the plugin layer is not valid gzip (${(cause as Error).message})`, { cause });
  }
  let entries;
  try {
    entries = readTar(tar);
  } catch (cause) {
    if (!(cause instanceof TarFormatError)) throw cause;
    throw sourceError('WG_SOURCE_ARCHIVE', ctx, `the plugin layer is not a valid tar archive (${cause.message})`, { cause });
  }
  const entry = entries.find((e) => e.type === 'file' && baseName(e.name) === 'plugin.wasm');
  if (!entry) {
    const names = entries.slice(0, 20).map((e) => e.name);
    throw sourceError('WG_SOURCE_NO_PLUGIN_WASM', ctx, `the plugin layer holds no plugin.wasm (${entries.length} entries)`, {
      details: names.length ? [`entries: ${names.join(', ')}${entries.length > 20 ? ', …' : ''}`] : [],
    });
  }
  return entry.data.slice(); // a copy, so the rest of the decompressed layer can be freed
}
