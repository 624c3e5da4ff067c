/**
 * The admin listener: /healthz, /ready (with the last reload's outcome), /metrics (Prometheus
 * text), /config_dump (routes, chains, plugin VMs, reload state) and POST /reload.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetricType } from '@wasmgate/host';
import type { Gateway } from '../gateway.js';
import type { Generation } from '../generation.js';
import type { RouteConfig } from '../config/types.js';

const PATHS = ['/healthz', '/ready', '/metrics', '/config_dump', 'POST /reload'];

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
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
    const text = prometheus(gw);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
    return;
  }
  if (path === '/config_dump') return json(res, 200, configDump(gw));
  json(res, 404, { error: `unknown admin path ${path}`, paths: PATHS });
}

/**
 * Ready (200) while a generation serves and every FAIL_CLOSE plugin of it has a running VM; 503
 * while shutting down, or while such a plugin's VM is failed or being recreated (its routes answer
 * 503 meanwhile). A failed reload does not make the gateway unready — the previous configuration
 * still serves — and shows as `lastReload.ok: false`.
 */
function ready(res: ServerResponse, gw: Gateway): void {
  const gen = gw.generation;
  const notRunning = [...gen.plugins.values()].map((p) => ({ ...p.status(), failStrategy: p.config.failStrategy })).filter((s) => s.state !== 'running');
  const blocking = notRunning.filter((s) => s.failStrategy === 'FAIL_CLOSE');
  const isReady = !gw.closing && blocking.length === 0;
  const reason = gw.closing ? 'shutting down' : blocking.length > 0 ? `FAIL_CLOSE plugin(s) not running: ${blocking.map((s) => s.key).join(', ')}` : undefined;
  json(res, isReady ? 200 : 503, {
    ready: isReady, ...(reason ? { reason } : {}),
    generation: gen.id, reloads: gw.reloadCount, reloadFailures: gw.reloadFailures,
    lastReload: gw.lastReload, pluginsNotRunning: notRunning,
  });
}

function configDump(gw: Gateway) {
  const gen = gw.generation;
  const status = new Map([...gen.plugins].map(([k, p]) => [k, { ...p.status(), phase: p.config.phase, priority: p.config.priority, failStrategy: p.config.failStrategy }]));
  return {
    generation: { id: gen.id, loadedAt: gen.loadedAt, inFlight: gen.inFlight, configFiles: gen.config.sources },
    lastReload: gw.lastReload,
    reloads: gw.reloadCount,
    reloadFailures: gw.reloadFailures,
    draining: gw.draining,
    watching: gw.watching,
    gateway: gen.config.gateway,
    routes: gen.config.routes.map((r) => ({ name: r.name, host: r.host ?? '*', path: r.path, pathType: r.pathType, cluster: r.clusterName, endpoints: r.endpoints })),
    // Each route's chain as a request to that route would get it, with every plugin's VM state.
    chains: gen.config.routes.map((r) => {
      const chain = chainOf(gen, r);
      return 'unavailable' in chain
        ? { route: r.name, unavailable: chain.unavailable, plugins: [] }
        : { route: r.name, plugins: chain.map((key) => status.get(key) ?? { key }) };
    }),
    plugins: [...status.values()],
    skippedPlugins: [...gen.skipped].map(([k, e]) => ({ key: k, code: e.code, message: e.message })),
    services: gen.config.services.map((s) => ({ name: `${s.namespace}/${s.name}`, fqdn: s.fqdn, endpoints: s.endpoints, protocol: s.protocol, aliases: s.aliases })),
  };
}

/** Plugin keys in chain order for a request to `r` (a wildcard host is probed with a sample name). */
function chainOf(gen: Generation, r: RouteConfig): string[] | { unavailable: string } {
  const host = r.host ?? '';
  const chain = gen.chainFor(r, host.startsWith('*.') ? `x${host.slice(1)}` : host);
  return 'unavailable' in chain ? chain : chain.map((f) => f.name);
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_:]/g, '_');
}

function prometheus(gw: Gateway): string {
  const lines: string[] = [];
  for (const m of gw.ports.metrics.snapshot()) {
    const n = sanitize(m.name);
    if (m.type === MetricType.Histogram) {
      lines.push(`# TYPE ${n} summary`, `${n}_sum ${m.value}`, `${n}_count ${m.count ?? 0}`);
    } else {
      lines.push(`# TYPE ${n} ${m.type === MetricType.Counter ? 'counter' : 'gauge'}`, `${n} ${m.value}`);
    }
  }
  const plugins = [...gw.generation.plugins.values()].map((p) => p.status());
  const perPlugin = (name: string, type: string, value: (s: (typeof plugins)[number]) => number) => {
    lines.push(`# TYPE ${name} ${type}`);
    for (const s of plugins) lines.push(`${name}{plugin="${s.key}"} ${value(s)}`);
  };
  perPlugin('wasmgate_plugin_restarts', 'counter', (s) => s.restarts);
  perPlugin('wasmgate_plugin_memory_pages', 'gauge', (s) => s.memoryPages);
  perPlugin('wasmgate_plugin_up', 'gauge', (s) => (s.state === 'running' ? 1 : 0));
  lines.push(
    '# TYPE wasmgate_reloads_total counter', `wasmgate_reloads_total ${gw.reloadCount}`,
    '# TYPE wasmgate_reload_failures_total counter', `wasmgate_reload_failures_total ${gw.reloadFailures}`,
    '# TYPE wasmgate_last_reload_success gauge', `wasmgate_last_reload_success ${gw.lastReload?.ok ? 1 : 0}`,
    '# TYPE wasmgate_generation gauge', `wasmgate_generation ${gw.generation.id}`,
    '# TYPE wasmgate_draining_generations gauge', `wasmgate_draining_generations ${gw.draining.length}`,
  );
  return `${lines.join('\n')}\n`;
}
