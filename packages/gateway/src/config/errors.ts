/**
 * The config catalogue (`WG_CONFIG_*`). Every problem the config pipeline finds is one of these,
 * with a `file:line:col` location and a path. Codes are documented in docs/errors.md; never rename
 * or reuse one.
 * @module
 */
import { WasmgateError, defineErrors, registerErrors, type SourceLocation } from '@wasmgate/host';

// ---------------------------------------------------------------------------------------------
// Errors: any of these stops `validate` (exit 2) and `serve` (refuses to start).
// ---------------------------------------------------------------------------------------------
export const CONFIG_ERRORS = defineErrors({
  WG_CONFIG_READ: {
    summary: 'A config file or directory could not be read.',
    hint: 'Check the path given to --config and that the file is readable.',
    exit: 2,
  },
  WG_CONFIG_EMPTY: {
    summary: 'No manifests were found: the files hold no YAML documents, or the directory no *.yaml/*.yml/*.json files.',
    hint: 'Point --config at a file or directory with at least one Ingress, WasmPlugin, Service or Gateway manifest.',
    exit: 2,
  },
  WG_CONFIG_YAML: {
    summary: 'A file is not valid YAML.',
    hint: 'Fix the YAML syntax at the position shown (indentation and unquoted ":" are the usual causes).',
    exit: 2,
  },
  WG_CONFIG_UNKNOWN_KIND: {
    summary: 'A document has an apiVersion/kind wasmgate does not read.',
    hint: 'Known kinds: networking.k8s.io/v1 Ingress, extensions.higress.io/v1alpha1 WasmPlugin, wasmgate.io/v1alpha1 Service, wasmgate.io/v1alpha1 Gateway.',
    exit: 2,
  },
  WG_CONFIG_INVALID: {
    summary: 'A field has the wrong type or value, or a required field is missing.',
    hint: 'See docs/config.md for the fields of each kind.',
    exit: 2,
  },
  WG_CONFIG_REF_NOT_FOUND: {
    summary: 'A reference names something no manifest defines (an Ingress backend naming an unknown Service or a port the Service does not have).',
    hint: 'Define the referenced object, or fix the name; Ingress backends refer to Services in the Ingress namespace.',
    exit: 2,
  },
  WG_CONFIG_DUPLICATE: {
    summary: 'Two objects have the same kind, namespace and name (or two Services claim the same alias, or there are two Gateways).',
    hint: 'Rename or remove one of them; the first one is at the location in the details.',
    exit: 2,
  },
  WG_CONFIG_PLUGIN_FILE: {
    summary: 'A WasmPlugin names a local plugin file (file:// or a plain path) that does not exist or cannot be read (a warning for FAIL_OPEN plugins, which are skipped).',
    hint: 'Build the plugin or fix the path; relative paths are resolved against the manifest\'s folder.',
    exit: 2,
  },
  WG_CONFIG_ACCESS_LOG_FORMAT: {
    summary: 'A Gateway accessLog format or jsonFormat has an unknown command operator or a malformed one (%REQ without a header, an unclosed %…(…)%, an unknown START_TIME specifier).',
    hint: 'See docs/observability.md#access-log for the operators wasmgate supports; write "%%" for a literal %.',
    exit: 2,
  },
  WG_CONFIG_TLS_SECRET: {
    summary: 'A Secret an Ingress names for TLS (spec.tls secretName, auth-tls-secret) is unusable: not of type kubernetes.io/tls, tls.crt/tls.key (or ca.crt) missing, not PEM, or the key does not match the certificate.',
    hint: 'Create it as kubectl does: kubectl create secret tls NAME --cert=cert.pem --key=key.pem --dry-run=client -o yaml.',
    exit: 2,
  },
  WG_CONFIG_PLUGIN_PATH: {
    summary: 'A WasmPlugin names a local plugin file outside the config folder (a relative path that climbs out with "..", or any path once the Gateway sets pluginDirs) that no Gateway pluginDirs entry allows.',
    hint: 'Move the plugin into the config folder, or list its folder in the Gateway\'s pluginDirs.',
    exit: 2,
  },
  // -------------------------------------------------------------------------------------------
  // Warnings: reported, never fatal (`wasmgate validate --strict` makes them errors).
  // -------------------------------------------------------------------------------------------
  WG_CONFIG_UNKNOWN_FIELD: {
    summary: 'A field wasmgate does not know; it is ignored (Higress and Kubernetes manifests carry fields wasmgate has no use for).',
    hint: 'Remove the field if it is a typo; see docs/config.md for the fields wasmgate reads.',
    exit: 2,
  },
  WG_CONFIG_IGNORED: {
    summary: 'A known setting has no effect here (for example vmConfig.env valueFrom, or a plugin disabled by defaultConfigDisable).',
    hint: 'The message says why; remove the setting to silence the warning.',
    exit: 2,
  },
  WG_CONFIG_ADMIN_EXPOSED: {
    summary: 'The admin listener is on an address other hosts can reach (not loopback: 0.0.0.0, ::, a LAN address) and no admin token is set, so anyone who reaches it can reload the gateway and read its configuration.',
    hint: 'Keep admin on 127.0.0.1, or set the Gateway\'s adminTokenFile (or WASMGATE_ADMIN_TOKEN) so POST /reload, /config_dump and /stats.json need a bearer token.',
    exit: 2,
  },
  WG_CONFIG_SKIPPED_FILE: {
    summary: 'A file in a config folder is not read, because its extension is not .yaml, .yml or .json.',
    hint: 'Rename it to .yaml if it holds manifests, or move it out of the config folder.',
    exit: 2,
  },
});
registerErrors(CONFIG_ERRORS);

/** A code from the config catalogue. */
export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

/** Builds a config error (or warning) with its location; the hint defaults to the catalogue's. */
export function configError(
  code: ConfigErrorCode,
  message: string,
  location: SourceLocation | undefined,
  extra: { hint?: string | undefined; details?: readonly string[]; cause?: unknown } = {},
): WasmgateError {
  return new WasmgateError(code, message, { ...extra, location, exit: 2 });
}
