/**
 * The gateway's own metrics (requests, latencies, bytes, upstream failures, plugin phase time).
 * Each worker records into its own `MetricsRecorder` (plain JS numbers, no locks, no messages);
 * the supervisor pulls every worker's `snapshot()` with the status request at scrape time and adds
 * them up (see RATIONALE.md, "Gateway metrics: per-worker recorders pulled at scrape time").
 * Every label value is bounded: route, cluster and plugin names from the configuration, phases and
 * classes from fixed lists — never a path.
 */

/** Request and upstream latency buckets, seconds. */
export const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Time inside one plugin callback, seconds (10 µs … 1 s). */
export const PLUGIN_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.25, 1] as const;

export interface FamilyDef {
  readonly name: string;
  readonly type: 'counter' | 'histogram';
  readonly help: string;
  readonly labels: readonly string[];
  readonly buckets?: readonly number[];
}

/** Every family a worker records, in exposition order. */
export const FAMILIES = {
  requests: { name: 'wasmgate_requests_total', type: 'counter', help: 'Requests answered, by route, cluster, method class and status class.', labels: ['route', 'cluster', 'method', 'status_class'] },
  requestDuration: { name: 'wasmgate_request_duration_seconds', type: 'histogram', help: 'Time from the request arriving to the response ending (or the stream being reset).', labels: ['route', 'cluster'], buckets: REQUEST_BUCKETS },
  upstreamDuration: { name: 'wasmgate_upstream_duration_seconds', type: 'histogram', help: 'Time from sending the request upstream to the upstream response headers.', labels: ['route', 'cluster'], buckets: REQUEST_BUCKETS },
  bytesIn: { name: 'wasmgate_request_bytes_total', type: 'counter', help: 'Request body bytes received from clients.', labels: ['route'] },
  bytesOut: { name: 'wasmgate_response_bytes_total', type: 'counter', help: 'Response body bytes sent to clients.', labels: ['route'] },
  connectFailures: { name: 'wasmgate_upstream_connect_failures_total', type: 'counter', help: 'Upstream requests that failed before a response: connection refused, reset or closed.', labels: ['cluster'] },
  timeouts: { name: 'wasmgate_upstream_timeouts_total', type: 'counter', help: 'Upstream requests that timed out (upstreamTimeoutMs).', labels: ['cluster'] },
  pluginPhase: { name: 'wasmgate_plugin_phase_duration_seconds', type: 'histogram', help: "Time inside one plugin's callback, by plugin and phase (log = proxy_on_log with done and delete).", labels: ['plugin', 'phase'], buckets: PLUGIN_BUCKETS },
} as const satisfies Record<string, FamilyDef>;

type FamilyKey = keyof typeof FAMILIES;

/** One worker's values: per family, series as [label values, value] or [label values, bucket counts (non-cumulative, +Inf last), sum, count]. */
export interface MetricsSnapshot {
  readonly counters: { [k: string]: [string[], number][] };
  readonly histograms: { [k: string]: [string[], number[], number, number][] };
}

/** Adds one observation to a histogram series whose family has `buckets`. */
export function observeIn(h: Hist, buckets: readonly number[], value: number): void {
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i++;
  h.counts[i]!++;
  h.sum += value;
  h.count++;
}

export interface Hist {
  readonly labels: string[];
  readonly counts: number[];
  sum: number;
  count: number;
}

const SEP = '\u0001';

/** One counter series: its label values and its value. */
export type CounterSeries = [labels: string[], value: number];

export class MetricsRecorder {
  readonly #counters = new Map<FamilyKey, Map<string, CounterSeries>>();
  readonly #histograms = new Map<FamilyKey, Map<string, Hist>>();

  add(family: FamilyKey, labels: string[], delta = 1): void {
    this.counter(family, labels)[1] += delta;
  }

  /** The series of a counter family for `labels` as [labels, value], created at 0 if needed (hot paths keep it and add to [1]). */
  counter(family: FamilyKey, labels: string[]): CounterSeries {
    let m = this.#counters.get(family);
    if (!m) this.#counters.set(family, (m = new Map()));
    const key = labels.join(SEP);
    let s = m.get(key);
    if (!s) m.set(key, (s = [labels, 0]));
    return s;
  }

  /** Records `value` (seconds) in a histogram family. */
  observe(family: FamilyKey, labels: string[], value: number): void {
    observeIn(this.histogram(family, labels), (FAMILIES[family] as FamilyDef).buckets!, value);
  }

  /** The series of a histogram family for `labels`, created empty if needed (hot paths keep it: see observeIn). */
  histogram(family: FamilyKey, labels: string[]): Hist {
    let m = this.#histograms.get(family);
    if (!m) this.#histograms.set(family, (m = new Map()));
    const key = labels.join(SEP);
    let h = m.get(key);
    if (!h) m.set(key, (h = { labels, counts: new Array<number>((FAMILIES[family] as FamilyDef).buckets!.length + 1).fill(0), sum: 0, count: 0 }));
    return h;
  }

