/**
 * Foreign functions (reference §4 call_foreign_function row, §6 "Foreign functions used by Higress
 * code"; proxy_on_foreign_function with buffer 8).
 *
 * Checklist rows:
 * - FFI `get_log_level` (must)
 * - inject_encoded_data (+ `_on_header` FFI) (should) — the FFI part
 * - `set_global_max_requests_per_io_cycle` FFI (could, accept)
 * - metadata callbacks, validate_configuration, on_foreign_function, Envoy FFIs (could) —
 *   on_foreign_function and buffer 8; Envoy's other FFIs answer NotFound
 * Traced host checklist: 19 (get_log_level FFI answers 4 LE bytes).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_FOREIGN_FUNCTIONS, LogLevel, PluginVm, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { TestPorts } from './helpers/ports.js';
import { HostcallProxy, text, type Context } from './helpers/proxy.js';
import { compileWat } from './helpers/wat.js';

function ffi(h: HostcallProxy) {
  return (name: string, args: Uint8Array | undefined, ctx: Context = h.root): Uint8Array | number => {
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    const r = h.call('call_foreign_function', [...h.scratch.put(name), ...(args ? h.scratch.put(args) : [0, 0]), p, s], ctx);
    return r === WasmResult.Ok ? h.readOut(p, s) : r;
  };
}

/** InjectEncodedDataToFilterChainArguments{string body = 1; bool endstream = 2}. */
function injectArgs(body: string, end: boolean, extra: number[] = []): Uint8Array {
  const b = new TextEncoder().encode(body);
  return new Uint8Array([0x0a, b.length, ...b, ...(end ? [0x10, 0x01] : []), ...extra]);
}

describe('built-in foreign functions', () => {
  test('the host provides get_log_level, set_global_max_requests_per_io_cycle, inject_encoded_data_to_filter_chain_on_header', () => {
    assert.deepEqual([...BUILTIN_FOREIGN_FUNCTIONS].sort(), ['get_log_level', 'inject_encoded_data_to_filter_chain_on_header', 'set_global_max_requests_per_io_cycle']);
  });

  test('get_log_level: the host level as 4 little-endian bytes, from any context, args (0, 0)', async () => {
    const h = await HostcallProxy.create();
    const call = ffi(h);
    h.ports.level = LogLevel.warn;
    for (const ctx of [h.root, h.vmContext, h.stream().ctx]) {
      const r = call('get_log_level', undefined, ctx);
      assert.ok(r instanceof Uint8Array);
      assert.deepEqual([...r], [3, 0, 0, 0]);
    }
  });

  test('set_global_max_requests_per_io_cycle: a u64 argument (or none) is accepted, result empty; other sizes ⇒ 2', async () => {
    const h = await HostcallProxy.create();
    const call = ffi(h);
    const u64 = new Uint8Array(8);
    new DataView(u64.buffer).setBigUint64(0, 100n, true);
    const r = call('set_global_max_requests_per_io_cycle', u64);
    assert.ok(r instanceof Uint8Array && r.length === 0);
    assert.ok(call('set_global_max_requests_per_io_cycle', undefined) instanceof Uint8Array);
    assert.equal(call('set_global_max_requests_per_io_cycle', new Uint8Array(3)), WasmResult.BadArgument);
  });

  test('inject_encoded_data_to_filter_chain_on_header: decodes the protobuf and hands body + endstream to the stream', async () => {
    const h = await HostcallProxy.create();
    const call = ffi(h);
    const { ctx, effects } = h.stream();
    assert.ok(call('inject_encoded_data_to_filter_chain_on_header', injectArgs('{"jsonrpc":"2.0"}', true), ctx) instanceof Uint8Array);
    assert.ok(call('inject_encoded_data_to_filter_chain_on_header', injectArgs('x', false, [0x18, 0x05]), ctx) instanceof Uint8Array, 'unknown fields are skipped');
    assert.deepEqual(effects.injectedOnHeader, [{ body: '{"jsonrpc":"2.0"}', end: true }, { body: 'x', end: false }]);
    assert.equal(call('inject_encoded_data_to_filter_chain_on_header', new Uint8Array([0x0a, 0x05, 0x61]), ctx), WasmResult.ParseFailure, 'truncated');
    assert.equal(call('inject_encoded_data_to_filter_chain_on_header', new Uint8Array([0x0f]), ctx), WasmResult.ParseFailure, 'bad wire type');
    assert.equal(call('inject_encoded_data_to_filter_chain_on_header', injectArgs('x', true)), WasmResult.NotFound, 'no stream');
  });

  test('on the chain: a body for a response whose headers had end_of_stream goes downstream', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(200), true);
    const r = ffi(h)('inject_encoded_data_to_filter_chain_on_header', injectArgs('{"result":1}', true), run.stream.contexts[0]!);
    assert.ok(r instanceof Uint8Array);
    assert.equal(run.sink.downstreamBody, '{"result":1}');
    assert.ok(run.sink.events.includes('down:data(12):eos'));
  });

  test('functions nobody registered (Envoy-only compress, clear_route_cache, …) ⇒ NotFound', async () => {
    const h = await HostcallProxy.create();
    const call = ffi(h);
    for (const name of ['compress', 'uncompress', 'clear_route_cache', 'declare_property', 'expr_create', '', 'toString', '__proto__']) {
      assert.equal(call(name, undefined), WasmResult.NotFound, name);
    }
  });
});

