/**
 * `http(s)://` plugin source. Always downloads (as Istio does for URLs); the optional sha256 is of
 * the downloaded bytes. Credentials written in the URL (`https://user:pass@host/…`) are sent as
 * Basic auth and never printed.
 * @module
 */
import { assertWasm, normalizeSha256, sha256Hex } from './digest.js';
import { sourceError, type SourceContext } from './errors.js';
import { readBytes, readErrorText, send } from './net.js';
import type { FetchedPlugin, FetchOptions } from './types.js';

const STATUS_HINTS: Readonly<Record<number, string>> = {
  401: 'The server wants credentials; put them in the URL (https://user:password@host/...) or serve the file without auth.',
  403: 'The server refuses access to this file; check its permissions.',
  404: 'There is no file at this URL; check the path (a Higress plugin server serves /plugins/<name>/<version>/plugin.wasm).',
};

/** Downloads a plugin over HTTP(S). `signal` already carries the overall timeout. */
export async function fetchHttpPlugin(url: string, opts: FetchOptions, signal: AbortSignal): Promise<FetchedPlugin> {
  const ctx: SourceContext = { url, pluginName: opts.pluginName };
  const expected = opts.sha256 ? normalizeSha256(opts.sha256, ctx) : undefined;
  let target: URL;
  try {
    target = new URL(url);
  } catch (cause) {
    throw sourceError('WG_SOURCE_BAD_URL', ctx, 'not a valid URL', { cause });
  }
  const headers: Record<string, string> = { accept: 'application/wasm, application/octet-stream;q=0.9, */*;q=0.1' };
  if (target.username || target.password) {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const net = { signal, ctx, timeoutMs: opts.timeoutMs };
  const res = await send(target, { headers }, net);
  if (!res.ok) {
    const text = await readErrorText(res);
    throw sourceError('WG_SOURCE_HTTP_STATUS', ctx, `GET answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, {
      hint: STATUS_HINTS[res.status] ?? (res.status >= 500 ? 'The server failed; retry later or look at its logs.' : undefined),
      details: [`status: ${res.status}`, ...(text ? [`body: ${text}`] : [])],
    });
  }
  const bytes = await readBytes(res, target, net);
  const sha256 = sha256Hex(bytes);
  if (expected && sha256 !== expected) {
    throw sourceError('WG_SOURCE_DIGEST_MISMATCH', ctx, `downloaded ${bytes.length} bytes with sha256 ${sha256}, expected ${expected}`, {
      details: [`expected: ${expected}`, `actual:   ${sha256}`],
    });
  }
  assertWasm(bytes, ctx, 'the downloaded file');
  return { bytes, sha256, url, fromCache: false };
}
