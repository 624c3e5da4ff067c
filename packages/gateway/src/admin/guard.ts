/**
 * Who may use the admin listener (docs/config.md#admin-security):
 *
 * 1. **Host.** Every request (but GET /healthz, /ready and /metrics, which probes and scrapers send
 *    to a pod or host address, and which hold no secrets) must name the admin listener itself in its Host header: the bound
 *    `address:port`, the configured `host:port`, and — when the listener is on loopback or on every
 *    interface (0.0.0.0, ::) — `localhost:PORT`, `127.0.0.1:PORT` and `[::1]:PORT`; plus the
 *    Gateway's `adminAllowedHosts` (`name:port` exactly, or `name` on the admin port). Else 403
 *    WG_ADMIN_HOST. A browser always sends Host, so a DNS-rebound page (Host: evil.example:15000)
 *    is refused; an HTTP/1.0 client without Host is let through (node refuses HTTP/1.1 without it).
 * 2. **Origin.** A request other than GET/HEAD/OPTIONS with an `Origin` that is not
 *    `http://<an allowed host>` (`null` included), or with `Sec-Fetch-Site` other than
 *    `same-origin`/`none`, is refused: 403 WG_ADMIN_CROSS_ORIGIN (CSRF from any open web page).
 * 3. **Token.** When a token is set (`WASMGATE_ADMIN_TOKEN`, else the Gateway's `adminTokenFile`),
 *    every non-GET/HEAD request and GET /config_dump and /stats.json need `Authorization: Bearer
 *    <token>`, on any address: 401 WG_ADMIN_UNAUTHORIZED. /healthz, /ready, /metrics and the
 *    dashboard page itself stay open (probes and scrapers), and show no secrets.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_TOKEN_ENV, isLoopbackHost, isWildcardHost } from '../config/resolve-admin.js';
import { ADMIN_ERRORS, type AdminErrorCode } from './errors.js';

/** What the guard needs to know about the listener and its configuration. */
export interface AdminGuardSettings {
  /** The bound address and port (`server.address()`). */
  readonly bound: { readonly address: string; readonly port: number };
  /** The configured admin host (may be a name, e.g. localhost). */
  readonly configuredHost: string;
  readonly allowedHosts?: readonly string[];
  readonly tokenFile?: string;
  /** The environment (default process.env), for WASMGATE_ADMIN_TOKEN. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** GET paths open to any Host and without the token: health and readiness probes, metric scrapers. */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/ready', '/metrics']);

/** Paths whose GET needs the token when one is set: they show the configuration and its traffic. */
export const TOKEN_PATHS: ReadonlySet<string> = new Set(['/config_dump', '/stats.json']);

const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);

/** Every Host header value (lowercase, with port) the admin listener answers to. */
export function allowedHostHeaders(s: AdminGuardSettings): Set<string> {
  const port = s.bound.port;
  const names = new Set<string>();
  const add = (h: string) => names.add(h.toLowerCase());
  add(`${bracket(s.bound.address)}:${port}`);
  add(`${bracket(s.configuredHost)}:${port}`);
  if ([s.bound.address, s.configuredHost].some((h) => isLoopbackHost(h) || isWildcardHost(h))) {
    for (const h of ['localhost', '127.0.0.1', '[::1]']) add(`${h}:${port}`);
  }
  for (const h of s.allowedHosts ?? []) add(/:\d+$/.test(h) ? h : `${bracket(h)}:${port}`);
  // Port 80: clients leave the port out.
  if (port === 80) for (const h of [...names]) if (h.endsWith(':80')) names.add(h.slice(0, -3));
  return names;
}

/** The admin token, or undefined when none is set; throws when the token file cannot be read. */
export function adminToken(s: AdminGuardSettings): string | undefined {
  const fromEnv = (s.env ?? process.env)[ADMIN_TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (s.tokenFile === undefined) return undefined;
  const t = readFileSync(s.tokenFile, 'utf8').trim();
  if (t === '') throw new Error('the admin token file is empty');
  return t;
}

function sameSecret(given: string, token: string): boolean {
  const h = (x: string) => createHash('sha256').update(x).digest();
  return timingSafeEqual(h(given), h(token));
}

function refuse(res: ServerResponse, status: number, code: AdminErrorCode, message: string, headers: Record<string, string> = {}): true {
  const text = `${JSON.stringify({ error: message, code, hint: ADMIN_ERRORS[code].hint }, null, 2)}\n`;
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
  return true;
}

/**
 * Checks Host, Origin and the token; answers the refusal and returns true when the request is not
 * to be served, false when it may go on.
 */
export function guardAdmin(req: IncomingMessage, res: ServerResponse, path: string, s: AdminGuardSettings): boolean {
  // Probes and scrapers name the target by address (a pod IP …); these answers hold no secrets.
  if ((req.method === 'GET' || req.method === 'HEAD') && PROBE_PATHS.has(path)) return false;
  const allowed = allowedHostHeaders(s);
  const host = req.headers.host?.trim().toLowerCase().replace(/\.(?=:\d+$)/, '');
  if (host !== undefined && !allowed.has(host)) {
    return refuse(res, 403, 'WG_ADMIN_HOST', `the admin listener does not answer to Host "${host.slice(0, 100)}"`);
  }
  const method = req.method ?? 'GET';
  const safe = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  if (!safe) {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    let ok = true;
    if (origin !== undefined) {
      try {
        const u = new URL(origin);
        ok = u.protocol === 'http:' && (allowed.has(u.host.toLowerCase()) || allowed.has(`${u.host.toLowerCase()}:80`));
      } catch {
        ok = false;
      }
    }
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') ok = false;
    if (!ok) return refuse(res, 403, 'WG_ADMIN_CROSS_ORIGIN', `${method} ${path} from another origin (${origin ? `Origin ${origin.slice(0, 100)}` : `Sec-Fetch-Site ${String(site)}`}) is refused`);
  }
  if (safe && !TOKEN_PATHS.has(path)) return false;
  let token: string | undefined;
  try {
    token = adminToken(s);
  } catch {
    // Fail closed: a token was configured and cannot be read.
    return refuse(res, 401, 'WG_ADMIN_UNAUTHORIZED', `${method} ${path} needs the admin token, and the admin token file cannot be read`);
  }
  if (token === undefined) return false;
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (m && sameSecret(m[1]!, token)) return false;
  return refuse(res, 401, 'WG_ADMIN_UNAUTHORIZED', `${method} ${path} needs the admin token (Authorization: Bearer <token>)${auth ? '; the one sent is wrong' : ''}`,
    { 'www-authenticate': 'Bearer realm="wasmgate admin"' });
}
