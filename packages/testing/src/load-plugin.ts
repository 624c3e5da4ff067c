/**
 * loadPlugin: the harness's entry point. Reads and compiles a `.wasm` (any toolchain the host runs),
 * starts it against harness ports, creates its root context with the given configuration and
 * returns a {@link TestPlugin}. Compiled modules are cached per file, so a test file that loads the
 * same plugin in every test pays for compilation once.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compilePlugin, PluginVm, WasmgateError,
  type ChainFilter, type FailStrategy, type ForeignFunction, type LogLevelName, type PluginModule,
} from '@wasmgate/host';
import './errors.js';
import { harnessPorts } from './harness-ports.js';
import { configBytes, type PropertyInput } from './input.js';
import { MockGrpc } from './mock-grpc.js';
import { MockHttp, type MockDeps } from './mock-http.js';
import { MockRedis } from './mock-redis.js';
import { RecordedLog, type LogEntry } from './recorded-log.js';
import { nodePropertyFn, propertyLayer } from './stream-properties.js';
import { TestPlugin } from './test-plugin.js';
import { flushMicrotasks, VirtualClock } from './virtual-clock.js';

/** A plugin binary: a file path (relative to the working directory), a file: URL, or the bytes. */
export type PluginSource = string | URL | Uint8Array;

/** How one plugin is configured (the plugin under test, or one of its chain neighbours). */
export interface PluginSetup {
  /**
   * Plugin configuration, readable in proxy_on_configure (buffer 7): an object or array is sent
   * as JSON, a string as UTF-8, bytes as they are. Default: empty.
   */
  readonly config?: unknown;
  /** Plugin name (property plugin_name). Default: the file name without `.wasm`, or its directory's name for `plugin.wasm`. */
  readonly name?: string;
  /** Root id (property plugin_root_id). Default ''. */
  readonly rootId?: string;
  /** vm_id, which scopes shared data and queues. Default: the name. */
  readonly vmId?: string;
  /** VM configuration (buffer 6, proxy_on_vm_start). */
  readonly vmConfig?: string | Uint8Array;
  /** Environment variables the plugin reads through WASI (WasmPlugin `vmConfig.env`). */
  readonly env?: Readonly<Record<string, string>>;
  /** What a stream does when this plugin's VM fails: 503 (FAIL_CLOSE, default) or skip it (FAIL_OPEN). */
  readonly failStrategy?: FailStrategy;
}

/** Another plugin in the chain around the plugin under test. */
export interface ChainPlugin extends PluginSetup {
  readonly wasm: PluginSource;
  /** Before (earlier in the request path) or after the plugin under test. Default 'after'. */
  readonly position?: 'before' | 'after';
}

/** Options of {@link loadPlugin}. */
export interface LoadOptions extends PluginSetup {
  /**
   * Properties every stream sees, by dotted path (`route_name`, `cluster_name`, `source.address`);
   * `null` hides one. `node.*`, `listener_*` and `xds.*` are visible from the root context too.
   * Streams derive `request.*` and `response.*` from their headers.
   */
  readonly properties?: Readonly<Record<string, PropertyInput>>;
  /** Lowest level recorded and what proxy_get_log_level answers. Default 'trace' (everything). */
  readonly logLevel?: LogLevelName;
  /**
   * The upstream clusters that exist. A proxy_http_call or proxy_redis_init naming another one
   * fails at once with BadArgument, as in Envoy. Default: every cluster exists.
   */
  readonly clusters?: readonly string[];
  /** Wall-clock time when the test starts. Default 2025-01-01T00:00:00Z. */
  readonly startTime?: Date | number;
  /** Seed of the deterministic WASI random_get. Default 1. */
  readonly seed?: number;
  /** Foreign functions the plugin may call with proxy_call_foreign_function (besides the host's own). */
  readonly foreignFunctions?: Readonly<Record<string, ForeignFunction>>;
  /** More plugins in the same chain, sharing the clock, log, stores and interceptors. */
  readonly chain?: readonly ChainPlugin[];
  /** Sees every log line as it is written (e.g. `(e) => console.log(e.level, e.message)` while debugging). */
  readonly onLog?: (entry: LogEntry) => void;
}

const fileCache = new Map<string, Promise<PluginModule>>();
const bytesCache = new WeakMap<Uint8Array, Promise<PluginModule>>();

