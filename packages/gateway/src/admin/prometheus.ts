/**
 * GET /metrics on the admin listener: Prometheus text format 0.0.4, or OpenMetrics 1.0.0 when the
 * scraper's Accept header asks for `application/openmetrics-text`. Every family has `# HELP` and
 * `# TYPE`. Sources: the gateway's own recorders of every worker (pulled with the status request
 * and summed), per-plugin VM status from every worker, reload state, and the plugins' own metrics
 * from the process-wide shared store. Every metric is listed in docs/observability.md.
 */
import { HISTOGRAM_BUCKETS, MetricType } from '@wasmgate/host';
import type { Gateway } from '../gateway.js';
import { Exposition, mergeSnapshots, type ExpositionFormat, type MetricsSnapshot } from '../observability/metrics.js';
import type { WorkerStatus } from '../supervisor/protocol.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The format an Accept header asks for (OpenMetrics only when named). */
export function negotiate(accept: string | undefined): ExpositionFormat {
  return accept && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

/** A plugin-defined metric name as Prometheus accepts it. */
function sanitize(name: string): string {
  const n = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

interface ScrapeMemory {
  /** Per worker slot: the thread that answered last and its snapshot. */
  readonly last: Map<number, { threadId: number; metrics: MetricsSnapshot }>;
  /** What replaced workers had counted, merged. */
  retired: MetricsSnapshot | undefined;
}
const memory = new WeakMap<Gateway, ScrapeMemory>();

/**
 * A worker that died and was replaced (same slot, new thread) takes its counts with it; the last
 * snapshot a scrape saw of it is kept and added in, so the sums only lose what it counted after
 * that scrape (instead of dropping back).
 */
function retiredWorkers(gw: Gateway, answered: readonly WorkerStatus[]): MetricsSnapshot[] {
  let m = memory.get(gw);
  if (!m) memory.set(gw, (m = { last: new Map(), retired: undefined }));
  for (const w of answered) {
    if (!w.metrics) continue;
    const prev = m.last.get(w.workerId);
    if (prev && prev.threadId !== w.threadId) m.retired = mergeSnapshots(m.retired ? [m.retired, prev.metrics] : [prev.metrics]);
    m.last.set(w.workerId, { threadId: w.threadId, metrics: w.metrics });
  }
  return m.retired ? [m.retired] : [];
}

export async function renderMetrics(gw: Gateway, format: ExpositionFormat): Promise<string> {
  const x = new Exposition(format);
  const status = await gw.workerStatus();
  const answered = status.filter((w): w is WorkerStatus => !('unresponsive' in w));

  // The gateway's own request, upstream and plugin-phase metrics, summed over workers (and over
  // the workers that were replaced, as they were at the last scrape that saw them).
  x.recorded(mergeSnapshots([...answered.flatMap((w) => (w.metrics ? [w.metrics] : [])), ...retiredWorkers(gw, answered)]));

  // Plugin VMs (current generation), one series per plugin and worker.
  const plugins = answered.filter((w) => w.generation === gw.generation.id).flatMap((w) => w.plugins.map((p) => ({ ...p, workerId: w.workerId })));
  const perPlugin = (name: string, type: 'counter' | 'gauge', help: string, value: (s: (typeof plugins)[number]) => number) => {
    x.scalar(name, type, help, ['plugin', 'worker'], plugins.map((s) => [[s.key, String(s.workerId)], value(s)] as const));
  };
  perPlugin('wasmgate_plugin_vm_starts_total', 'counter', 'Plugin VMs started in this generation: the first, restarts and rebuilds (failed starts included).', (s) => s.vmStarts ?? 1);
  perPlugin('wasmgate_plugin_vm_failures_total', 'counter', 'Plugin VMs that failed: traps, deadlines, memory limits, and starts that failed.', (s) => s.vmFailures ?? 0);
  perPlugin('wasmgate_plugin_restarts', 'counter', 'Plugin VMs recreated after a failure.', (s) => s.restarts);
  perPlugin('wasmgate_plugin_rebuilds', 'counter', 'Fresh plugin VMs made because the plugin asked (wasm_need_rebuild).', (s) => s.rebuilds);
  perPlugin('wasmgate_plugin_memory_pages', 'gauge', 'Linear memory of the serving VM, 64 KiB pages.', (s) => s.memoryPages);
  perPlugin('wasmgate_plugin_memory_bytes', 'gauge', 'Linear memory of the serving VM, bytes.', (s) => s.memoryPages * 65536);
  perPlugin('wasmgate_plugin_up', 'gauge', '1 while the plugin has a running VM on that worker.', (s) => (s.state === 'running' ? 1 : 0));

  // Reloads and workers.
  const draining = answered.reduce((n, w) => n + w.draining.length, 0);
  x.scalar('wasmgate_reloads_total', 'counter', 'Successful reloads since start.', [], [[[], gw.reloadCount]]);
  x.scalar('wasmgate_reload_failures_total', 'counter', 'Reload attempts that failed (the previous configuration kept serving).', [], [[[], gw.reloadFailures]]);
  x.scalar('wasmgate_last_reload_success', 'gauge', '1 if the last reload attempt succeeded.', [], [[[], gw.lastReload?.ok ? 1 : 0]]);
  x.scalar('wasmgate_generation', 'gauge', 'Id of the serving configuration generation.', [], [[[], gw.generation.id]]);
  x.scalar('wasmgate_draining_generations', 'gauge', 'Old generations still finishing in-flight requests, summed over workers.', [], [[[], draining]]);
  x.scalar('wasmgate_workers', 'gauge', 'Data-plane worker threads.', [], [[[], gw.workers]]);
  x.scalar('wasmgate_workers_unresponsive', 'gauge', 'Workers that did not answer the status request in time.', [], [[[], status.length - answered.length]]);

  // The plugins' own metrics (proxy_define_metric), process-wide.
  const seen = new Set<string>();
  for (const m of gw.metrics.snapshot()) {
    const n = sanitize(m.name);
    if (seen.has(n)) continue; // the same name defined with two types: the first wins
    seen.add(n);
    const help = `Plugin-defined ${m.type === MetricType.Counter ? 'counter' : m.type === MetricType.Gauge ? 'gauge' : 'histogram'} ${m.name}.`;
    if (m.type === MetricType.Histogram) {
      const buckets = m.buckets ?? [...HISTOGRAM_BUCKETS.map(() => 0), m.count ?? 0];
      x.histogram(n, help, [], HISTOGRAM_BUCKETS, [[[], buckets, m.value, m.count ?? 0]]);
    } else x.scalar(n, m.type === MetricType.Counter ? 'counter' : 'gauge', help, [], [[[], m.value]]);
  }
  return x.text();
}
