/**
 * The HostPorts a test plugin runs against: the virtual clock, the recorded log, scripted HTTP,
 * gRPC and Redis upstreams, in-memory stores and seeded randomness. Nothing here touches the network, the
 * real clock or the console, so a test behaves the same on every run.
 * @module
 */
import {
  InMemoryMetrics, InMemorySharedData, InMemorySharedQueues, LogLevel,
  type ForeignFunction, type HostPorts, type LogLevelName, type PropertyValue,
} from '@wasmgate/host';
import type { MockGrpc } from './mock-grpc.js';
import type { MockHttp } from './mock-http.js';
import type { MockRedis } from './mock-redis.js';
import type { RecordedLog } from './recorded-log.js';
import type { VirtualClock } from './virtual-clock.js';

/** @internal */
export interface PortsParts {
  readonly clock: VirtualClock;
  readonly log: RecordedLog;
  readonly http: MockHttp;
  readonly redis: MockRedis;
  readonly grpc: MockGrpc;
  readonly logLevel: LogLevelName;
  /** Node-wide properties (visible from root contexts too). */
  readonly property: (path: readonly string[]) => PropertyValue | undefined;
  readonly foreignFunctions: ReadonlyMap<string, ForeignFunction> | undefined;
  readonly seed: number;
}

/** @internal */
export function harnessPorts(p: PortsParts): HostPorts {
  const next = seededRandom(p.seed);
  return {
    nowNanos: () => p.clock.nowNanos(),
    monotonicNanos: () => p.clock.monotonicNanos(),
    setTimer: (ms, fn) => p.clock.setTimer(ms, fn),
    randomBytes: (into) => {
      for (let i = 0; i < into.length; i++) into[i] = next() & 0xff;
    },
    log: (r) => p.log.record(r),
    logLevel: () => LogLevel[p.logLevel],
    httpCall: (req) => p.http.dispatch(req),
    grpcCall: (req, events) => p.grpc.dispatch('unary', req, events),
    grpcStream: (req, events) => p.grpc.dispatch('stream', req, events),
    redisInit: (req) => p.redis.init(req),
    redisCall: (cluster, query, plugin) => p.redis.dispatch(cluster, query, plugin),
    property: p.property,
    sharedData: new InMemorySharedData(),
    sharedQueues: new InMemorySharedQueues(),
    metrics: new InMemoryMetrics(),
    ...(p.foreignFunctions && { foreignFunctions: p.foreignFunctions }),
  };
}

/**
 * Marsaglia's xorshift32, seeded. Randomness in a unit test should repeat run after run (Go's
 * runtime seeds its map hashing from WASI random_get, for one), so the harness never uses real
 * entropy; statistical quality does not matter here.
 */
function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9; // xorshift never leaves 0
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
