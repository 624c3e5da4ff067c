/**
 * TestPlugin: a loaded, configured plugin (plus any chain plugins) with everything a test inspects
 * or scripts around it: streams, the virtual clock, logs, metrics, shared data, HTTP and Redis
 * interceptors. Created by {@link loadPlugin}.
 * @module
 */
import {
  MetricType, WasmgateError,
  type ChainFilter, type HostPorts, type LogLevelName, type PluginVm, type RootContext,
} from '@wasmgate/host';
import type { MockGrpc } from './mock-grpc.js';
import type { MockHttp } from './mock-http.js';
import type { MockRedis } from './mock-redis.js';
import type { LogEntry, RecordedLog } from './recorded-log.js';
import { SharedDataView } from './shared-data-view.js';
import type { PropertyLayer } from './stream-properties.js';
import { TestStream, type StreamEnv, type TestStreamOptions } from './test-stream.js';
import { flushMicrotasks, type VirtualClock } from './virtual-clock.js';

/** A metric's value: a number for counters and gauges, the recorded samples for a histogram. */
export type MetricValue = number | number[];

/** @internal */
export interface PluginParts {
  readonly clock: VirtualClock;
  readonly log: RecordedLog;
  readonly http: MockHttp;
  readonly redis: MockRedis;
  readonly grpc: MockGrpc;
  readonly ports: HostPorts;
  readonly filters: readonly ChainFilter[];
  readonly mainIndex: number;
  readonly properties: PropertyLayer;
  readonly harnessErrors: WasmgateError[];
}

/**
 * A plugin under test. Everything it can observe or be told is reachable from here; close it when
 * the test ends (unexpected calls it made are thrown then).
 * @example
 * const plugin = await loadPlugin('plugin.wasm', { config: { calloutCluster: 'auth' } });
 * after(() => plugin.close());
 * plugin.http.intercept({ cluster: 'auth' }).reply(200, 'ok');
 * const s = plugin.stream();
 * s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'x' }, { endStream: true });
 * await s.settle();
 * assert.deepEqual(plugin.metrics(), { requests_total: 1 });
 */
export class TestPlugin {
  /** Plugin name (property plugin_name). */
  readonly name: string;
  /** Virtual time: `await plugin.clock.advance(ms)` runs ticks, delayed replies and timeouts. */
  readonly clock: VirtualClock;
  /** Scripted answers to proxy_http_call, and the calls made. */
  readonly http: MockHttp;
  /** Scripted answers to proxy_redis_call, and the calls made. */
  readonly redis: MockRedis;
  /** Scripted answers to proxy_grpc_call / proxy_grpc_stream, and the calls made. */
  readonly grpc: MockGrpc;
  /** The plugin's shared data (its vm_id's keys). */
  readonly sharedData: SharedDataView;
  /** Escape hatch: the host VM running the plugin (for assertions the harness does not cover). */
  readonly vm: PluginVm;
  /** Escape hatch: the plugin's root context. */
  readonly root: RootContext;
  readonly #p: PluginParts;
  readonly #open = new Set<TestStream>();
  readonly #reported = new Set<WasmgateError>();
  #progress = 0;
  #closed = false;

  /** @internal */
  constructor(p: PluginParts) {
    const main = p.filters[p.mainIndex]!;
    this.#p = p;
    this.name = main.name;
    this.clock = p.clock;
    this.http = p.http;
    this.redis = p.redis;
    this.grpc = p.grpc;
    this.vm = main.vm;
    this.root = main.root;
    this.sharedData = new SharedDataView(p.ports.sharedData, main.vm.vmId);
  }

  /**
   * Starts a new HTTP exchange through the plugin (and its chain).
   * @example
   * const s = plugin.stream();
   * s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'example.com' }, { endStream: true });
   * s.respond(200, { body: 'ok' });
   * s.end();
   */
  stream(opts?: TestStreamOptions): TestStream {
    this.#assertOpen();
    const s = new TestStream(this.#env(), opts);
    this.#open.add(s);
    return s;
  }

  /** Every log line so far (all levels: the harness logs at trace unless loadPlugin says otherwise). */
  get logs(): readonly LogEntry[] {
    return this.#p.log.entries;
  }

  /** Messages logged at exactly `level`, in order. */
  logsAt(level: LogLevelName): string[] {
    return this.#p.log.at(level);
  }

  clearLogs(): void {
    this.#p.log.clear();
  }

  /**
   * Every metric the plugins defined, by name: counters and gauges as numbers, histograms as the
   * list of recorded samples.
   */
  metrics(): Record<string, MetricValue> {
    const out: Record<string, MetricValue> = {};
    for (const m of this.#p.ports.metrics.snapshot()) {
      out[m.name] = m.type === MetricType.Histogram ? (m.samples ?? []).map(Number) : Number(m.value);
    }
    return out;
  }

  /** The VM's sticky failure (a trap, abort or proc_exit), with the plugin's last log lines in `details`. */
  get failure(): WasmgateError | undefined {
    return this.vm.failure;
  }

  /** Harness errors recorded so far (unmatched calls, throwing replyWith functions). */
  get errors(): readonly WasmgateError[] {
    return this.#p.harnessErrors;
  }

  /** Lets pending callout answers reach the plugins (promise callbacks only; never a real sleep). */
  settle(): Promise<void> {
    return flushMicrotasks(() => this.#progress + this.#p.http.progress + this.#p.redis.progress + this.#p.grpc.progress + this.#p.log.count);
  }

  /** Throws the first harness error not thrown yet (WG_HARNESS_UNMATCHED_HTTP_CALL …). */
  assertNoUnexpectedCalls(): void {
    const next = this.#p.harnessErrors.find((e) => !this.#reported.has(e));
    if (!next) return;
    for (const e of this.#p.harnessErrors) this.#reported.add(e);
    throw next;
  }

  /**
   * Ends streams left open, tears the plugins down (proxy_on_done/proxy_on_delete on each root),
   * stops every timer, then throws any unexpected call not thrown yet. Call it in `after()`/`afterEach()`.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#open) s.abandon();
    this.#open.clear();
    for (const f of this.#p.filters) f.vm.dispose();
    this.#p.clock.cancelAll();
    this.#p.http.clear();
    this.#p.redis.clear();
    this.#p.grpc.clear();
    this.assertNoUnexpectedCalls();
  }

  #assertOpen(): void {
    if (this.#closed) throw new WasmgateError('WG_HARNESS_CLOSED', `plugin ${this.name} was used after close()`);
  }

  /** Streams opened so far: each is its own downstream connection (`connection.id`). */
  #connections = 0;

  #env(): StreamEnv {
    return {
      filters: this.#p.filters,
      mainIndex: this.#p.mainIndex,
      properties: this.#p.properties,
      clock: this.#p.clock,
      logsFor: (ids) => this.#p.log.forContexts(ids),
      assertOpen: () => this.#assertOpen(),
      bump: () => void this.#progress++,
      settle: () => this.settle(),
      throwUnexpected: () => this.assertNoUnexpectedCalls(),
      finished: (s) => void this.#open.delete(s),
      nextConnectionId: () => BigInt(++this.#connections),
    };
  }
}
