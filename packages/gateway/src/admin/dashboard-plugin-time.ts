/**
 * Time inside each plugin's callbacks for the dashboard, read from the gateway's own metrics
 * (`wasmgate_plugin_phase_duration_seconds`, observability/metrics.ts: cumulative histograms per
 * worker, all phases). Those only grow, so the supervisor keeps the sums it saw at each /stats.json
 * for a minute and reports the difference over about the last {@link RATE_WINDOW_SEC} seconds; until
 * it has an older sample (or after a worker restart made a sum go down) it reports since start.
 */
import type { Gateway } from '../gateway.js';
import { FAMILIES, mergeSnapshots, type MetricsSnapshot } from '../observability/metrics.js';
import { RATE_WINDOW_SEC } from './dashboard-stats.js';

const BOUNDS: readonly number[] = FAMILIES.pluginPhase.buckets;

interface PluginSums {
  readonly counts: number[];
  readonly sum: number;
  readonly count: number;
}

interface Sample {
  readonly at: number;
  readonly plugins: ReadonlyMap<string, PluginSums>;
}

export interface PluginTime {
  /** Plugin callbacks per second. */
  readonly callsPerSec: number;
  /** Share of one core spent inside the plugin (seconds of plugin time per second). */
  readonly busy: number;
  /** Per callback, ms: the upper bound of the histogram bucket the percentile falls in (null: none, or above the last bound). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The seconds these numbers cover (since the first callback when the dashboard has no older sample). */
  readonly overSec: number | null;
}

const history = new WeakMap<Gateway, Sample[]>();

/** Every plugin's phase histograms summed over phases and workers. */
function sums(snaps: readonly MetricsSnapshot[]): Map<string, PluginSums> {
  const out = new Map<string, PluginSums>();
  for (const [labels, counts, sum, count] of mergeSnapshots(snaps).histograms.pluginPhase ?? []) {
    const key = labels[0]!;
    const t = out.get(key);
    out.set(key, t ? { counts: counts.map((c, i) => c + (t.counts[i] ?? 0)), sum: sum + t.sum, count: count + t.count } : { counts: [...counts], sum, count });
  }
  return out;
}

function quantileMs(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return i < BOUNDS.length ? BOUNDS[i]! * 1000 : null;
  }
  return null;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Per plugin key; empty when the workers report no metrics. */
export function pluginTime(gw: Gateway, snaps: readonly MetricsSnapshot[], now = Date.now()): Record<string, PluginTime> {
  if (snaps.length === 0) return {};
  const current = sums(snaps);
  const samples = history.get(gw) ?? history.set(gw, []).get(gw)!;
  // The newest sample at least RATE_WINDOW_SEC old is the base.
  const base = [...samples].reverse().find((s) => now - s.at >= RATE_WINDOW_SEC * 1000);
  samples.push({ at: now, plugins: current });
  while (samples.length > 1 && now - samples[0]!.at > 60_000) samples.shift();
  if (samples.length > 120) samples.splice(0, samples.length - 120);
  const out: Record<string, PluginTime> = {};
  for (const [key, cur] of current) {
    const old = base?.plugins.get(key);
    const usable = base && old && old.count <= cur.count && old.counts.every((c, i) => c <= (cur.counts[i] ?? 0));
    const counts = usable ? cur.counts.map((c, i) => c - (old.counts[i] ?? 0)) : cur.counts;
    const count = usable ? cur.count - old.count : cur.count;
    const sum = usable ? cur.sum - old.sum : cur.sum;
    const overSec = usable ? (now - base.at) / 1000 : null;
    out[key] = {
      callsPerSec: overSec ? round(count / overSec) : 0, busy: overSec ? round(sum / overSec) : 0,
      p50Ms: quantileMs(counts, 0.5), p99Ms: quantileMs(counts, 0.99), overSec,
    };
  }
  return out;
}
