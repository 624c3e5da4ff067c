/**
 * Media types of the image layouts Higress publishes and Istio's fetcher reads.
 * @see https://github.com/opencontainers/image-spec/blob/main/media-types.md
 * @module
 */
/** Manifest, layer and config media types wasmgate reads or writes. */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** Layer of a Docker-built image (`FROM scratch` + `COPY plugin.wasm`). */
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Higress's `plugin.tar.gz` layer. */
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  /** solo.io "oci" variant: the raw module as a layer. */
  wasmLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
  /** ORAS's default config type, what Higress images carry (an empty `{}` blob). */
  unknownConfig: 'application/vnd.unknown.config.v1+json',
  readme: 'application/vnd.module.wasm.doc.v1+markdown',
  spec: 'application/vnd.module.wasm.spec.v1+yaml',
} as const;

/** The `Accept` header for manifest requests: every manifest and index type we can handle. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
].join(', ');

/** An OCI content descriptor (the parts we use). */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  readonly platform?: { readonly os?: string; readonly architecture?: string } | undefined;
  readonly artifactType?: string | undefined;
}
