/**
 * Plugin supply: fetch plugin modules from files, `http(s)://` URLs and `oci://` images, and
 * publish them as Higress-compatible images.
 * @module
 */
export { fetchPlugin, DEFAULT_FETCH_TIMEOUT_MS } from './fetch-plugin.js';
export type { FetchOptions, FetchedPlugin, ImagePullPolicy } from './types.js';
export { pushPlugin, type PushOptions, type PushResult } from './push.js';
export { parseOciRef, formatOciRef, type OciRef } from './oci-ref.js';
export { effectivePullPolicy } from './oci-source.js';
export { defaultCacheDir } from './plugin-cache.js';
export { buildPluginImage, type PluginImage, type PluginImageFiles } from './plugin-image.js';
export { SOURCE_ERRORS, type SourceErrorCode } from './errors.js';
export { MEDIA_TYPES } from './media-types.js';
