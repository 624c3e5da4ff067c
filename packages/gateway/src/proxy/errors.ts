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
  WG_PROXY_BAD_REQUEST: {
    summary: 'The request head breaks HTTP/1.1 framing rules the gateway enforces: no Host (HTTP/1.1) or more than one (400).',
    hint: 'Send exactly one Host header (RFC 9112 §3.2); the connection is closed after this answer.',
  },
  WG_PROXY_UPSTREAM_OVERFLOW: {
    summary: 'Every pooled connection to the upstream endpoint was busy and its pending-request queue was full (503).',
    hint: 'Raise spec.upstreamPool.maxConnections or maxPendingRequests on the Gateway, or add endpoints to the Service.',
  },
  WG_PROXY_UPSTREAM_PROTOCOL: {
    summary: 'The upstream answered with bytes that are not a valid HTTP/1.1 response (502).',
    hint: 'Check that the Service port speaks HTTP/1.1 (not TLS, gRPC-only HTTP/2 or another protocol); use tls: true for an HTTPS backend.',
  },
  WG_PROXY_STREAM_TIMEOUT: {
    summary: 'A plugin paused the request and never resumed it within the stream timeout (504).',
    hint: 'A plugin returned Pause and its callout never answered; check the callout cluster.',
  },
});
registerErrors(PROXY_ERRORS);
