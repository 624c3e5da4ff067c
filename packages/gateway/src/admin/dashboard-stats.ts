/**
 * GET /stats.json: the dashboard's live numbers. Every worker reports its own per-route and
 * per-plugin traffic in one-second slots (proxy/traffic-stats.ts) with its status; this merges them
 * (sums of counts, sums of histograms) into per-second series over the last minute and current
 * rates and percentiles, and adds the workers and the reload history.
 */
import type { Gateway } from '../gateway.js';
import { bucketUpperMs, BUCKETS, WINDOW_SEC, type TrafficSnapshot, type TrafficSlot } from '../proxy/traffic-stats.js';
import type { WorkerStatus } from '../supervisor/protocol.js';
import { pluginTime } from './dashboard-plugin-time.js';

/** Seconds the current rates and percentiles are computed over (complete seconds only). */
export const RATE_WINDOW_SEC = 10;

interface Merged {
  requests: number;
  errors: number;
  /** Per second of the window, oldest first (the last one is the current, partial second). */
  n: number[];
  err: number[];
  hist: Float64Array[];
}

export interface LiveStats {
  /** Requests and errors since the worker started (a worker replaced after a crash starts over). */
  readonly requests: number;
  readonly errors: number;
  /** Over the last RATE_WINDOW_SEC complete seconds. */
  readonly rps: number;
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** One value per second over the last minute, oldest first, current partial second excluded. */
  readonly series: { readonly rps: readonly number[]; readonly errors: readonly number[]; readonly p99Ms: readonly (number | null)[] };
}

function empty(): Merged {
  return { requests: 0, errors: 0, n: new Array(WINDOW_SEC).fill(0), err: new Array(WINDOW_SEC).fill(0), hist: Array.from({ length: WINDOW_SEC }, () => new Float64Array(BUCKETS)) };
}

function add(into: Map<string, Merged>, key: string, s: { requests: number; errors: number; slots: readonly TrafficSlot[] }, nowSec: number): void {
  const m = into.get(key) ?? into.set(key, empty()).get(key)!;
  m.requests += s.requests;
  m.errors += s.errors;
  for (const slot of s.slots) {
    const i = WINDOW_SEC - 1 - (nowSec - slot[0]!);
    if (i < 0 || i >= WINDOW_SEC) continue;
    m.n[i] = m.n[i]! + slot[1]!;
    m.err[i] = m.err[i]! + slot[2]!;
    const h = m.hist[i]!;
    for (let j = 3; j + 1 < slot.length; j += 2) h[slot[j]!]! += slot[j + 1]!;
  }
}

/** The `q` quantile (0..1) of a histogram, as its bucket's upper bound in ms; null when empty. */
export function quantile(h: Float64Array, q: number): number | null {
  let total = 0;
  for (const c of h) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i]!;
    if (seen >= rank) return round(bucketUpperMs(i));
  }
  return null;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function live(m: Merged): LiveStats {
  // Slot WINDOW_SEC-1 is the second in progress: rates use the complete ones before it.
  const done = (a: number[]) => a.slice(0, WINDOW_SEC - 1);
  const recent = (a: number[]) => done(a).slice(-RATE_WINDOW_SEC).reduce((x, y) => x + y, 0);
  const n = recent(m.n);
  const hist = new Float64Array(BUCKETS);
  for (const h of m.hist.slice(WINDOW_SEC - 1 - RATE_WINDOW_SEC, WINDOW_SEC - 1)) for (let i = 0; i < BUCKETS; i++) hist[i]! += h[i]!;
  return {
    requests: m.requests, errors: m.errors,
    rps: round(n / RATE_WINDOW_SEC), errorRate: n === 0 ? 0 : round(recent(m.err) / n),
    p50Ms: quantile(hist, 0.5), p99Ms: quantile(hist, 0.99),
    series: { rps: done(m.n), errors: done(m.err), p99Ms: m.hist.slice(0, WINDOW_SEC - 1).map((h) => quantile(h, 0.99)) },
  };
}

/** Merges the traffic of every worker that answered. */
export function mergeTraffic(snapshots: readonly TrafficSnapshot[], nowSec = Math.floor(Date.now() / 1000)) {
  const routes = new Map<string, Merged>();
  const plugins = new Map<string, Merged>();
  for (const t of snapshots) {
    for (const [k, s] of Object.entries(t.routes)) add(routes, k, s, nowSec);
    for (const [k, s] of Object.entries(t.plugins)) add(plugins, k, s, nowSec);
  }
  const out = (m: Map<string, Merged>) => Object.fromEntries([...m].map(([k, v]) => [k, live(v)]));
  return { routes: out(routes), plugins: out(plugins) };
}

export async function statsJson(gw: Gateway) {
  const gen = gw.generation;
  const status = await gw.workerStatus();
  const answered = status.filter((w): w is WorkerStatus => !('unresponsive' in w));
  const traffic = mergeTraffic(answered.flatMap((w) => (w.traffic ? [w.traffic] : [])));
  // Time inside each plugin, from the gateway's metrics (null where the workers report none).
  const inPlugin = pluginTime(gw, answered.flatMap((w) => (w.metrics ? [w.metrics] : [])));
  const zero = mergeTraffic([{ nowSec: 0, routes: { _: { requests: 0, errors: 0, slots: [] } }, plugins: {} }]).routes._!;
  const configured = new Set(gen.config.routes.map((r) => r.name));
  const pluginKeys = new Set(gen.config.plugins.map((p) => p.key));
  return {
    at: new Date().toISOString(),
    windowSec: WINDOW_SEC,
    rateWindowSec: RATE_WINDOW_SEC,
    generation: gen.id,
    loadedAt: gen.loadedAt,
    workers: status.map((w) => ('unresponsive' in w
      ? w
      : { workerId: w.workerId, generation: w.generation, inFlight: w.inFlight, listening: w.listening, heapUsedBytes: w.heapUsedBytes, draining: w.draining.length, requests: Object.values(w.traffic?.routes ?? {}).reduce((n, r) => n + r.requests, 0) })),
    // The serving generation's routes and plugins first (in config order), then any other that had traffic in the window.
    routes: [
      ...gen.config.routes.map((r) => ({ name: r.name, ...(traffic.routes[r.name] ?? zero) })),
      ...Object.entries(traffic.routes).filter(([k]) => !configured.has(k)).map(([name, s]) => ({ name, configured: false, ...s })),
    ],
    plugins: [
      ...gen.config.plugins.map((p) => ({ key: p.key, ...(traffic.plugins[p.key] ?? zero), inPlugin: inPlugin[p.key] ?? null })),
      ...Object.entries(traffic.plugins).filter(([k]) => !pluginKeys.has(k)).map(([key, s]) => ({ key, configured: false, ...s, inPlugin: inPlugin[key] ?? null })),
    ],
    reloads: { count: gw.reloadCount, failures: gw.reloadFailures, history: [...gw.reloadHistory].reverse() },
  };
}
