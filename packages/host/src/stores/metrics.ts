/**
 * Plugin metrics (proxy_define/increment/record/get_metric). One store per gateway so the admin
 * listener can expose every plugin's metrics in Prometheus text format. Defining the same
 * (type, name) twice returns the same id, as Envoy does.
 */
import { MetricType, WasmResult } from '../abi/constants.js';

export interface MetricSnapshot {
  readonly id: number;
  readonly name: string;
  readonly type: MetricType;
  /** Counter or gauge value; for histograms the sum of samples. */
  readonly value: bigint;
  /** Histogram samples (bounded; oldest dropped). */
  readonly samples?: readonly bigint[];
  readonly count?: number;
  /** Histogram observations per bucket of {@link HISTOGRAM_BUCKETS} (not cumulative), the +Inf bucket last. */
  readonly buckets?: readonly number[];
}

/**
 * Upper bounds of the buckets every plugin histogram is counted in: Envoy's default histogram
 * buckets, since plugins written for Envoy record in the units Envoy's buckets suit.
 */
export const HISTOGRAM_BUCKETS: readonly number[] = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** The bucket (index into HISTOGRAM_BUCKETS, or its length for +Inf) an observation falls in. */
export function histogramBucket(value: bigint): number {
  let i = 0;
  while (i < HISTOGRAM_BUCKETS.length && value > HISTOGRAM_BUCKETS[i]!) i++;
  return i;
}

export interface MetricStore {
  /** The metric's id (never 0), or 0 when a bounded store has no room (the hostcall answers InternalFailure). */
  define(type: MetricType, name: string): number;
  increment(id: number, delta: bigint): WasmResult;
  record(id: number, value: bigint): WasmResult;
  get(id: number): bigint | WasmResult;
  snapshot(): MetricSnapshot[];
}

interface Metric {
  id: number;
  name: string;
  type: MetricType;
  value: bigint;
  count: number;
  samples: bigint[];
  buckets: number[];
}

const MAX_SAMPLES = 1024;

export class InMemoryMetrics implements MetricStore {
  readonly #byKey = new Map<string, Metric>();
  readonly #byId = new Map<number, Metric>();
  #nextId = 1;

  define(type: MetricType, name: string): number {
    const key = `${type}\0${name}`;
    const found = this.#byKey.get(key);
    if (found) return found.id;
    const m: Metric = { id: this.#nextId++, name, type, value: 0n, count: 0, samples: [], buckets: new Array<number>(HISTOGRAM_BUCKETS.length + 1).fill(0) };
    this.#byKey.set(key, m);
    this.#byId.set(m.id, m);
    return m.id;
  }

  increment(id: number, delta: bigint): WasmResult {
    const m = this.#byId.get(id);
    if (!m) return WasmResult.NotFound;
    if (m.type === MetricType.Histogram) return WasmResult.BadArgument;
    if (m.type === MetricType.Counter && delta <= 0n) return WasmResult.BadArgument;
    m.value += delta;
    return WasmResult.Ok;
  }

  record(id: number, value: bigint): WasmResult {
    const m = this.#byId.get(id);
    if (!m) return WasmResult.NotFound;
    if (m.type === MetricType.Counter) m.value += value;
    else if (m.type === MetricType.Gauge) m.value = value;
    else {
      m.value += value;
      m.count++;
      m.buckets[histogramBucket(value)]!++;
      m.samples.push(value);
      if (m.samples.length > MAX_SAMPLES) m.samples.shift();
    }
    return WasmResult.Ok;
  }

  get(id: number): bigint | WasmResult {
    const m = this.#byId.get(id);
    if (!m) return WasmResult.NotFound;
    if (m.type === MetricType.Histogram) return WasmResult.BadArgument;
    return m.value;
  }

  snapshot(): MetricSnapshot[] {
    return [...this.#byId.values()].map((m) =>
      m.type === MetricType.Histogram
        ? { id: m.id, name: m.name, type: m.type, value: m.value, samples: [...m.samples], count: m.count, buckets: [...m.buckets] }
        : { id: m.id, name: m.name, type: m.type, value: m.value },
    );
  }
}
