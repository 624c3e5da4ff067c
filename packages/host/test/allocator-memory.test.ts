/**
 * Allocator and guest memory (reference §2 "Allocator", §4 rule "empty output = ptr 0, size 0, no
 * allocation", pitfalls 1, 2, 9, 17).
 *
 * Checklist rows:
 * - allocator (`proxy_on_memory_allocate`/`malloc`) (must)
 * Traced host checklist: 9 (ptr 0 / len 0 inputs; empty outputs as (0, 0) without allocating),
 * 18 (re-read memory after every guest call; memory flat at steady state).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlugin, HeaderMap, PluginVm, WasmgateError, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin, readFixture } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { HEAP_BASE, HostcallProxy } from './helpers/proxy.js';
import { compileWat } from './helpers/wat.js';

describe('outputs are allocated in the guest', () => {
  test('a non-empty output: exactly one allocator call of exactly the output size', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream({ requestHeaders: [['x-long', 'a value of 19 bytes']] });
    h.helper('reset_heap');
    const [k, kl] = h.scratch.put('X-Long');
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_value', [0, k, kl, p, s], ctx), WasmResult.Ok);
    assert.equal(h.allocCount(), 1);
    assert.equal(h.helper('alloc_last_size'), 19);
    assert.equal(h.readU32(s), 19);
    assert.equal(h.readU32(p), HEAP_BASE);
    assert.equal(h.readOutText(p, s), 'a value of 19 bytes');
  });

  test('empty outputs are (0, 0) and never call the allocator', async () => {
    const h = await HostcallProxy.create({ vmConfig: '' });
    const { ctx } = h.stream({ requestHeaders: [['x-empty', '']], responseHeaders: [] });
    h.helper('reset_heap');
    const outs = () => {
      const [p, s] = [h.scratch.out(), h.scratch.out()];
      h.vm.memory.write(p, new Uint8Array([1, 1, 1, 1]));
      h.vm.memory.write(s, new Uint8Array([1, 1, 1, 1]));
      return [p, s] as const;
    };
    const checks: [string, (p: number, s: number) => number][] = [
      ['empty header value', (p, s) => h.call('get_header_map_value', [0, ...h.scratch.put('x-empty'), p, s], ctx)],
      ['empty header map pairs', (p, s) => h.call('get_header_map_pairs', [2, p, s], ctx)],
      ['empty VM configuration', (p, s) => h.call('get_buffer_bytes', [6, 0, 100, p, s], ctx)],
      ['start past the end of a buffer', (p, s) => h.call('get_buffer_bytes', [6, 50, 100, p, s], ctx)],
      ['get_status without a callout', (p, s) => h.call('get_status', [h.scratch.out(), p, s])],
      ['set_global_max_requests_per_io_cycle result', (p, s) => h.call('call_foreign_function', [...h.scratch.put('set_global_max_requests_per_io_cycle'), ...h.scratch.put(new Uint8Array(8)), p, s])],
    ];
    for (const [label, run] of checks) {
      const [p, s] = outs();
      assert.equal(run(p, s), WasmResult.Ok, label);
      assert.deepEqual([h.readU32(p), h.readU32(s)], [0, 0], label);
    }
    assert.equal(h.allocCount(), 0, 'no allocator call at all');
  });

  test('an absent key answers NotFound without allocating or touching the out-slots', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream({ requestHeaders: [['a', 'b']] });
    h.helper('reset_heap');
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    h.vm.memory.write(p, new Uint8Array([7, 7, 7, 7, 7, 7, 7, 7]));
    assert.equal(h.call('get_header_map_value', [0, ...h.scratch.put('nope'), p, s], ctx), WasmResult.NotFound);
    assert.equal(h.call('get_shared_data', [...h.scratch.put('nope'), p, s, h.scratch.out()]), WasmResult.NotFound);
    assert.equal(h.readU32(p), 0x07070707);
    assert.equal(h.allocCount(), 0);
  });

  test('inputs of (ptr 0, len 0) are valid empty inputs', async () => {
    const h = await HostcallProxy.create();
    const { ctx, effects } = h.stream({ requestHeaders: [] });
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('k'), 0, 0], ctx), WasmResult.Ok);
    assert.equal(ctx.requestHeaders?.get('k'), '');
    assert.equal(h.call('send_local_response', [204, 0, 0, 0, 0, 0, 0, 0xffffffff], ctx), WasmResult.Ok);
    assert.deepEqual(effects.localReplies.map((r) => [r.status, r.details, r.body.length, r.headers.length]), [[204, '', 0, 0]]);
  });

  test('an allocator returning 0 makes the hostcall answer InvalidMemoryAccess; the VM stays healthy', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream({ requestHeaders: [['a', 'value']] });
    h.helper('set_alloc_fail', [1]);
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_value', [0, ...h.scratch.put('a'), p, s], ctx), WasmResult.InvalidMemoryAccess);
    assert.equal(h.call('get_header_map_pairs', [0, p, s], ctx), WasmResult.InvalidMemoryAccess);
    assert.equal(h.call('get_buffer_bytes', [6, 0, 10, p, s]), WasmResult.InvalidMemoryAccess);
    assert.equal(h.vm.failure, undefined);
    h.helper('set_alloc_fail', [0]);
    assert.equal(h.call('get_header_map_value', [0, ...h.scratch.put('a'), p, s], ctx), WasmResult.Ok);
  });

  test('an allocator returning an out-of-bounds pointer makes the hostcall answer InvalidMemoryAccess', async () => {
    const mod = await compileWat('bad-alloc.wat', `(module
      (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0xfffffff0))
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "read_vm_config") (result i32) (call $gbb (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 0x10) (i32.const 0x14))))`);
    const vm = await PluginVm.create(mod, { name: 'bad', ports: new TestPorts(), vmConfig: 'abc' });
    assert.equal(vm.call(vm.contextById(0)!, 'read_vm_config', []), WasmResult.InvalidMemoryAccess);
    assert.equal(vm.failure, undefined);
  });

  test('a trap inside the allocator fails the VM (WG_VM_TRAP)', async () => {
    const mod = await compileWat('trap-alloc.wat', `(module
      (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) unreachable)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "read_vm_config") (result i32) (call $gbb (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 0x10) (i32.const 0x14))))`);
    const vm = await PluginVm.create(mod, { name: 'trap', ports: new TestPorts(), vmConfig: 'abc' });
    assert.throws(() => vm.call(vm.contextById(0)!, 'read_vm_config', []), (e: unknown) => e instanceof WasmgateError && e.code === 'WG_VM_TRAP');
    assert.equal(vm.state, 'failed');
  });
});

describe('choosing the allocator', () => {
  test('proxy_on_memory_allocate is preferred when malloc is exported too (TinyGo keeps malloc blocks alive)', async () => {
    const mod = await compileWat('both-alloc.wat', `(module
      (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "malloc") (param i32) (result i32) unreachable)
      (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0x2000))
      (func (export "proxy_abi_version_0_2_0"))
      (func (export "read_vm_config") (result i32) (call $gbb (i32.const 6) (i32.const 0) (i32.const 100) (i32.const 0x10) (i32.const 0x14))))`);
    assert.equal(mod.report.allocator, 'proxy_on_memory_allocate');
    const vm = await PluginVm.create(mod, { name: 'both', ports: new TestPorts(), vmConfig: 'abc' });
    assert.equal(vm.call(vm.contextById(0)!, 'read_vm_config', []), WasmResult.Ok);
    assert.equal(vm.memory.readU32(0x10), 0x2000);
  });

  test('malloc alone is used (tinygo-style, emscripten-style)', async () => {
    const { vm, root } = await loadPlugin('fixtures/wat/emscripten-style.wasm');
    assert.equal(vm.pluginModule.report.allocator, 'malloc');
    const t = await loadPlugin('fixtures/wat/tinygo-style.wasm');
    assert.equal(t.vm.pluginModule.report.allocator, 'malloc');
    const run = openStream([filter(t.vm, t.root)]);
    run.stream.requestHeaders(requestHeaders([], '/via/malloc'), true);
    assert.equal(run.sink.upstreamHeaders?.get('x-path-seen'), '/via/malloc');
    assert.ok(root);
  });

  test('a module with neither is refused at load (WG_PLUGIN_NO_ALLOCATOR)', async () => {
    await assert.rejects(compilePlugin(readFixture('fixtures/wat/no-allocator.wasm'), 'n'), (e: unknown) => e instanceof WasmgateError && e.code === 'WG_PLUGIN_NO_ALLOCATOR');
  });

  test('hostcalls made inside the allocator run on the VM context (id 0)', async () => {
    const mod = await compileWat('log-alloc.wat', `(module
      (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
      (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 0x100) "alloc")
      (data (i32.const 0x110) ":path")
      (func (export "proxy_on_memory_allocate") (param i32) (result i32)
        (drop (call $log (i32.const 2) (i32.const 0x100) (i32.const 5))) (i32.const 0x2000))
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (drop (call $get (i32.const 0) (i32.const 0x110) (i32.const 5) (i32.const 0x10) (i32.const 0x14)))
        (i32.const 0)))`);
    const ports = new TestPorts();
    const vm = await PluginVm.create(mod, { name: 'log-alloc', ports });
    const root = vm.createRoot({ name: 'log-alloc' });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.deepEqual(ports.logs.map((r) => [r.message, r.contextId]), [['alloc', 0]]);
    assert.equal(vm.memory.readU32(0x14), 1);
  });
});

describe('memory growth', () => {
  test('grow.wat: outputs land in pages grown inside the hostcall (no stale ArrayBuffer view)', async () => {
    const { vm, root, ports } = await loadPlugin('fixtures/wat/grow.wasm');
    for (const [i, pagesBefore] of [[0, 2], [1, 19], [2, 36]] as const) {
      const run = openStream([filter(vm, root)]);
      const headers = new HeaderMap([[':path', '/'], ['x-i', String(i)]]);
      run.stream.requestHeaders(headers, true);
      assert.equal(run.sink.upstreamHeaders?.get('x-pages'), String(pagesBefore + 16), `request ${i}`);
      assert.equal(run.sink.upstreamHeaders?.get('x-pairs'), '2');
      assert.equal(vm.memory.size, (pagesBefore + 17) * 65536);
      run.stream.finish();
    }
    assert.deepEqual(ports.messages({ level: 4 }), []);
  });

  test('kitchen-sink grow: a Go plugin growing memory by 64 MiB inside a callback keeps working', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink);
    const before = vm.memory.size;
    for (const want of ['64', '128']) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'grow']]), true);
      assert.equal(run.sink.upstreamHeaders?.get('x-grow-retained-mib'), want);
      run.stream.finish();
    }
    assert.ok(vm.memory.size - before >= 128 * 1024 * 1024, `grew ${vm.memory.size - before} bytes`);
    assert.equal(vm.failure, undefined);
    assert.deepEqual(ports.messages({ source: 'stderr' }), []);
  });

  test('memory stays flat over thousands of requests (Go headers-bench, C headers-bench)', async () => {
    for (const file of [FIXTURES.headersBench, FIXTURES.cHeadersBench, 'fixtures/as/headers-bench.wasm']) {
      const { vm, root, ports } = await loadPlugin(file);
      const once = () => {
        const run = openStream([filter(vm, root)]);
        run.stream.requestHeaders(requestHeaders(), true);
        run.stream.finish();
      };
      for (let i = 0; i < 500; i++) once();
      const warm = vm.memory.size;
      for (let i = 0; i < 1500; i++) once();
      assert.equal(vm.memory.size, warm, file);
      assert.deepEqual(ports.messages({ level: 4 }), [], file);
    }
  });
});
