/**
 * One entry per env hostcall of HOSTCALLS: the shape of its parameters (what each argument means:
 * pointer, length, out-slot, enum, plain integer) and a valid baseline call through hostcall-proxy.
 * The hostile-input test derives its cases from the shapes (every pointer out of bounds, every
 * length overflowing, every out-slot out of bounds, every enum out of range) and the fuzz test
 * draws arguments by kind. A hostcall added to HOSTCALLS without an entry here fails the coverage
 * test in hostile-input.test.ts.
 */
import { BodyBuffer, WasmResult } from '@wasmgate/host';
import { SCRATCH, type Context, type HostcallProxy } from './proxy.js';

export type Kind =
  | 'ptr' // input pointer, the next parameter is its length
  | 'len'
  | 'out' // u32 out-slot (also the ptr/size slots of an output pair)
  | 'out64' // u64 out-slot
  | 'map' | 'buffer' | 'stream' | 'metric' | 'level' // enums
  | 'int' // plain u32 (id, offset, size, timeout, cas, status code …)
  | 'i64';

export type Arg = number | bigint;

/** A valid call: where it runs, its arguments, and the status it answers. */
export interface Call {
  readonly ctx: Context;
  readonly args: Arg[];
  readonly expect: number;
}

export interface HostileCase extends Call {
  readonly label: string;
}

export interface HostcallCaseSpec {
  readonly params: readonly Kind[];
  /** gRPC: the import exists so modules link; every call answers Unimplemented. */
  readonly stub?: boolean;
  /** A fresh valid call (called once per generated case, after the scratch area was reset). */
  base(h: HostcallProxy): Call;
  /** Hand-written hostile cases on top of the generated ones (wrong context, bad ids, overflows …). */
  extra?(h: HostcallProxy): HostileCase[];
}

export const OOB = 0xfffffff0;

/** Out-of-range values per enum kind (all answer BadArgument). */
export const BAD_ENUMS: Partial<Record<Kind, readonly number[]>> = {
  map: [8, 9, 0x7fffffff, 0x80000000, 0xffffffff],
  buffer: [10, 11, 0x7fffffff, 0xffffffff],
  stream: [4, 5, 0xffffffff],
  metric: [3, 4, 0xffffffff],
  level: [6, 7, 0xffffffff],
};

const ok = WasmResult.Ok;

/** A stream with request/response headers, trailers and a request body, on the proxy's root. */
export function richStream(h: HostcallProxy) {
  const s = h.stream({
    requestHeaders: [[':method', 'GET'], [':path', '/p'], [':authority', 'a.test'], ['x-a', '1'], ['x-a', '2']],
    responseHeaders: [[':status', '200'], ['server', 'up']],
    requestTrailers: [['grpc-status', '0']],
    responseTrailers: [['t', 'v']],
    upstreamHosts: [['10.0.0.1:80', '{"health_status":"Healthy"}']],
  });
  return s;
}

function withBody(h: HostcallProxy, body = 'hello') {
  const s = richStream(h);
  s.ctx.requestBody = new BodyBuffer(new TextEncoder().encode(body), true);
  return s;
}

function callout(h: HostcallProxy): Call {
  const [up, upl] = h.scratch.put('cluster-a');
  const [hp, hl] = h.scratch.pairs([[':method', 'GET'], [':path', '/x'], [':authority', 'svc']]);
  const [bp, bl] = h.scratch.put('body');
  const [tp, tl] = h.scratch.put(new Uint8Array(4));
  return { ctx: h.root, args: [up, upl, hp, hl, bp, bl, tp, tl, 1000, h.scratch.out()], expect: ok };
}

