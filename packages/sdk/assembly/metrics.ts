// Metrics: counters, gauges and histograms defined by name; the handle keeps the host's metric id.

import * as abi from "./imports";
import { OUT_WORD, ptrOf, utf8 } from "./memory";

export class Metric {
  constructor(public id: u32, public name: string) {}
  /** Counters: add (delta > 0); gauges: add or subtract. */
  increment(delta: i64 = 1): void { abi.proxy_increment_metric(this.id, delta); }
  /** Gauges: set; histograms: record a sample; counters: add. */
  record(value: u64): void { abi.proxy_record_metric(this.id, value); }
  get(): u64 {
    store<u64>(OUT_WORD, 0);
    abi.proxy_get_metric(this.id, OUT_WORD);
    return load<u64>(OUT_WORD);
  }
}

function define(type: u32, name: string): Metric {
  const n = utf8(name);
  store<u32>(OUT_WORD, 0);
  abi.proxy_define_metric(type, ptrOf(n), n.byteLength, OUT_WORD);
  return new Metric(load<u32>(OUT_WORD), name);
}

export function defineCounter(name: string): Metric { return define(0, name); }
export function defineGauge(name: string): Metric { return define(1, name); }
export function defineHistogram(name: string): Metric { return define(2, name); }
