/** Data-plane error codes (WG_PROXY_*): what clients see in the x-wasmgate-error header. */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const PROXY_ERRORS = defineErrors({
  WG_PROXY_LISTEN: {
    summary: 'The gateway cannot open its data-plane or admin listener (address in use, permission denied).',
    hint: 'Pick another --listen/--admin address (or spec.listen/spec.admin on the Gateway), or stop the process using it.',
  },
  WG_PROXY_NO_ROUTE: {
    summary: 'No Ingress rule matches the request host and path (404).',
    hint: 'Add an Ingress rule (or spec.defaultBackend) for this host/path.',
  },
  WG_PROXY_UPSTREAM_UNREACHABLE: {
    summary: 'The upstream refused or dropped the connection before answering (503).',
    hint: 'Check the Service endpoints in the config and that the backend is running.',
  },
  WG_PROXY_UPSTREAM_TIMEOUT: {
    summary: 'The upstream did not answer within the gateway upstreamTimeoutMs (504).',
    hint: 'Raise spec.upstreamTimeoutMs on the Gateway, or make the backend faster.',
  },
  WG_PROXY_PLUGIN_UNAVAILABLE: {
    summary: 'A FAIL_CLOSE plugin of the route could not be loaded or its VM failed (503).',
    hint: 'See the gateway log and /config_dump for the plugin error; FAIL_OPEN skips a failed plugin instead.',
  },
  WG_PROXY_STREAM_TIMEOUT: {
    summary: 'A plugin paused the request and never resumed it within the stream timeout (504).',
    hint: 'A plugin returned Pause and its callout never answered; check the callout cluster.',
  },
});
registerErrors(PROXY_ERRORS);
