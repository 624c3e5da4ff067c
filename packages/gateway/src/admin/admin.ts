/**
 * The admin listener (on the supervisor thread, so it answers whatever a plugin does): /healthz,
 * /ready (with the last reload's outcome), /metrics (Prometheus text or OpenMetrics, admin/prometheus.ts), /config_dump (routes,
 * chains, plugin VMs per worker, reload state) and POST /reload. Every request passes the guard
 * first (Host, Origin, token: admin/guard.ts), and every answer is masked (redact.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway, GenerationInfo } from '../gateway.js';
import type { RouteConfig } from '../config/types.js';
import { pluginInScope } from '../config/match-route.js';
import type { PluginStatus, WorkerStatus } from '../supervisor/protocol.js';
import type { UnresponsiveWorker } from '../supervisor/worker-pool.js';
import { redact } from '../redact.js';
import { handleDashboard } from './dashboard.js';
import { guardAdmin } from './guard.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, negotiate, renderMetrics } from './prometheus.js';

const PATHS = ['/healthz', '/ready', '/metrics', '/config_dump', 'POST /reload', '/ (dashboard)', '/stats.json'];

function json(res: ServerResponse, status: number, body: unknown): void {
  // Every admin answer is masked (URL passwords, credentials): redact.ts.
  const text = `${JSON.stringify(redact(body), (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, gw: Gateway): Promise<void> {
  try {
    await route(req, res, gw);
  } catch (e) {
    // An admin bug must not take the gateway down (this runs as a floating promise).
    if (!res.headersSent) json(res, 500, { error: e instanceof Error ? e.message : String(e) });
    else res.destroy();
  }
}

async function route(req: IncomingMessage, res: ServerResponse, gw: Gateway): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  // The admin API reads nothing from request bodies; drain them so keep-alive works.
  req.resume();
  const g = gw.generation.config.gateway;
  if (guardAdmin(req, res, path ?? '/', {
    bound: gw.adminAddress, configuredHost: g.admin.host,
    ...(g.adminAllowedHosts ? { allowedHosts: g.adminAllowedHosts } : {}), ...(g.adminTokenFile ? { tokenFile: g.adminTokenFile } : {}),
  })) return;
  if (path === '/healthz') return json(res, 200, { status: 'ok' });
  if (path === '/ready') return ready(res, gw);
  if (path === '/reload') {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return json(res, 405, { error: 'use POST /reload' });
    }
    const outcome = await gw.reload('POST /reload');
    return json(res, outcome.ok ? 200 : 422, outcome);
  }
  if (path === '/metrics') {
    const format = negotiate(req.headers.accept);
    const text = await renderMetrics(gw, format);
    res.writeHead(200, { 'content-type': format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE });
    res.end(text);
    return;
  }
  if (path === '/config_dump') return json(res, 200, await configDump(gw));
  if (await handleDashboard(path, req, res, gw)) return;
  json(res, 404, { error: `unknown admin path ${path}`, paths: PATHS });
}

type Status = WorkerStatus | UnresponsiveWorker;
const answered = (s: Status[]): WorkerStatus[] => s.filter((w): w is WorkerStatus => !('unresponsive' in w));

/** Each plugin's status on every worker that answered, with the worker id. */
function pluginsOf(workers: WorkerStatus[]): (PluginStatus & { workerId: number; failStrategy?: string })[] {
  return workers.flatMap((w) => w.plugins.map((p) => ({ ...p, workerId: w.workerId })));
}

/**
 * Ready (200) while a generation serves and every FAIL_CLOSE plugin has a running VM on every worker
 * that answered; 503 while shutting down, or while such a plugin's VM is failed or being recreated
 * somewhere (its routes answer 503 there meanwhile). A failed reload does not make the gateway
 * unready — the previous configuration still serves — and shows as `lastReload.ok: false`. A worker
 * busy inside a long plugin call is listed but does not make the gateway unready by itself.
 */
async function ready(res: ServerResponse, gw: Gateway): Promise<void> {
  const gen = gw.generation;
  const status = await gw.workerStatus();
  const failStrategy = new Map(gen.config.plugins.map((p) => [p.key, p.failStrategy]));
  const notRunning = pluginsOf(answered(status)).map((s) => ({ ...s, failStrategy: failStrategy.get(s.key) })).filter((s) => s.state !== 'running');
  const blocking = notRunning.filter((s) => s.failStrategy === 'FAIL_CLOSE');
  const isReady = !gw.closing && blocking.length === 0;
  const reason = gw.closing ? 'shutting down' : blocking.length > 0 ? `FAIL_CLOSE plugin(s) not running: ${[...new Set(blocking.map((s) => s.key))].join(', ')}` : undefined;
  json(res, isReady ? 200 : 503, {
    ready: isReady, ...(reason ? { reason } : {}),
    generation: gen.id, workers: gw.workers, unresponsiveWorkers: status.filter((w) => 'unresponsive' in w).map((w) => w.workerId),
    reloads: gw.reloadCount, reloadFailures: gw.reloadFailures,
    lastReload: gw.lastReload, pluginsNotRunning: notRunning,
  });
}