  snapshot(): MetricsSnapshot {
    const counters: MetricsSnapshot['counters'] = {};
    for (const [k, m] of this.#counters) counters[k] = [...m.values()].map(([l, v]) => [l, v]);
    const histograms: MetricsSnapshot['histograms'] = {};
    for (const [k, m] of this.#histograms) histograms[k] = [...m.values()].map((h) => [h.labels, [...h.counts], h.sum, h.count]);
    return { counters, histograms };
  }
}

/** The `method` label values; {@link methodIndex} gives a method's. */
export const METHOD_CLASSES = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'other'] as const;
/** The `status_class` label values; {@link statusIndex} gives a status's. */
export const STATUS_CLASSES = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Index in METHOD_CLASSES: GET/HEAD/POST/PUT/DELETE, or `other`. */
export function methodIndex(method: string | undefined): number {
  switch (method) {
    case 'GET': return 0;
    case 'HEAD': return 1;
    case 'POST': return 2;
    case 'PUT': return 3;
    case 'DELETE': return 4;
    default: return 5;
  }
}

/** Index in STATUS_CLASSES: 1xx…5xx; `none` when no response was sent (client gone, stream reset before headers). */
export function statusIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
}

// ---- supervisor side: merge and render ------------------------------------------------------------

/** Sums the snapshots of every worker. */
export function mergeSnapshots(snaps: readonly MetricsSnapshot[]): MetricsSnapshot {
  const counters = new Map<string, Map<string, [string[], number]>>();
  const histograms = new Map<string, Map<string, [string[], number[], number, number]>>();
  for (const s of snaps) {
    for (const [fam, series] of Object.entries(s.counters)) {
      let m = counters.get(fam);
      if (!m) counters.set(fam, (m = new Map()));
      for (const [labels, v] of series) {
        const key = labels.join(SEP);
        const t = m.get(key);
        if (t) t[1] += v;
        else m.set(key, [labels, v]);
      }
    }
    for (const [fam, series] of Object.entries(s.histograms)) {
      let m = histograms.get(fam);
      if (!m) histograms.set(fam, (m = new Map()));
      for (const [labels, counts, sum, count] of series) {
        const key = labels.join(SEP);
        const t = m.get(key);
        if (!t) m.set(key, [labels, [...counts], sum, count]);
        else {
          counts.forEach((c, i) => (t[1][i] = (t[1][i] ?? 0) + c));
          t[2] += sum;
          t[3] += count;
        }
      }
    }
  }
  return {
    counters: Object.fromEntries([...counters].map(([k, m]) => [k, [...m.values()]])),
    histograms: Object.fromEntries([...histograms].map(([k, m]) => [k, [...m.values()]])),
  };
}

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Escapes a label value (text format 0.0.4 and OpenMetrics agree). */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[], extra?: string): string {
  const parts = names.map((n, i) => `${n}="${labelValue(values[i] ?? '')}"`);
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function fmt(n: number): string {
  return n === Infinity ? '+Inf' : String(n);
}

/**
 * Writes families in the chosen format. Lines are pushed onto `out`. In OpenMetrics a counter
 * family is named without `_total` and its samples carry it.
 */
export class Exposition {
  readonly #out: string[] = [];
  readonly format: ExpositionFormat;

  constructor(format: ExpositionFormat) {
    this.format = format;
  }

  #header(name: string, type: string, help: string): string {
    const family = this.format === 'openmetrics' && type === 'counter' ? name.replace(/_total$/, '') : name;
    this.#out.push(`# HELP ${family} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${family} ${type}`);
    return family;
  }

  #sampleName(name: string, type: string): string {
    if (type !== 'counter') return name;
    return this.format === 'openmetrics' && !name.endsWith('_total') ? `${name}_total` : name;
  }

  /** A counter or gauge family with its series. */
  scalar(name: string, type: 'counter' | 'gauge', help: string, labelNames: readonly string[], series: readonly (readonly [readonly string[], number | bigint])[]): void {
    this.#header(name, type, help);
    const sample = this.#sampleName(name, type);
    for (const [values, v] of series) this.#out.push(`${sample}${labelText(labelNames, values)} ${typeof v === 'bigint' ? v.toString() : fmt(v)}`);
  }

  /** A histogram family; `counts` are per bucket (not cumulative) with +Inf last. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], series: readonly (readonly [readonly string[], readonly number[], number | bigint, number | bigint])[]): void {
    this.#header(name, 'histogram', help);
    for (const [values, counts, sum, count] of series) {
      let acc = 0;
      for (let i = 0; i <= buckets.length; i++) {
        acc += counts[i] ?? 0;
        this.#out.push(`${name}_bucket${labelText(labelNames, values, `le="${fmt(i < buckets.length ? buckets[i]! : Infinity)}"`)} ${acc}`);
      }
      this.#out.push(`${name}_sum${labelText(labelNames, values)} ${String(sum)}`, `${name}_count${labelText(labelNames, values)} ${String(count)}`);
    }
  }

  /** Every family of the gateway's own recorders, zero series included for the families nobody recorded. */
  recorded(snap: MetricsSnapshot): void {
    for (const [key, def] of Object.entries(FAMILIES) as [FamilyKey, FamilyDef][]) {
      if (def.type === 'counter') this.scalar(def.name, 'counter', def.help, def.labels, snap.counters[key] ?? []);
      else this.histogram(def.name, def.help, def.labels, def.buckets!, snap.histograms[key] ?? []);
    }
  }

  text(): string {
    if (this.format === 'openmetrics') this.#out.push('# EOF');
    return `${this.#out.join('\n')}\n`;
  }
}