describe('embedder foreign functions (HostPorts.foreignFunctions)', () => {
  test('args in, result allocated in the module; not_found ⇒ 1, bad_argument ⇒ 2, empty result ⇒ (0, 0)', async () => {
    const ports = new TestPorts();
    const seen: [string, string, number][] = [];
    ports.foreignFunctions.set('echo_upper', (args, c) => {
      seen.push([text(args), c.plugin, c.contextId]);
      return new TextEncoder().encode(text(args).toUpperCase());
    });
    ports.foreignFunctions.set('missing', () => 'not_found');
    ports.foreignFunctions.set('picky', () => 'bad_argument');
    ports.foreignFunctions.set('void', () => new Uint8Array(0));
    const h = await HostcallProxy.create({ ports });
    const call = ffi(h);
    assert.equal(text(call('echo_upper', new TextEncoder().encode('abc')) as Uint8Array), 'ABC');
    assert.deepEqual(seen, [['abc', 'proxy', 1]]);
    assert.equal(call('missing', undefined), WasmResult.NotFound);
    assert.equal(call('picky', undefined), WasmResult.BadArgument);
    h.helper('reset_heap');
    assert.deepEqual([...(call('void', undefined) as Uint8Array)], []);
    assert.equal(h.allocCount(), 0);
  });
});

describe('proxy_on_foreign_function', () => {
  test('the root gets (root, function id, args size) and reads the arguments from buffer 8 during the call only', async () => {
    const mod = await compileWat('ffi-probe.wat', `(module
      (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global $heap (mut i32) (i32.const 0x1000))
      (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
        (local $p i32) (local.set $p (global.get $heap)) (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
      (func (export "read_args") (result i32) (call $gbb (i32.const 8) (i32.const 0) (i32.const 100) (i32.const 0x10) (i32.const 0x14)))
      (func (export "proxy_on_foreign_function") (param $root i32) (param $fn i32) (param $size i32)
        (i32.store (i32.const 0x24) (local.get $root))
        (i32.store (i32.const 0x28) (local.get $fn))
        (i32.store (i32.const 0x2c) (local.get $size))
        (i32.store (i32.const 0x20) (call $gbb (i32.const 8) (i32.const 0) (local.get $size) (i32.const 0x10) (i32.const 0x14)))))`);
    const vm = await PluginVm.create(mod, { name: 'ffi', ports: new TestPorts() });
    const root = vm.createRoot({ name: 'ffi' });
    vm.callForeignFunction(root, 7, new TextEncoder().encode('payload'));
    assert.deepEqual([0x20, 0x24, 0x28, 0x2c].map((a) => vm.memory.readU32(a)), [WasmResult.Ok, root.id, 7, 7]);
    assert.equal(text(vm.memory.copy(vm.memory.readU32(0x10)!, vm.memory.readU32(0x14)!)!), 'payload');
    assert.equal(vm.call(root, 'read_args', []), WasmResult.NotFound, 'buffer 8 is gone afterwards');
  });
});
