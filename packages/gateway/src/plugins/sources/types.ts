/**
 * Options and result of {@link fetchPlugin}, shared by the file, HTTP and OCI sources.
 * @module
 */

/** Higress/Istio `imagePullPolicy`. `UNSPECIFIED_POLICY` means Always for `:latest`, else IfNotPresent. */
export type ImagePullPolicy = 'IfNotPresent' | 'Always' | 'UNSPECIFIED_POLICY';

/** How to fetch a plugin. Every field is optional. */
export interface FetchOptions {
  /** Plugin name, put into every error message. */
  readonly pluginName?: string | undefined;
  /**
   * Expected checksum (64 hex digits, `sha256:` prefix allowed): for `oci://` the image
   * **manifest digest**, for files and `http(s)://` the sha256 of the `.wasm` bytes.
   */
  readonly sha256?: string | undefined;
  readonly imagePullPolicy?: ImagePullPolicy | undefined;
  /**
   * Docker config JSON with registry credentials:
   * `{"auths":{"host:port":{"auth":"base64(user:pass)"} | {username,password} | {identitytoken}}}`.
   */
  readonly pullSecretFile?: string | undefined;
  /** Registries (`host:port`, or `host` for any port) that may be reached over plain HTTP. */
  readonly insecureRegistries?: readonly string[] | undefined;
  /**
   * Cache folder for `oci://` plugins; default `$XDG_CACHE_HOME/wasmgate` or `.wasmgate-cache`
   * under the working directory. `false` disables the cache.
   */
  readonly cacheDir?: string | false | undefined;
  /** Folder that relative file paths are resolved against (the config's folder). */
  readonly baseDir?: string | undefined;
  /** Limit for the whole fetch, all requests included; default 60 000 ms. */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Receives non-fatal problems (for example a cache that cannot be written). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** A fetched plugin module. */
export interface FetchedPlugin {
  readonly bytes: Uint8Array;
  /** sha256 (hex) of the module bytes. */
  readonly sha256: string;
  /** For `oci://`: the image manifest digest (`sha256:…`), what `sha256` options are checked against. */
  readonly digest?: string | undefined;
  /** The URL as given. */
  readonly url: string;
  /** True when the module came from the local cache (no blob was downloaded). */
  readonly fromCache: boolean;
  /** For file sources: the absolute path, which the gateway may watch for hot reload. */
  readonly localPath?: string | undefined;
}
