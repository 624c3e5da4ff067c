/**
 * HostPorts for tests: a manual virtual clock (time moves only with `advance`), recorded logs,
 * deterministic randomness, and scriptable HTTP / Redis / property / upstream ports.
 */
import {
  InMemoryMetrics,
  InMemorySharedData,
  InMemorySharedQueues,
  utf8Decode,
  type DispatchError,
  type ForeignFunction,
  type HeaderPair,
  type HostPorts,
  type HttpCallRequest,
  type HttpCallResponse,
  type LogLevel,
  type LogRecord,
  type PropertyValue,
  type RedisInitRequest,
} from '@wasmgate/host';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Virtual time. Timers fire only inside `advance`, in due order (ties: scheduling order). */
export class VirtualClock {
  /** Wall clock at virtual time 0, in ns since the epoch (2023-11-14T22:13:20Z). */
  static readonly WALL_BASE_NS = 1_700_000_000_000_000_000n;
  /** Monotonic clock at virtual time 0, in ns. */
  static readonly MONO_BASE_NS = 5_000_000_000n;
  #nowMs = 0;
  #seq = 0;
  #timers: Timer[] = [];

  get nowMs(): number {
    return this.#nowMs;
  }

  nowNanos(): bigint {
    return VirtualClock.WALL_BASE_NS + BigInt(this.#nowMs) * 1_000_000n;
  }

  monotonicNanos(): bigint {
    return VirtualClock.MONO_BASE_NS + BigInt(this.#nowMs) * 1_000_000n;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t: Timer = { at: this.#nowMs + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (also ones scheduled meanwhile). */
  advance(ms: number): void {
    const end = this.#nowMs + ms;
    for (;;) {
      this.#timers = this.#timers.filter((t) => !t.cancelled);
      let next: Timer | undefined;
      for (const t of this.#timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#nowMs = next.at;
      next.fn();
    }
    this.#nowMs = end;
  }
}

/** A pending HTTP call: resolve/reject it to deliver proxy_on_http_call_response. */
export interface RecordedHttpCall {
  readonly req: HttpCallRequest;
  resolve(res: HttpCallResponse): void;
  reject(reason?: unknown): void;
}

export interface RecordedRedisCall {
  readonly cluster: string;
  readonly query: string;
  readonly plugin: string;
  resolve(reply: Uint8Array | string): void;
  reject(reason?: unknown): void;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e?: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejected call nobody awaits must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Deterministic xorshift32 bytes (WASI random_get). */
function fillRandom(state: { s: number }, into: Uint8Array): void {
  for (let i = 0; i < into.length; i++) {
    let x = state.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    state.s = x >>> 0;
    into[i] = state.s & 0xff;
  }
}

export class TestPorts implements HostPorts {
  readonly clock = new VirtualClock();
  readonly logs: LogRecord[] = [];
  level: LogLevel = 0;
  readonly sharedData = new InMemorySharedData();
  readonly sharedQueues = new InMemorySharedQueues();
  readonly metrics = new InMemoryMetrics();
  readonly foreignFunctions = new Map<string, ForeignFunction>();
  /** Node-wide properties by path joined with '.'. */
  readonly properties = new Map<string, PropertyValue>();
  readonly upstreams = new Map<string, HeaderPair[]>();
  readonly httpCalls: RecordedHttpCall[] = [];
  readonly redisInits: RedisInitRequest[] = [];
  readonly redisCalls: RecordedRedisCall[] = [];
  /** Clusters the HTTP and Redis ports know; others answer 'unknown_cluster'. Empty = all known. */
  readonly knownClusters = new Set<string>();
  /** Clusters whose dispatch fails synchronously ('failed'). */
  readonly failingClusters = new Set<string>();
  readonly #rand = { s: 0x9e3779b9 };

  nowNanos = (): bigint => this.clock.nowNanos();
  monotonicNanos = (): bigint => this.clock.monotonicNanos();
  setTimer = (ms: number, fn: () => void): (() => void) => this.clock.setTimer(ms, fn);
  randomBytes = (into: Uint8Array): void => fillRandom(this.#rand, into);
  log = (record: LogRecord): void => {
    this.logs.push(record);
  };
  logLevel = (): LogLevel => this.level;

  #dispatch(cluster: string): DispatchError | undefined {
    const name = cluster.split('?')[0] ?? cluster;
    if (this.failingClusters.has(name)) return 'failed';
    if (this.knownClusters.size > 0 && !this.knownClusters.has(name)) return 'unknown_cluster';
    return undefined;
  }

  httpCall?: HostPorts['httpCall'] = (req) => {
    const err = this.#dispatch(req.cluster);
    if (err) return err;
    const d = deferred<HttpCallResponse>();
    this.httpCalls.push({ req, resolve: d.resolve, reject: d.reject });
    return d.promise;
  };

  redisInit?: HostPorts['redisInit'] = (req) => {
    const err = this.#dispatch(req.cluster);
    if (err) return err;
    this.redisInits.push(req);
    return 'ok';
  };

  redisCall?: HostPorts['redisCall'] = (cluster, query, plugin) => {
    const err = this.#dispatch(cluster);
    if (err) return err;
    const d = deferred<Uint8Array>();
    this.redisCalls.push({
      cluster, query: utf8Decode(query), plugin,
      resolve: (r) => d.resolve(typeof r === 'string' ? new TextEncoder().encode(r) : r),
      reject: d.reject,
    });
    return d.promise;
  };

  property?: HostPorts['property'] = (path) => this.properties.get(path.join('.'));

  upstreamHosts?: HostPorts['upstreamHosts'] = (cluster) => this.upstreams.get(cluster);

  /** Messages logged (optionally only from one source / at one level). */
  messages(filter: { source?: LogRecord['source']; level?: LogLevel } = {}): string[] {
    return this.logs
      .filter((r) => (filter.source === undefined || r.source === filter.source) && (filter.level === undefined || r.level === filter.level))
      .map((r) => r.message);
  }

  /** Host-bug lines (a hostcall threw a JavaScript exception): must stay empty in every test. */
  hostBugs(): string[] {
    return this.logs.filter((r) => r.source === 'host' && r.message.startsWith('host error in ')).map((r) => r.message);
  }
}

/** Lets queued promise callbacks and microtasks run (callout answers, queue-ready events). */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
