/**
 * Driving fixtures/wat/hostcall-proxy.wasm: its `call_<hostcall>` exports forward any arguments to
 * the env hostcall and return the status, so tests can run each hostcall with chosen (and hostile)
 * arguments through a real module, in any context (`vm.call` makes that context current).
 *
 * Memory map of the module: 0x1000..0x8000 is scratch for tests (inputs and out-pointers), the heap
 * (bump allocator, counted) starts at 0x8000, callbacks are recorded in an event ring.
 */
import {
  encodePairs,
  HeaderMap,
  type HeaderPair,
  type HttpContext,
  type HttpStreamHost,
  type LocalReply,
  type PluginVm,
  type PropertyValue,
  type RootContext,
} from '@wasmgate/host';
import { FIXTURES, startVm } from './fixtures.js';
import { TestPorts } from './ports.js';

/** Any host context (VM, root or stream), as PluginVm.call takes it. */
export type Context = Parameters<PluginVm['call']>[0];

export const SCRATCH = 0x1000;
export const SCRATCH_END = 0x8000;
export const HEAP_BASE = 0x8000;

/** Callback ids the module records (see hostcall-proxy.wat). */
export const CB = {
  context_create: 1, vm_start: 2, configure: 3, request_headers: 4, request_body: 5, request_trailers: 6,
  response_headers: 7, response_body: 8, response_trailers: 9, log: 10, done: 11, delete: 12, tick: 13,
  http_call_response: 14, queue_ready: 15, foreign_function: 16, redis_call_response: 21,
} as const;
const CB_NAMES = new Map<number, string>(Object.entries(CB).map(([k, v]) => [v, k]));

export interface ProxyEvent {
  readonly name: string;
  readonly args: readonly number[];
}

/** What the fake stream host saw (continue/close/local reply/inject …). */
export interface StreamEffects {
  readonly continued: (0 | 1)[];
  readonly closed: (0 | 1)[];
  readonly localReplies: LocalReply[];
  readonly injected: { data: string; end: boolean }[];
  readonly injectedOnHeader: { body: string; end: boolean }[];
  readonly propertySets: { key: string; value: string }[];
  readonly overrideHosts: string[];
}

export interface FakeStreamOptions {
  requestHeaders?: HeaderPair[];
  responseHeaders?: HeaderPair[];
  requestTrailers?: HeaderPair[];
  responseTrailers?: HeaderPair[];
  /** Make the maps writable (default true). */
  writable?: boolean;
  properties?: Record<string, PropertyValue>;
  upstreamHosts?: HeaderPair[];
  /** What setUpstreamOverrideHost answers (default true). */
  overrideOk?: boolean;
  /** Provide inject hooks (default true). */
  inject?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A bump allocator over the scratch area, reset per test case. */
export class Scratch {
  #next = SCRATCH;
  readonly #vm: PluginVm;
  constructor(vm: PluginVm) {
    this.#vm = vm;
  }
  reset(): void {
    this.#next = SCRATCH;
  }
  /** Reserves n zeroed bytes (8-aligned) and returns the pointer. */
  alloc(n: number): number {
    const p = this.#next;
    const end = (p + n + 7) & ~7;
    if (end > SCRATCH_END) throw new Error(`scratch exhausted (${n} bytes)`);
    this.#next = end;
    this.#vm.memory.write(p, new Uint8Array(n));
    return p;
  }
  /** Writes bytes (or UTF-8 text) and returns [ptr, len]. */
  put(data: Uint8Array | string): [number, number] {
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    const p = this.alloc(Math.max(bytes.length, 1));
    this.#vm.memory.write(p, bytes);
    return [p, bytes.length];
  }
  /** Writes an encoded pairs buffer. */
  pairs(pairs: HeaderPair[]): [number, number] {
    return this.put(encodePairs(pairs));
  }
  /** A zeroed out-slot of 8 bytes. */
  out(): number {
    return this.alloc(8);
  }
}

export class HostcallProxy {
  readonly vm: PluginVm;
  readonly root: RootContext;
  readonly ports: TestPorts;
  readonly scratch: Scratch;
  readonly vmContext: Context;

  private constructor(vm: PluginVm, root: RootContext, ports: TestPorts) {
    this.vm = vm;
    this.root = root;
    this.ports = ports;
    this.scratch = new Scratch(vm);
    this.vmContext = vm.contextById(0)!;
  }

  /** A fresh hostcall-proxy VM with one root (name `proxy`, config `cfg`, VM config `vmcfg`). */
  static async create(opts: { ports?: TestPorts; config?: string; vmConfig?: string; vmId?: string; env?: Record<string, string> } = {}): Promise<HostcallProxy> {
    const ports = opts.ports ?? new TestPorts();
    const vm = await startVm(FIXTURES.proxy, ports, {
      name: 'proxy', vmConfig: opts.vmConfig ?? 'vmcfg', ...(opts.vmId ? { vmId: opts.vmId } : {}), ...(opts.env ? { env: opts.env } : {}),
    });
    const root = vm.createRoot({ name: 'proxy', rootId: 'proxy-root', config: opts.config ?? 'cfg' });
    return new HostcallProxy(vm, root, ports);
  }

