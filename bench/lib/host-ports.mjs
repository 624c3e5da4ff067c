// Minimal HostPorts for in-process benchmarks: no timers fire, logs go nowhere (errors are kept so a
// broken fixture is noticed), shared stores are the host's in-memory ones.
import { host } from './host.mjs';

const { InMemoryMetrics, InMemorySharedData, InMemorySharedQueues, LogLevel } = host;

export function benchPorts() {
  const errors = [];
  return {
    errors,
    nowNanos: () => BigInt(Date.now()) * 1_000_000n,
    monotonicNanos: () => process.hrtime.bigint(),
    setTimer: () => () => {},
    randomBytes: (into) => { for (let i = 0; i < into.length; i++) into[i] = (Math.random() * 256) | 0; },
    log: (r) => { if (r.level >= LogLevel.error) errors.push(r.message); },
    logLevel: () => LogLevel.warn,
    sharedData: new InMemorySharedData(),
    sharedQueues: new InMemorySharedQueues(),
    metrics: new InMemoryMetrics(),
  };
}