/** One plugin's status summed over workers: state is the worst, counters add up, memory per worker. */
function merged(key: string, gen: GenerationInfo, workers: WorkerStatus[]) {
  const per = pluginsOf(workers).filter((p) => p.key === key);
  const cfg = gen.config.plugins.find((p) => p.key === key)!;
  const first = per[0];
  const prepared = gen.plugins.get(key);
  const state = per.some((p) => p.state === 'failed') ? 'failed' : per.some((p) => p.state === 'recreating') ? 'recreating' : 'running';
  return {
    key, url: cfg.url, sha256: prepared?.sha256 ?? first?.sha256, ...(prepared?.digest ? { digest: prepared.digest } : {}),
    abiVersion: prepared?.abiVersion ?? first?.abiVersion, toolchain: prepared?.report.toolchain ?? first?.toolchain,
    phase: cfg.phase, priority: cfg.priority, failStrategy: cfg.failStrategy,
    state, restarts: per.reduce((n, p) => n + p.restarts, 0), rebuilds: per.reduce((n, p) => n + p.rebuilds, 0),
    memoryPages: per.reduce((n, p) => Math.max(n, p.memoryPages), 0),
    ...(first ? { limits: first.limits } : {}),
    ...(per.find((p) => p.lastError) ? { lastError: per.find((p) => p.lastError)!.lastError } : {}),
    workers: per.map((p) => ({ workerId: p.workerId, state: p.state, restarts: p.restarts, rebuilds: p.rebuilds, memoryPages: p.memoryPages, ...(p.lastError ? { lastError: p.lastError } : {}) })),
  };
}

async function configDump(gw: Gateway) {
  const gen = gw.generation;
  const status = await gw.workerStatus();
  const workers = answered(status).filter((w) => w.generation === gen.id);
  const plugins = new Map(gen.config.plugins.filter((p) => gen.plugins.has(p.key)).map((p) => [p.key, merged(p.key, gen, workers)]));
  return {
    generation: { id: gen.id, loadedAt: gen.loadedAt, inFlight: answered(status).reduce((n, w) => n + w.inFlight, 0), configFiles: gen.config.sources },
    lastReload: gw.lastReload,
    reloads: gw.reloadCount,
    reloadFailures: gw.reloadFailures,
    draining: answered(status).flatMap((w) => w.draining.map((d) => ({ ...d, workerId: w.workerId }))),
    watching: gw.watching,
    gateway: { ...gen.config.gateway, workers: gw.workers },
    workers: status.map((w) => ('unresponsive' in w ? w : { workerId: w.workerId, generation: w.generation, inFlight: w.inFlight, listening: w.listening, heapUsedBytes: w.heapUsedBytes })),
    routes: gen.config.routes.map((r) => ({ name: r.name, host: r.host ?? '*', path: r.path, pathType: r.pathType, cluster: r.clusterName, endpoints: r.endpoints })),
    // Each route's chain as a request to that route would get it, with every plugin's VM state.
    chains: gen.config.routes.map((r) => {
      const chain = chainOf(gen, r);
      return 'unavailable' in chain
        ? { route: r.name, unavailable: chain.unavailable, plugins: [] }
        : { route: r.name, plugins: chain.map((key) => plugins.get(key) ?? { key }) };
    }),
    plugins: [...plugins.values()],
    skippedPlugins: [...new Map([...gen.skipped, ...answered(status).flatMap((w) => w.skipped)]).entries()].map(([k, e]) => ({ key: k, code: e.code, message: e.message })),
    services: gen.config.services.map((s) => ({ name: `${s.namespace}/${s.name}`, fqdn: s.fqdn, endpoints: s.endpoints, protocol: s.protocol, aliases: s.aliases })),
  };
}

/** Plugin keys in chain order for a request to `r` (a wildcard host is probed with a sample name). */
function chainOf(gen: GenerationInfo, r: RouteConfig): string[] | { unavailable: string } {
  const h = r.host ?? '';
  const host = h.startsWith('*.') ? `x${h.slice(1)}` : h;
  const out: string[] = [];
  for (const p of gen.config.plugins) {
    if (!pluginInScope(p, r, host)) continue;
    if (gen.plugins.has(p.key)) out.push(p.key);
    else if (p.failStrategy === 'FAIL_CLOSE') return { unavailable: `plugin ${p.key} is not loaded` };
  }
  return out;
}