export const HOSTCALL_SPECS: Record<string, HostcallCaseSpec> = {
  // ---- logging, time ---------------------------------------------------------------------------
  proxy_log: {
    params: ['level', 'ptr', 'len'],
    base: (h) => ({ ctx: h.root, args: [2, ...h.scratch.put('hostile-input')], expect: ok }),
  },
  proxy_get_log_level: {
    params: ['out'],
    base: (h) => ({ ctx: h.root, args: [h.scratch.out()], expect: ok }),
  },
  proxy_get_current_time_nanoseconds: {
    params: ['out64'],
    base: (h) => ({ ctx: h.root, args: [h.scratch.out()], expect: ok }),
  },
  proxy_set_tick_period_milliseconds: {
    params: ['int'],
    base: (h) => ({ ctx: h.root, args: [0], expect: ok }),
    extra: (h) => [
      { label: 'period 0xffffffff ms is accepted', ctx: h.root, args: [0xffffffff], expect: ok },
      { label: 'period 0 disables again', ctx: h.root, args: [0], expect: ok },
      { label: 'from the VM context (no root) is a no-op', ctx: h.vmContext, args: [100], expect: ok },
    ],
  },
  // ---- buffers, configuration ------------------------------------------------------------------
  proxy_get_buffer_bytes: {
    params: ['buffer', 'int', 'int', 'out', 'out'],
    base: (h) => ({ ctx: h.root, args: [6, 0, 0x7fffffff, h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'start + max overflow u32', ctx: h.root, args: [6, 0xffffffff, 1, h.scratch.out(), h.scratch.out()], expect: WasmResult.BadArgument },
      { label: 'start 1, max 0xffffffff overflow', ctx: h.root, args: [6, 1, 0xffffffff, h.scratch.out(), h.scratch.out()], expect: WasmResult.BadArgument },
      { label: 'start past the end is empty and OK', ctx: h.root, args: [6, 0x7fffffff, 0, h.scratch.out(), h.scratch.out()], expect: ok },
      { label: 'plugin config outside on_configure is NotFound', ctx: h.root, args: [7, 0, 10, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'request body on a root is NotFound', ctx: h.root, args: [0, 0, 10, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
    ],
  },
  proxy_get_buffer_status: {
    params: ['buffer', 'out', 'out'],
    base: (h) => ({ ctx: h.root, args: [6, h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'unavailable buffer (http call body) is NotFound', ctx: h.root, args: [4, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
    ],
  },
  proxy_set_buffer_bytes: {
    params: ['buffer', 'int', 'int', 'ptr', 'len'],
    base: (h) => ({ ctx: withBody(h).ctx, args: [0, 0, 0, ...h.scratch.put('x')], expect: ok }),
    extra: (h) => [
      { label: '0 < start < size', ctx: withBody(h).ctx, args: [0, 2, 0, ...h.scratch.put('x')], expect: WasmResult.BadArgument },
      { label: 'start 0xffffffff appends', ctx: withBody(h).ctx, args: [0, 0xffffffff, 0xffffffff, ...h.scratch.put('x')], expect: ok },
      { label: 'immutable buffer (VM config)', ctx: h.root, args: [6, 0, 0, ...h.scratch.put('x')], expect: WasmResult.BadArgument },
      { label: 'unavailable buffer (no body)', ctx: h.root, args: [0, 0, 0, ...h.scratch.put('x')], expect: WasmResult.NotFound },
    ],
  },
  proxy_get_configuration: {
    params: ['out', 'out'],
    base: (h) => ({ ctx: h.root, args: [h.scratch.out(), h.scratch.out()], expect: ok }),
  },
  // ---- header maps -----------------------------------------------------------------------------
  proxy_get_header_map_value: {
    params: ['map', 'ptr', 'len', 'out', 'out'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, ...h.scratch.put('x-a'), h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'absent key', ctx: richStream(h).ctx, args: [0, ...h.scratch.put('nope'), h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'stream map on a root', ctx: h.root, args: [0, ...h.scratch.put('x-a'), h.scratch.out(), h.scratch.out()], expect: WasmResult.BadArgument },
      { label: 'gRPC metadata map', ctx: richStream(h).ctx, args: [4, ...h.scratch.put('x-a'), h.scratch.out(), h.scratch.out()], expect: WasmResult.BadArgument },
      { label: 'http call map outside the callback', ctx: h.root, args: [6, ...h.scratch.put(':status'), h.scratch.out(), h.scratch.out()], expect: WasmResult.BadArgument },
    ],
  },
  proxy_get_header_map_pairs: {
    params: ['map', 'out', 'out'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'unavailable map answers an empty list', ctx: h.root, args: [0, h.scratch.out(), h.scratch.out()], expect: ok },
    ],
  },
  proxy_set_header_map_pairs: {
    params: ['map', 'ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, ...h.scratch.pairs([['a', 'b']])], expect: ok }),
    extra: (h) => [
      { label: 'malformed pairs count as an empty map', ctx: richStream(h).ctx, args: [0, ...h.scratch.put(new Uint8Array([9, 0, 0, 0, 1]))], expect: ok },
      { label: 'pairs count 0xffffffff', ctx: richStream(h).ctx, args: [0, ...h.scratch.put(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0]))], expect: ok },
      { label: 'read-only map (not writable)', ctx: h.stream({ requestHeaders: [['a', 'b']], writable: false }).ctx, args: [0, ...h.scratch.pairs([])], expect: WasmResult.BadArgument },
    ],
  },
  proxy_add_header_map_value: {
    params: ['map', 'ptr', 'len', 'ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, ...h.scratch.put('k'), ...h.scratch.put('v')], expect: ok }),
    extra: (h) => [
      { label: 'http call headers are read-only', ctx: h.root, args: [6, ...h.scratch.put('k'), ...h.scratch.put('v')], expect: WasmResult.BadArgument },
    ],
  },
  proxy_replace_header_map_value: {
    params: ['map', 'ptr', 'len', 'ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, ...h.scratch.put('x-a'), ...h.scratch.put('v')], expect: ok }),
  },
  proxy_remove_header_map_value: {
    params: ['map', 'ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, ...h.scratch.put('x-a')], expect: ok }),
    extra: (h) => [
      { label: 'absent key is OK', ctx: richStream(h).ctx, args: [0, ...h.scratch.put('nope')], expect: ok },
    ],
  },
  proxy_get_header_map_size: {
    params: ['map', 'out'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0, h.scratch.out()], expect: ok }),
  },
  // ---- stream control ----------------------------------------------------------------------------
  proxy_continue_stream: {
    params: ['stream'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [0], expect: ok }),
    extra: (h) => [
      { label: 'TCP upstream (3) is Unimplemented', ctx: richStream(h).ctx, args: [3], expect: WasmResult.Unimplemented },
      { label: 'no stream (root)', ctx: h.root, args: [0], expect: WasmResult.NotFound },
    ],
  },
  proxy_close_stream: {
    params: ['stream'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [1], expect: ok }),
    extra: (h) => [{ label: 'no stream (VM context)', ctx: h.vmContext, args: [0], expect: WasmResult.NotFound }],
  },
  proxy_continue_request: {
    params: [],
    base: (h) => ({ ctx: richStream(h).ctx, args: [], expect: ok }),
    extra: (h) => [{ label: 'no stream (root)', ctx: h.root, args: [], expect: WasmResult.NotFound }],
  },
  proxy_continue_response: {
    params: [],
    base: (h) => ({ ctx: richStream(h).ctx, args: [], expect: ok }),
    extra: (h) => [{ label: 'no stream (VM context)', ctx: h.vmContext, args: [], expect: WasmResult.NotFound }],
  },
  proxy_clear_route_cache: {
    params: [],
    base: (h) => ({ ctx: richStream(h).ctx, args: [], expect: ok }),
    extra: (h) => [{ label: 'no stream (root)', ctx: h.root, args: [], expect: WasmResult.NotFound }],
  },
  proxy_send_local_response: {
    params: ['int', 'ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'int'],
    base: (h) => ({
      ctx: richStream(h).ctx,
      args: [403, ...h.scratch.put('denied by test'), ...h.scratch.put('no'), ...h.scratch.pairs([['x-r', '1']]), 0xffffffff],
      expect: ok,
    }),
    extra: (h) => {
      const s = richStream(h).ctx;
      return [
        { label: 'status 0xffffffff, malformed headers', ctx: s, args: [0xffffffff, 0, 0, 0, 0, ...h.scratch.put(new Uint8Array([1, 0, 0, 0])), 0], expect: ok },
        { label: 'second local reply on the same stream', ctx: s, args: [200, 0, 0, 0, 0, 0, 0, 0xffffffff], expect: WasmResult.BadArgument },
        { label: 'no stream (root)', ctx: h.root, args: [200, 0, 0, 0, 0, 0, 0, 0xffffffff], expect: WasmResult.NotFound },
      ];
    },
  },
  proxy_set_effective_context: {
    params: ['int'],
    base: (h) => ({ ctx: h.root, args: [h.root.id], expect: ok }),
    extra: (h) => [
      { label: 'unknown id 0xffffffff', ctx: h.root, args: [0xffffffff], expect: WasmResult.BadArgument },
      { label: 'unknown id 0x7fffffff', ctx: h.root, args: [0x7fffffff], expect: WasmResult.BadArgument },
    ],
  },
  proxy_done: {
    params: [],
    base: (h) => ({ ctx: h.root, args: [], expect: WasmResult.NotFound }),
    extra: (h) => [{ label: 'VM context has no root', ctx: h.vmContext, args: [], expect: WasmResult.NotFound }],
  },
  // ---- callouts ----------------------------------------------------------------------------------
  proxy_http_call: {
    params: ['ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'int', 'out'],
    base: callout,
    extra: (h) => {
      const c = callout(h);
      const [hp, hl] = h.scratch.pairs([[':method', 'GET'], [':authority', 'svc']]);
      const [bad, badl] = h.scratch.put(new Uint8Array([2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
      const args = c.args.slice();
      return [
        { label: 'missing :path', ctx: h.root, args: [args[0]!, args[1]!, hp, hl, ...args.slice(4)], expect: WasmResult.BadArgument },
        { label: 'malformed header pairs', ctx: h.root, args: [args[0]!, args[1]!, bad, badl, ...args.slice(4)], expect: WasmResult.BadArgument },
        { label: 'timeout 0xffffffff', ctx: h.root, args: [...args.slice(0, 8), 0xffffffff, args[9]!], expect: ok },
      ];
    },
  },
  proxy_get_status: {
    params: ['out', 'out', 'out'],
    base: (h) => ({ ctx: h.root, args: [h.scratch.out(), h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [{ label: 'VM context has no root', ctx: h.vmContext, args: [h.scratch.out(), h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound }],
  },
  proxy_grpc_call: {
    params: ['ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'int', 'out'],
    // the test ports have no grpcCall
    base: (h) => ({ ctx: h.root, args: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, h.scratch.out()], expect: WasmResult.Unimplemented }),
  },
  proxy_grpc_stream: {
    params: ['ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'out'],
    base: (h) => ({ ctx: h.root, args: [0, 0, 0, 0, 0, 0, 0, 0, h.scratch.out()], expect: WasmResult.Unimplemented }),
  },
  proxy_grpc_send: {
    params: ['int', 'ptr', 'len', 'int'],
    base: (h) => ({ ctx: h.root, args: [1, 0, 0, 0], expect: WasmResult.NotFound }),
  },
  proxy_grpc_cancel: {
    params: ['int'],
    base: (h) => ({ ctx: h.root, args: [1], expect: WasmResult.NotFound }),
    extra: (h) => [{ label: 'token 0xffffffff', ctx: h.vmContext, args: [0xffffffff], expect: WasmResult.NotFound }],
  },
  proxy_grpc_close: {
    params: ['int'],
    base: (h) => ({ ctx: h.root, args: [1], expect: WasmResult.NotFound }),
    extra: (h) => [{ label: 'token 0xffffffff', ctx: h.vmContext, args: [0xffffffff], expect: WasmResult.NotFound }],
  },
  proxy_redis_init: {
    params: ['ptr', 'len', 'ptr', 'len', 'ptr', 'len', 'int'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('redis?db=1'), ...h.scratch.put('user'), ...h.scratch.put('pass'), 1000], expect: ok }),
    extra: (h) => [{ label: 'VM context has no root', ctx: h.vmContext, args: [...h.scratch.put('redis'), 0, 0, 0, 0, 0], expect: WasmResult.BadArgument }],
  },
  proxy_redis_call: {
    params: ['ptr', 'len', 'ptr', 'len', 'out'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('redis'), ...h.scratch.put('*1\r\n$4\r\nPING\r\n'), h.scratch.out()], expect: ok }),
  },
  // ---- shared data, queues -----------------------------------------------------------------------
  proxy_get_shared_data: {
    params: ['ptr', 'len', 'out', 'out', 'out'],
    base: (h) => {
      h.ports.sharedData.set(h.vm.vmId, 'hostile-key', new TextEncoder().encode('v'), 0);
      return { ctx: h.root, args: [...h.scratch.put('hostile-key'), h.scratch.out(), h.scratch.out(), h.scratch.out()], expect: ok };
    },
    extra: (h) => [{ label: 'absent key', ctx: h.root, args: [...h.scratch.put('absent-key'), h.scratch.out(), h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound }],
  },
  proxy_set_shared_data: {
    params: ['ptr', 'len', 'ptr', 'len', 'int'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('hostile-set'), ...h.scratch.put('v'), 0], expect: ok }),
    extra: (h) => {
      h.ports.sharedData.set(h.vm.vmId, 'cas-key', new Uint8Array([1]), 0);
      return [{ label: 'stale cas 0xffffffff', ctx: h.root, args: [...h.scratch.put('cas-key'), ...h.scratch.put('v'), 0xffffffff], expect: WasmResult.CasMismatch }];
    },
  },
  proxy_register_shared_queue: {
    params: ['ptr', 'len', 'out'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('hostile-q'), h.scratch.out()], expect: ok }),
    extra: (h) => [{ label: 'VM context has no root', ctx: h.vmContext, args: [...h.scratch.put('q'), h.scratch.out()], expect: WasmResult.BadArgument }],
  },
  proxy_resolve_shared_queue: {
    params: ['ptr', 'len', 'ptr', 'len', 'out'],
    base: (h) => {
      h.ports.sharedQueues.register(h.vm.vmId, 'resolve-q', () => undefined);
      return { ctx: h.root, args: [0, 0, ...h.scratch.put('resolve-q'), h.scratch.out()], expect: ok };
    },
    extra: (h) => [{ label: 'unknown queue', ctx: h.root, args: [0, 0, ...h.scratch.put('no-such-q'), h.scratch.out()], expect: WasmResult.NotFound }],
  },
  proxy_enqueue_shared_queue: {
    params: ['int', 'ptr', 'len'],
    base: (h) => ({ ctx: h.root, args: [h.ports.sharedQueues.register('other-vm', 'enq', () => undefined), ...h.scratch.put('item')], expect: ok }),
    extra: (h) => [{ label: 'unknown queue id 0xffffffff', ctx: h.root, args: [0xffffffff, ...h.scratch.put('x')], expect: WasmResult.NotFound }],
  },
  proxy_dequeue_shared_queue: {
    params: ['int', 'out', 'out'],
    base: (h) => {
      const id = h.ports.sharedQueues.register('other-vm', 'deq', () => undefined);
      h.ports.sharedQueues.enqueue(id, new TextEncoder().encode('item'));
      return { ctx: h.root, args: [id, h.scratch.out(), h.scratch.out()], expect: ok };
    },
    extra: (h) => [
      { label: 'unknown queue id 0xffffffff', ctx: h.root, args: [0xffffffff, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'empty queue', ctx: h.root, args: [h.ports.sharedQueues.register('other-vm', 'empty-q', () => undefined), h.scratch.out(), h.scratch.out()], expect: WasmResult.Empty },
    ],
  },
  // ---- metrics -----------------------------------------------------------------------------------
  proxy_define_metric: {
    params: ['metric', 'ptr', 'len', 'out'],
    base: (h) => ({ ctx: h.root, args: [0, ...h.scratch.put('hostile_total'), h.scratch.out()], expect: ok }),
  },
  proxy_increment_metric: {
    params: ['int', 'i64'],
    base: (h) => ({ ctx: h.root, args: [h.ports.metrics.define(1, 'hostile_gauge'), 1n], expect: ok }),
    extra: (h) => [
      { label: 'unknown id 0xffffffff', ctx: h.root, args: [0xffffffff, 1n], expect: WasmResult.NotFound },
      { label: 'counter by -1', ctx: h.root, args: [h.ports.metrics.define(0, 'hostile_counter'), -1n], expect: WasmResult.BadArgument },
      { label: 'counter by i64 min', ctx: h.root, args: [h.ports.metrics.define(0, 'hostile_counter'), -(2n ** 63n)], expect: WasmResult.BadArgument },
      { label: 'gauge by i64 max', ctx: h.root, args: [h.ports.metrics.define(1, 'hostile_gauge2'), 2n ** 63n - 1n], expect: ok },
      { label: 'histogram', ctx: h.root, args: [h.ports.metrics.define(2, 'hostile_hist'), 1n], expect: WasmResult.BadArgument },
    ],
  },
  proxy_record_metric: {
    params: ['int', 'i64'],
    base: (h) => ({ ctx: h.root, args: [h.ports.metrics.define(2, 'hostile_hist'), 5n], expect: ok }),
    extra: (h) => [
      { label: 'unknown id 0xffffffff', ctx: h.root, args: [0xffffffff, 1n], expect: WasmResult.NotFound },
      { label: 'u64 max into a gauge', ctx: h.root, args: [h.ports.metrics.define(1, 'hostile_gauge3'), -1n], expect: ok },
    ],
  },
  proxy_get_metric: {
    params: ['int', 'out64'],
    base: (h) => ({ ctx: h.root, args: [h.ports.metrics.define(0, 'hostile_counter'), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'unknown id 0xffffffff', ctx: h.root, args: [0xffffffff, h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'histogram', ctx: h.root, args: [h.ports.metrics.define(2, 'hostile_hist'), h.scratch.out()], expect: WasmResult.BadArgument },
    ],
  },
  // ---- properties, foreign functions ---------------------------------------------------------------
  proxy_get_property: {
    params: ['ptr', 'len', 'out', 'out'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('plugin_name'), h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [{ label: 'absent path', ctx: h.root, args: [...h.scratch.put('no\0such'), h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound }],
  },
  proxy_set_property: {
    params: ['ptr', 'len', 'ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [...h.scratch.put('x_request_id'), ...h.scratch.put('abc')], expect: ok }),
    extra: (h) => [{ label: 'without a stream', ctx: h.root, args: [...h.scratch.put('x'), ...h.scratch.put('y')], expect: WasmResult.NotFound }],
  },
  proxy_call_foreign_function: {
    params: ['ptr', 'len', 'ptr', 'len', 'out', 'out'],
    base: (h) => ({ ctx: h.root, args: [...h.scratch.put('get_log_level'), 0, 0, h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [
      { label: 'unknown function', ctx: h.root, args: [...h.scratch.put('no_such_fn'), 0, 0, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'name of an Object.prototype member', ctx: h.root, args: [...h.scratch.put('constructor'), 0, 0, h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound },
      { label: 'inject_on_header with broken protobuf', ctx: richStream(h).ctx, args: [...h.scratch.put('inject_encoded_data_to_filter_chain_on_header'), ...h.scratch.put(new Uint8Array([0x0a, 0xff])), h.scratch.out(), h.scratch.out()], expect: WasmResult.ParseFailure },
    ],
  },
  // ---- Higress -------------------------------------------------------------------------------------
  proxy_inject_encoded_data_to_filter_chain: {
    params: ['ptr', 'len', 'int'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [...h.scratch.put('data'), 1], expect: ok }),
    extra: (h) => [{ label: 'no stream (root)', ctx: h.root, args: [...h.scratch.put('data'), 0xffffffff], expect: WasmResult.NotFound }],
  },
  proxy_get_upstream_hosts: {
    params: ['out', 'out'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [h.scratch.out(), h.scratch.out()], expect: ok }),
    extra: (h) => [{ label: 'no stream (root)', ctx: h.root, args: [h.scratch.out(), h.scratch.out()], expect: WasmResult.NotFound }],
  },
  proxy_set_upstream_override_host: {
    params: ['ptr', 'len'],
    base: (h) => ({ ctx: richStream(h).ctx, args: [...h.scratch.put('10.0.0.1:80')], expect: ok }),
    extra: (h) => [{ label: 'no stream (root)', ctx: h.root, args: [...h.scratch.put('10.0.0.1:80')], expect: WasmResult.NotFound }],
  },
};

/**
 * Runs the hostile cases of one hostcall: every pointer out of bounds, every length overflowing
 * memory, every out-slot out of bounds, every enum out of range (stubs answer Unimplemented to all
 * of them), then the hand-written extras. Each generated case rebuilds its baseline right before
 * it runs (the scratch area is shared), so `run` must execute the case before returning. Returns
 * the number of cases.
 */
export function forEachHostileCase(h: HostcallProxy, name: string, run: (c: HostileCase) => void): number {
  const spec = HOSTCALL_SPECS[name];
  if (!spec) return 0;
  let n = 0;
  const mut = (label: string, i: number, values: (mem: number) => Record<number, Arg>, expect: number) => {
    h.scratch.reset();
    const b = spec.base(h);
    const args = b.args.slice();
    for (const [k, v] of Object.entries(values(h.memSize))) args[Number(k)] = v;
    n++;
    run({ label: `${label} (arg ${i})`, ctx: b.ctx, args, expect: spec.stub ? WasmResult.Unimplemented : expect });
  };
  const IMA = WasmResult.InvalidMemoryAccess;
  spec.params.forEach((kind, i) => {
    switch (kind) {
      case 'ptr':
        mut('ptr 0xfffffff0', i, () => ({ [i]: OOB }), IMA);
        mut('ptr = memory size', i, (mem) => ({ [i]: mem, [i + 1]: 1 }), IMA);
        mut('ptr straddles the end', i, (mem) => ({ [i]: mem - 1, [i + 1]: 2 }), IMA);
        mut('ptr 0xfffffff0 + 16 wraps to 0', i, () => ({ [i]: OOB, [i + 1]: 16 }), IMA);
        break;
      case 'len':
        // The pointer before it is set to the (valid, non-zero) scratch start.
        mut('len 0x7fffffff', i, () => ({ [i - 1]: SCRATCH, [i]: 0x7fffffff }), IMA);
        mut('len 0x80000000', i, () => ({ [i - 1]: SCRATCH, [i]: 0x80000000 }), IMA);
        mut('len 0xffffffff', i, () => ({ [i - 1]: SCRATCH, [i]: 0xffffffff }), IMA);
        mut('len = memory size', i, (mem) => ({ [i - 1]: SCRATCH, [i]: mem }), IMA);
        break;
      case 'out':
        mut('out 0xfffffff0', i, () => ({ [i]: OOB }), IMA);
        mut('out = memory size', i, (mem) => ({ [i]: mem }), IMA);
        mut('out straddles the end', i, (mem) => ({ [i]: mem - 2 }), IMA);
        break;
      case 'out64':
        mut('out64 0xfffffff0', i, () => ({ [i]: OOB }), IMA);
        mut('out64 = memory size', i, (mem) => ({ [i]: mem }), IMA);
        mut('out64 straddles the end', i, (mem) => ({ [i]: mem - 4 }), IMA);
        break;
      default: {
        const bad = BAD_ENUMS[kind];
        if (bad) for (const v of bad) mut(`${kind} ${v}`, i, () => ({ [i]: v }), WasmResult.BadArgument);
      }
    }
  });
  h.scratch.reset();
  for (const c of spec.extra?.(h) ?? []) {
    n++;
    run(c);
  }
  return n;
}
