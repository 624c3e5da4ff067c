/**
 * Admin listener refusals (WG_ADMIN_*): what the admin API answers a request it will not serve
 * (admin/guard.ts; docs/config.md#admin-security).
 * @module
 */
import { defineErrors, registerErrors } from '@wasmgate/host';

export const ADMIN_ERRORS = defineErrors({
  WG_ADMIN_HOST: {
    summary: 'An admin request named a Host the admin listener does not answer to (403): a guard against DNS rebinding, where a web page reaches the admin listener under its own host name.',
    hint: 'Call the admin listener by its address (127.0.0.1:PORT, localhost:PORT, [::1]:PORT when it is on loopback or every interface), or list the name you use in the Gateway\'s adminAllowedHosts.',
  },
  WG_ADMIN_CROSS_ORIGIN: {
    summary: 'A state-changing admin request (POST /reload …) came from a web page of another origin (its Origin is not the admin listener\'s own, or Sec-Fetch-Site says cross-site) and was refused (403).',
    hint: 'Send it from a script or terminal (curl -X POST http://127.0.0.1:15000/reload), or from the admin dashboard itself.',
  },
  WG_ADMIN_UNAUTHORIZED: {
    summary: 'The admin token is set and the request carried no bearer token or a wrong one (401); POST requests, /config_dump and /stats.json need it.',
    hint: 'Send "Authorization: Bearer <token>" (the token of the Gateway\'s adminTokenFile or WASMGATE_ADMIN_TOKEN); open the dashboard as http://HOST:PORT/#token=<token>.',
  },
});
registerErrors(ADMIN_ERRORS);

/** A code from the admin catalogue. */
export type AdminErrorCode = keyof typeof ADMIN_ERRORS;