async function compileSource(source: PluginSource): Promise<{ mod: PluginModule; defaultName: string }> {
  if (source instanceof Uint8Array) {
    let mod = bytesCache.get(source);
    if (!mod) bytesCache.set(source, (mod = compilePlugin(source, 'the plugin bytes')));
    return { mod: await mod, defaultName: 'plugin' };
  }
  let path = String(source);
  let key: string;
  try {
    path = source instanceof URL ? fileURLToPath(source) : resolve(source);
    const st = await stat(path);
    key = `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch (e) {
    throw new WasmgateError('WG_HARNESS_PLUGIN_FILE', `cannot read plugin ${path}: ${(e as Error).message}`, { cause: e });
  }
  let mod = fileCache.get(key);
  if (!mod) {
    mod = readFile(path).then((b) => compilePlugin(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path));
    fileCache.set(key, mod);
    mod.catch(() => fileCache.delete(key));
  }
  const file = basename(path).replace(/\.wasm$/, '');
  return { mod: await mod, defaultName: file === 'plugin' ? basename(dirname(path)) : file };
}

/**
 * Loads a plugin for a test: compiles it, starts a VM on harness ports (virtual clock, recorded
 * logs, scripted upstreams, no network), runs proxy_on_vm_start and proxy_on_configure.
 * Rejects with WG_PLUGIN_CONFIGURE_REJECTED (its `details` hold the plugin's log lines) when the
 * plugin refuses the configuration, and with the host's WG_PLUGIN_* codes for a bad binary.
 * @example
 * import { loadPlugin } from '@wasmgate/testing';
 * const plugin = await loadPlugin('fixtures/go/mock-response/plugin.wasm', {
 *   config: { content: 'hello higress' },
 * });
 * const s = plugin.stream();
 * const r = s.requestHeaders({ ':method': 'GET', ':path': '/', ':authority': 'example.com' }, { endStream: true });
 * assert.equal(r.action, 'local-reply');
 * assert.equal(s.downstream.body, 'hello higress');
 * s.end();
 * plugin.close();
 */
export async function loadPlugin(wasm: PluginSource, options: LoadOptions = {}): Promise<TestPlugin> {
  let settle: () => Promise<void> = () => flushMicrotasks();
  const start = options.startTime instanceof Date ? options.startTime.getTime() : options.startTime;
  const clock = new VirtualClock(start, () => settle());
  const log = new RecordedLog(options.onLog);
  const harnessErrors: WasmgateError[] = [];
  const deps: MockDeps = { clock, clusters: options.clusters && new Set(options.clusters), report: (e) => void harnessErrors.push(e) };
  const http = new MockHttp(deps);
  const redis = new MockRedis(deps);
  const grpc = new MockGrpc(deps);
  const properties = propertyLayer(options.properties);
  const ports = harnessPorts({
    clock, log, http, redis, grpc, logLevel: options.logLevel ?? 'trace', property: nodePropertyFn(properties),
    foreignFunctions: options.foreignFunctions && new Map(Object.entries(options.foreignFunctions)), seed: options.seed ?? 1,
  });

  const setups: ChainPlugin[] = [
    ...(options.chain ?? []).filter((c) => c.position === 'before'),
    { ...options, wasm },
    ...(options.chain ?? []).filter((c) => c.position !== 'before'),
  ];
  const mainIndex = (options.chain ?? []).filter((c) => c.position === 'before').length;
  const compiled = await Promise.all(setups.map((s) => compileSource(s.wasm)));
  const filters: ChainFilter[] = [];
  const vms: PluginVm[] = [];
  try {
    for (const [i, s] of setups.entries()) {
      const { mod, defaultName } = compiled[i]!;
      const name = s.name ?? defaultName;
      const vm = await PluginVm.create(mod, {
        ports, name, ...(s.vmId !== undefined && { vmId: s.vmId }), ...(s.env && { env: s.env }), ...(s.vmConfig !== undefined && { vmConfig: s.vmConfig }),
      });
      vms.push(vm);
      const root = vm.createRoot({ name, ...(s.rootId !== undefined && { rootId: s.rootId }), config: configBytes(s.config) });
      filters.push({ name, vm, root, failStrategy: s.failStrategy ?? 'FAIL_CLOSE' });
    }
  } catch (e) {
    // A rejected configuration still leaves VMs with timers; tear them down before reporting.
    for (const vm of vms) vm.dispose();
    clock.cancelAll();
    throw e;
  }
  const plugin = new TestPlugin({ clock, log, http, redis, grpc, ports, filters, mainIndex, properties, harnessErrors });
  settle = () => plugin.settle();
  return plugin;
}
