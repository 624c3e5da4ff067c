/**
 * The entry point: fetch a plugin module from the URL of a WasmPlugin (`spec.url`).
 * @module
 */
import { sourceError } from './errors.js';
import { fetchFilePlugin } from './file-source.js';
import { fetchHttpPlugin } from './http-source.js';
import { fetchOciPlugin } from './oci-source.js';
import type { FetchedPlugin, FetchOptions } from './types.js';

/** Default limit for one fetch, all requests included. */
export const DEFAULT_FETCH_TIMEOUT_MS = 60_000;

/**
 * Fetches plugin bytes from `file://` or a plain path, `http(s)://`, or `oci://`, with Higress/Istio
 * semantics for `sha256` and `imagePullPolicy`. Failures are WasmgateErrors with `WG_SOURCE_*` codes.
 * @example
 * const p = await fetchPlugin('oci://registry.local:5000/plugins/basic-auth:1.0.0', {
 *   pluginName: 'basic-auth', insecureRegistries: ['registry.local:5000'],
 * });
 * // p.bytes is the module, p.digest the image manifest digest
 */
export async function fetchPlugin(url: string, opts: FetchOptions = {}): Promise<FetchedPlugin> {
  const trimmed = url.trim();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])];
  const signal = AbortSignal.any(signals);
  const withTimeout = { ...opts, timeoutMs };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (trimmed === '') throw sourceError('WG_SOURCE_BAD_URL', { url, pluginName: opts.pluginName }, 'the plugin URL is empty');
  switch (scheme) {
    case undefined:
    case 'file':
      return fetchFilePlugin(trimmed, withTimeout);
    case 'http':
    case 'https':
      return fetchHttpPlugin(trimmed, withTimeout, signal);
    case 'oci':
      return fetchOciPlugin(trimmed, withTimeout, signal);
    default:
      throw sourceError('WG_SOURCE_BAD_URL', { url, pluginName: opts.pluginName }, `unsupported scheme "${scheme}://"`);
  }
}