  /** Runs `call_<name>` in `ctx` (default: the root) and returns the hostcall's status. */
  call(name: string, args: readonly (number | bigint)[], ctx: Context = this.root): number {
    const r = this.vm.call(ctx, `call_${name}`, args);
    if (r === undefined) throw new Error(`hostcall-proxy exports no call_${name}`);
    return r;
  }

  /** Calls a helper export of the module (event_count, set_return, reset_heap …). */
  helper(name: string, args: readonly number[] = []): number {
    const r = this.vm.call(this.vmContext, name, args);
    if (r === undefined) throw new Error(`hostcall-proxy exports no ${name}`);
    return r | 0;
  }

  /** Makes callback `id` (see CB) return `value` from now on. */
  setReturn(id: number, value: number): void {
    this.helper('set_return', [id, value]);
  }

  /** Recorded callbacks since the last reset (at most the last 64). */
  events(): ProxyEvent[] {
    const n = this.helper('event_count');
    const out: ProxyEvent[] = [];
    for (let k = Math.max(0, n - 64); k < n; k++) {
      const id = this.helper('event_get', [k, 0]);
      const args = [1, 2, 3, 4, 5].map((f) => this.helper('event_get', [k, f]) >>> 0);
      out.push({ name: CB_NAMES.get(id) ?? `cb${id}`, args });
    }
    return out;
  }

  resetEvents(): void {
    this.helper('event_reset');
  }

  /** `name(arg0, arg1…)` of each recorded event, with `argc` args shown. */
  eventLines(argc = 2): string[] {
    return this.events().map((e) => `${e.name}(${e.args.slice(0, argc).join(',')})`);
  }

  allocCount(): number {
    return this.helper('alloc_count');
  }

  readU32(ptr: number): number {
    const v = this.vm.memory.readU32(ptr);
    if (v === undefined) throw new Error(`readU32 out of bounds at ${ptr}`);
    return v;
  }

  readU64(ptr: number): bigint {
    const b = this.vm.memory.copy(ptr, 8);
    if (!b) throw new Error(`readU64 out of bounds at ${ptr}`);
    return new DataView(b.buffer).getBigUint64(0, true);
  }

  /** The bytes an output pair (ptr_out, size_out) points at. */
  readOut(ptrOut: number, sizeOut: number): Uint8Array {
    const p = this.readU32(ptrOut);
    const n = this.readU32(sizeOut);
    const b = this.vm.memory.copy(p, n);
    if (!b) throw new Error(`output (${p}, ${n}) out of bounds`);
    return b;
  }

  readOutText(ptrOut: number, sizeOut: number): string {
    return dec.decode(this.readOut(ptrOut, sizeOut));
  }

  /** Current linear memory size in bytes. */
  get memSize(): number {
    return this.vm.memory.size;
  }

  /**
   * An HTTP context under the root with a fake stream host: the maps given are visible (and
   * writable unless `writable: false`), effects are recorded.
   */
  stream(opts: FakeStreamOptions = {}): { ctx: HttpContext; effects: StreamEffects } {
    const effects: StreamEffects = { continued: [], closed: [], localReplies: [], injected: [], injectedOnHeader: [], propertySets: [], overrideHosts: [] };
    const props = new Map(Object.entries(opts.properties ?? {}));
    const host: HttpStreamHost = {
      property: (path) => props.get(path.join('.')),
      propertySet: (key, value) => void effects.propertySets.push({ key, value: dec.decode(value) }),
      continueStream: (_c, t) => void effects.continued.push(t),
      closeStream: (_c, t) => void effects.closed.push(t),
      localReply: (_c, r) => void effects.localReplies.push(r),
      ...(opts.inject === false ? {} : {
        inject: (_c: HttpContext, data: Uint8Array, end: boolean) => (effects.injected.push({ data: dec.decode(data), end }), true),
        injectOnHeader: (_c: HttpContext, body: Uint8Array, end: boolean) => (effects.injectedOnHeader.push({ body: dec.decode(body), end }), true),
      }),
      setUpstreamOverrideHost: (h) => (effects.overrideHosts.push(h), opts.overrideOk ?? true),
      upstreamHosts: () => opts.upstreamHosts,
    };
    const ctx = this.vm.createHttpContext(this.root, host);
    const w = opts.writable ?? true;
    if (opts.requestHeaders) ctx.requestHeaders = new HeaderMap(opts.requestHeaders);
    if (opts.responseHeaders) ctx.responseHeaders = new HeaderMap(opts.responseHeaders);
    if (opts.requestTrailers) ctx.requestTrailers = new HeaderMap(opts.requestTrailers);
    if (opts.responseTrailers) ctx.responseTrailers = new HeaderMap(opts.responseTrailers);
    ctx.requestHeadersWritable = ctx.responseHeadersWritable = ctx.requestTrailersWritable = ctx.responseTrailersWritable = w;
    return { ctx, effects };
  }
}

export function text(b: Uint8Array): string {
  return dec.decode(b);
}
