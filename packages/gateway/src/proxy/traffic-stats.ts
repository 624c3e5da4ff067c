/**
 * Per-route and per-plugin traffic of one worker thread, for the admin dashboard: requests, errors
 * (5xx, or a response that never completed) and a latency histogram, in one-second slots over the
 * last {@link WINDOW_SEC} seconds. Each worker keeps its own (module state: one per thread); the
 * supervisor merges the snapshots it gets with the worker status (admin/dashboard-stats.ts).
 *
 * A plugin's numbers are those of the exchanges whose chain included it (its latency is the
 * exchange's, not the time spent inside the plugin).
 */
import type { ChainFilter } from '@wasmgate/host';
import type { RouteConfig } from '../config/types.js';

/** Seconds of history kept (and shown as sparklines). */
export const WINDOW_SEC = 60;
/** Histogram buckets: bucket 0 is ≤ {@link BUCKET_BASE_MS}, bucket i ≤ base·2^(i/4) ms (≈ 19 % wide). */
export const BUCKETS = 96;
export const BUCKET_BASE_MS = 0.05;

export function bucketOf(ms: number): number {
  if (!(ms > BUCKET_BASE_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(4 * Math.log2(ms / BUCKET_BASE_MS)));
}

/** Upper bound of bucket `i`, ms. */
export function bucketUpperMs(i: number): number {
  return BUCKET_BASE_MS * 2 ** (i / 4);
}

/** One second of one route or plugin: [epoch second, requests, errors, ...histogram as (bucket, count) pairs]. */
export type TrafficSlot = number[];

/** What a worker reports: per route name and per plugin key, the non-empty seconds of the window. */
export interface TrafficSnapshot {
  readonly nowSec: number;
  readonly routes: Readonly<Record<string, { readonly requests: number; readonly errors: number; readonly slots: readonly TrafficSlot[] }>>;
  readonly plugins: Readonly<Record<string, { readonly requests: number; readonly errors: number; readonly slots: readonly TrafficSlot[] }>>;
}

interface Slot {
  sec: number;
  n: number;
  err: number;
  hist: Map<number, number>;
}

class Series {
  requests = 0;
  errors = 0;
  readonly #ring: (Slot | undefined)[] = new Array(WINDOW_SEC);

  add(sec: number, ms: number, error: boolean): void {
    this.requests++;
    if (error) this.errors++;
    const i = sec % WINDOW_SEC;
    let s = this.#ring[i];
    if (!s || s.sec !== sec) s = this.#ring[i] = { sec, n: 0, err: 0, hist: new Map() };
    s.n++;
    if (error) s.err++;
    const b = bucketOf(ms);
    s.hist.set(b, (s.hist.get(b) ?? 0) + 1);
  }

  snapshot(nowSec: number) {
    const slots: TrafficSlot[] = [];
    for (const s of this.#ring) {
      if (!s || s.sec <= nowSec - WINDOW_SEC) continue;
      const row = [s.sec, s.n, s.err];
      for (const [b, c] of s.hist) row.push(b, c);
      slots.push(row);
    }
    return { requests: this.requests, errors: this.errors, slots };
  }
}

const routes = new Map<string, Series>();
const plugins = new Map<string, Series>();
const seriesOf = (m: Map<string, Series>, k: string) => m.get(k) ?? m.set(k, new Series()).get(k)!;

/** The route name of exchanges no route matched. */
export const NO_ROUTE = '(no route)';

/**
 * Records one finished exchange (proxy/exchange.ts, when its response closes): its route (the one
 * its chain was chosen for), the plugins of that chain, its latency from `startedMs`
 * (`performance.now()` when it arrived) and whether it failed (5xx, or a response that never
 * completed).
 */
export function recordExchange(route: RouteConfig | undefined, chain: ChainFilter[] | { unavailable: string }, startedMs: number, error: boolean): void {
  const ms = performance.now() - startedMs;
  const sec = Math.floor(Date.now() / 1000);
  seriesOf(routes, route?.name ?? NO_ROUTE).add(sec, ms, error);
  if (!('unavailable' in chain)) for (const f of chain) seriesOf(plugins, f.name).add(sec, ms, error);
}

/** This thread's traffic over the window. */
export function trafficSnapshot(): TrafficSnapshot {
  const nowSec = Math.floor(Date.now() / 1000);
  const out = (m: Map<string, Series>) => Object.fromEntries([...m].map(([k, s]) => [k, s.snapshot(nowSec)]));
  return { nowSec, routes: out(routes), plugins: out(plugins) };
}
