/**
 * The admin listener's dashboard: GET / (the page, dashboard-page.ts) and GET /stats.json (its live
 * numbers, dashboard-stats.ts). The page also reads /config_dump.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../gateway.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { statsJson } from './dashboard-stats.js';
import { redact } from '../redact.js';

/** Answers the dashboard's paths; false for any other path (the caller goes on). */
export async function handleDashboard(path: string | undefined, req: IncomingMessage, res: ServerResponse, gw: Gateway): Promise<boolean> {
  if (path !== '/' && path !== '/stats.json') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, 'application/json', `${JSON.stringify({ error: `use GET ${path}` })}\n`);
    return true;
  }
  if (path === '/') {
    // The page loads nothing from elsewhere; the policy makes sure it cannot.
    res.setHeader('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:");
    send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
  } else {
    send(res, 200, 'application/json', `${JSON.stringify(redact(await statsJson(gw)))}\n`);
  }
  return true;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
