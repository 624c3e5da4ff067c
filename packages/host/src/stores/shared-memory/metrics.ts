/**
 * MetricStore across threads. Definitions go through the locked log (the same (type, name) gets
 * the same id in every thread); values live in a BigInt64Array over shared memory, so increment,
 * record and get are single Atomics operations and never take the lock. Same results as
 * InMemoryMetrics: unknown ids ⇒ NotFound, counters refuse deltas ≤ 0, histograms refuse increment
 * and get.
 *
 * Values are 64-bit two's complement: counters and histogram sums read as u64, gauges as i64 (a
 * gauge taken below zero reads negative, as it does in memory). proxy_get_metric writes u64 either
 * way. Histograms keep sum, count and per-bucket counts (HISTOGRAM_BUCKETS, Atomics.add on an
 * Int32Array) in shared memory; samples stay with the thread that recorded them (snapshot() shows
 * this thread's last 1024), because a shared sample ring would need the lock on every record.
 */
import { MetricType, WasmResult } from '../../abi/constants.js';
import { utf8Encode } from '../../abi/utf8.js';
import { HISTOGRAM_BUCKETS, histogramBucket, type MetricSnapshot, type MetricStore } from '../metrics.js';
import { CTL_NEXT_METRIC, KIND_METRIC, METRIC_BUCKETS, metricCapacity, type SharedStateHandle } from './layout.js';
import type { SharedLog } from './log.js';

const EMPTY = new Uint8Array(0);
const MAX_SAMPLES = 1024;

export class SharedMemoryMetrics implements MetricStore {
  readonly #log: SharedLog;
  readonly #values: BigInt64Array;
  readonly #types: Int32Array;
  readonly #buckets: Int32Array | undefined;
  readonly #capacity: number;
  readonly #samples = new Map<number, bigint[]>();

  constructor(log: SharedLog, handle: SharedStateHandle) {
    this.#log = log;
    this.#values = new BigInt64Array(handle.metricValues);
    this.#types = new Int32Array(handle.metricTypes);
    this.#buckets = handle.metricBuckets ? new Int32Array(handle.metricBuckets) : undefined;
    this.#capacity = metricCapacity(handle);
  }

  /**
   * The id of (type, name), defining it if needed. Returns 0 (never an id) when all `metricCapacity`
   * ids are taken or the definition cannot fit in the log; proxy_define_metric answers
   * InternalFailure then.
   */
  define(type: MetricType, name: string): number {
    const log = this.#log;
    const key = `${type}\0${name}`;
    // Definitions are never removed, so one this thread has seen can be answered without the lock.
    const known = log.index.metricIds.get(key);
    if (known !== undefined) return known;
    const nameBytes = utf8Encode(name);
    log.lock();
    try {
      const found = log.index.metricIds.get(key);
      if (found !== undefined) return found;
      const id = log.peek(CTL_NEXT_METRIC);
      if (id > this.#capacity) return 0;
      log.take(CTL_NEXT_METRIC);
      // The type goes in first: once another thread can learn the id, it must find the metric.
      Atomics.store(this.#types, id, type + 1);
      const off = log.append(KIND_METRIC, id, type, nameBytes, EMPTY);
      if (off < 0) {
        // Still under the lock: nobody saw this id, hand it back.
        Atomics.store(this.#types, id, 0);
        log.put(CTL_NEXT_METRIC, id);
        return 0;
      }
      log.index.putMetric(id, type, name, off);
      return id;
    } finally {
      log.unlock();
    }
  }

  increment(id: number, delta: bigint): WasmResult {
    const t = this.#type(id);
    if (t < 0) return WasmResult.NotFound;
    if (t === MetricType.Histogram) return WasmResult.BadArgument;
    if (t === MetricType.Counter && delta <= 0n) return WasmResult.BadArgument;
    Atomics.add(this.#values, id * 2, delta);
    return WasmResult.Ok;
  }

  record(id: number, value: bigint): WasmResult {
    const t = this.#type(id);
    if (t < 0) return WasmResult.NotFound;
    if (t === MetricType.Counter) Atomics.add(this.#values, id * 2, value);
    else if (t === MetricType.Gauge) Atomics.store(this.#values, id * 2, value);
    else {
      Atomics.add(this.#values, id * 2, value);
      Atomics.add(this.#values, id * 2 + 1, 1n);
      if (this.#buckets) Atomics.add(this.#buckets, id * METRIC_BUCKETS + histogramBucket(value), 1);
      let s = this.#samples.get(id);
      if (!s) this.#samples.set(id, (s = []));
      s.push(value);
      if (s.length > MAX_SAMPLES) s.shift();
    }
    return WasmResult.Ok;
  }

  get(id: number): bigint | WasmResult {
    const t = this.#type(id);
    if (t < 0) return WasmResult.NotFound;
    if (t === MetricType.Histogram) return WasmResult.BadArgument;
    return this.#value(id, t);
  }

  /** Every metric of the process, by id; histogram samples are this thread's own. */
  snapshot(): MetricSnapshot[] {
    const log = this.#log;
    log.lock();
    let defs;
    try {
      defs = [...log.index.metrics.values()];
    } finally {
      log.unlock();
    }
    return defs.sort((a, b) => a.id - b.id).map(({ id, name, type }) => {
      const t = type as MetricType;
      if (t !== MetricType.Histogram) return { id, name, type: t, value: this.#value(id, t) };
      const count = Number(Atomics.load(this.#values, id * 2 + 1));
      const b = this.#buckets;
      const buckets = b ? Array.from({ length: HISTOGRAM_BUCKETS.length + 1 }, (_, i) => Atomics.load(b, id * METRIC_BUCKETS + i)) : undefined;
      return { id, name, type: t, value: this.#value(id, t), samples: [...(this.#samples.get(id) ?? [])], count, ...(buckets ? { buckets } : {}) };
    });
  }

  #type(id: number): number {
    if (!Number.isInteger(id) || id < 1 || id > this.#capacity) return -1;
    return Atomics.load(this.#types, id) - 1;
  }

  #value(id: number, t: number): bigint {
    const v = Atomics.load(this.#values, id * 2);
    return t === MetricType.Gauge ? v : BigInt.asUintN(64, v);
  }
}
