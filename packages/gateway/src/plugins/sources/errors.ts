/**
 * Error catalogue for plugin supply: reading `file://` paths, downloading `http(s)://` URLs and
 * pulling/pushing `oci://` images. Every error names the plugin (when known) and the URL, and has
 * a hint. Codes are never renamed or reused; `docs/errors.md` lists each one.
 * @module
 */
import { defineErrors, registerErrors, WasmgateError, type WasmgateErrorOptions } from '@wasmgate/host';
import { redactUrl } from '../../redact.js';

// ---------------------------------------------------------------------------------------------
// Plugin sources (WG_SOURCE_*)
// ---------------------------------------------------------------------------------------------
/** The WG_SOURCE_* catalogue: summary, hint and CLI exit code of each code. */
export const SOURCE_ERRORS = defineErrors({
  WG_SOURCE_BAD_URL: {
    summary: 'The plugin URL or image reference cannot be parsed or uses an unsupported scheme.',
    hint: 'Use file:///abs/path.wasm, a path relative to the config, http(s)://host/plugin.wasm or oci://registry/repo:tag (or @sha256:<64 hex>).',
    exit: 2,
  },
  WG_SOURCE_BAD_SHA256: {
    summary: 'The sha256 given for the plugin is not 64 hex digits.',
    hint: 'Write sha256 as 64 lowercase hex digits, optionally prefixed by "sha256:".',
    exit: 2,
  },
  WG_SOURCE_FILE: {
    summary: 'A local file (plugin, README, spec or pull secret) could not be read.',
    hint: 'Check that the path exists and is readable; relative paths are resolved against the config directory.',
    exit: 2,
  },
  WG_SOURCE_UNREACHABLE: {
    summary: 'The server holding the plugin could not be reached (DNS, connection refused, TLS failure).',
    hint: 'Check the host name, port and network; for a registry behind a proxy, check that it answers https://<registry>/v2/.',
  },
  WG_SOURCE_TIMEOUT: {
    summary: 'Fetching the plugin took longer than the allowed time.',
    hint: 'Check that the server is responsive, or raise the timeout.',
  },
  WG_SOURCE_INSECURE: {
    summary: 'The registry speaks plain HTTP, but plain HTTP is not allowed for it.',
    hint: 'If you trust the registry, list its host:port in insecureRegistries (CLI: --plain-http); otherwise serve it over HTTPS.',
    exit: 2,
  },
  WG_SOURCE_HTTP_STATUS: {
    summary: 'The server answered with an HTTP error status (for example 404: no such file, tag or repository).',
    hint: 'Check the URL, repository and tag; "wasmgate oci push" publishes an image.',
  },
  WG_SOURCE_AUTH: {
    summary: 'The registry or its token service refused access (missing or wrong credentials, or no permission).',
    hint: 'Give a docker config JSON with credentials for this registry as imagePullSecret (CLI: --pull-secret), and check that the account may pull (or push) this repository.',
    exit: 2,
  },
  WG_SOURCE_DIGEST_MISMATCH: {
    summary: 'A checksum did not match: the configured sha256, an @sha256: reference or a blob digest.',
    hint: 'For oci:// URLs sha256 is the image manifest digest (shown by "wasmgate oci push"/"oci pull"); for http(s):// and files it is the sha256 of the .wasm bytes.',
    exit: 2,
  },
  WG_SOURCE_MANIFEST: {
    summary: 'The image manifest is malformed or has a layout wasmgate (like Istio/Higress) cannot take a plugin from.',
    hint: 'Publish the plugin as Higress does: last layer plugin.tar.gz (application/vnd.oci.image.layer.v1.tar+gzip) holding plugin.wasm, e.g. with "wasmgate oci push".',
    exit: 2,
  },
  WG_SOURCE_ARCHIVE: {
    summary: 'The plugin layer is not a valid gzip-compressed tar archive.',
    hint: 'Rebuild the layer with "tar czf plugin.tar.gz plugin.wasm" or push with "wasmgate oci push".',
    exit: 2,
  },
  WG_SOURCE_NO_PLUGIN_WASM: {
    summary: 'The image layer holds no file named plugin.wasm.',
    hint: 'Name the module plugin.wasm inside the layer (Higress and Istio look for that basename).',
    exit: 2,
  },
  WG_SOURCE_NOT_WASM: {
    summary: 'The fetched bytes are not a WebAssembly module (they do not start with \\0asm).',
    hint: 'Check that the URL points at the .wasm file itself and not at an HTML page, tarball or text file.',
    exit: 2,
  },
});
registerErrors(SOURCE_ERRORS);

/** A code from the plugin-source catalogue. */
export type SourceErrorCode = keyof typeof SOURCE_ERRORS;

/** What an error should name: the plugin (when the caller knows it) and the URL being fetched. */
export interface SourceContext {
  readonly url: string;
  readonly pluginName?: string | undefined;
}

/** Masks the password in `scheme://user:pass@host/...` (or a bare token), so errors never print secrets. */
export { redactUrl };

/**
 * Builds a source error whose message starts with the plugin and URL, e.g.
 * `plugin "basic-auth" (oci://reg/plugins/basic-auth:1.0.0): registry answered 404 for the manifest`.
 */
export function sourceError(code: SourceErrorCode, ctx: SourceContext, message: string, options: WasmgateErrorOptions = {}): WasmgateError {
  const where = redactUrl(ctx.url);
  const prefix = ctx.pluginName ? `plugin "${ctx.pluginName}" (${where})` : where;
  return new WasmgateError(code, `${prefix}: ${message}`, options);
}
