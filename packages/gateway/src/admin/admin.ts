/**
 * The admin listener: /healthz, /ready (with the last reload's outcome), /metrics (Prometheus
 * text), /config_dump (routes, chains, plugin VMs) and POST /reload.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MetricType } from '@wasmgate/host';
import type { Gateway } from '../gateway.js';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, gw: Gateway): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/healthz') return json(res, 200, { status: 'ok' });
  if (path === '/ready') {
    const gen = gw.generation;
    const failed = [...gen.plugins.values()].map((p) => p.status()).filter((s) => s.state !== 'running');
    return json(res, failed.length === 0 ? 200 : 503, { ready: failed.length === 0, lastReload: gw.lastReload, reloads: gw.reloadCount, failedPlugins: failed });
  }
  if (path === '/reload') {
    if (req.method !== 'POST') return json(res, 405, { error: 'use POST /reload' });
    const outcome = await gw.reload('POST /reload');
    return json(res, outcome.ok ? 200 : 422, outcome);
  }
  if (path === '/metrics') {
    const text = prometheus(gw);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(text);
    return;
  }
  if (path === '/config_dump') {
    const gen = gw.generation;
    return json(res, 200, {
      gateway: gen.config.gateway,
      routes: gen.config.routes.map((r) => ({ name: r.name, host: r.host ?? '*', path: r.path, pathType: r.pathType, cluster: r.clusterName, endpoints: r.endpoints })),
      chains: gen.config.routes.map((r) => ({ route: r.name, plugins: chainNames(gw, r.name, r.host ?? '') })),
      plugins: [...gen.plugins.values()].map((p) => ({ ...p.status(), phase: p.config.phase, priority: p.config.priority, failStrategy: p.config.failStrategy })),
      skippedPlugins: [...gen.skipped].map(([k, e]) => ({ key: k, code: e.code, message: e.message })),
      services: gen.config.services.map((s) => ({ name: `${s.namespace}/${s.name}`, fqdn: s.fqdn, endpoints: s.endpoints, protocol: s.protocol, aliases: s.aliases })),
      lastReload: gw.lastReload,
      inFlight: gen.inFlight,
    });
  }
  json(res, 404, { error: `unknown admin path ${path}`, paths: ['/healthz', '/ready', '/metrics', '/config_dump', 'POST /reload'] });
}

function chainNames(gw: Gateway, route: string, host: string): string[] {
  const gen = gw.generation;
  const r = gen.config.routes.find((x) => x.name === route);
  const chain = gen.chainFor(r, host.startsWith('*.') ? `x${host.slice(1)}` : host);
  return 'unavailable' in chain ? [] : chain.map((f) => f.name);
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
  for (const p of gw.generation.plugins.values()) {
    const s = p.status();
    const label = `plugin="${s.key}"`;
    lines.push(`wasmgate_plugin_restarts{${label}} ${s.restarts}`, `wasmgate_plugin_memory_pages{${label}} ${s.memoryPages}`, `wasmgate_plugin_up{${label}} ${s.state === 'running' ? 1 : 0}`);
  }
  lines.push(`wasmgate_reloads_total ${gw.reloadCount}`);
  return `${lines.join('\n')}\n`;
}
