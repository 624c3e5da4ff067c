/**
 * Contexts and their lifecycle (reference §3, pitfalls 4, 5, 11; STYLE §3.4 failure channel 2).
 *
 * Checklist rows:
 * - context_create, vm_start, configure, done, delete, log (must)
 * - set_effective_context, done (must) — `proxy_done` and effective-context scoping
 * Traced host checklist: 3 (vm_start needs no buffer 6), 4 (configure reads buffer 7 with
 * max 0x7fffffff; 0 = reject), 17 (a trap is a dead VM, never reused), 20 (log/done/delete order,
 * done returns 1, unique context ids).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginVm, WasmgateError, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin, startVm } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { probeModule } from './helpers/probes.js';
import { CB, HostcallProxy } from './helpers/proxy.js';

describe('root contexts', () => {
  test('context_create(root, 0) → vm_start(root, vm config size) → configure(root, plugin config size)', async () => {
    const h = await HostcallProxy.create({ vmConfig: 'vm-config!', config: '{"a":1}' });
    assert.deepEqual(h.eventLines(), ['context_create(1,0)', 'vm_start(1,10)', 'configure(1,7)']);
    assert.equal(h.root.id, 1, 'context ids start at 1 (0 is the VM context)');
  });

  test('several roots share one VM, each with its own id and configuration (mock-response)', async () => {
    const ports = new TestPorts();
    const vm = await startVm(FIXTURES.mockResponse, ports);
    const a = vm.createRoot({ name: 'a', config: '{"content":"from a"}' });
    const b = vm.createRoot({ name: 'b', config: '{"content":"from b"}' });
    assert.deepEqual([a.id, b.id], [1, 2]);
    for (const [root, body] of [[a, 'from a'], [b, 'from b'], [a, 'from a']] as const) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders(), true);
      assert.equal(new TextDecoder().decode(run.localReplies[0]?.body), body);
      run.stream.finish();
    }
  });

  test('configuration comes from buffer 7 during on_configure (mock-response parses it, rejects bad JSON)', async () => {
    const ports = new TestPorts();
    const vm = await startVm(FIXTURES.mockResponse, ports);
    assert.throws(() => vm.createRoot({ name: 'bad', config: '{not json' }), (e: unknown) =>
      e instanceof WasmgateError && e.code === 'WG_PLUGIN_CONFIGURE_REJECTED'
      && e.details.some((d) => d.startsWith('mock-response: invalid configuration: invalid character')));
    assert.throws(() => vm.createRoot({ name: 'empty', config: '' }), /proxy_on_configure returned false/);
    const ok = vm.createRoot({ name: 'ok', config: '{"content":"x"}' });
    assert.ok(ports.messages().includes('mock-response: configured with 0 rules'));
    assert.equal(vm.failure, undefined, 'a rejected configuration does not fail the VM');
    assert.ok(ok.id > 2, 'rejected roots used up their ids too; ids are never reused');
  });

  test('configure-reject.wat: WG_PLUGIN_CONFIGURE_REJECTED with the plugin log line in the details', async () => {
    const vm = await startVm('fixtures/wat/configure-reject.wasm', new TestPorts());
    vm.createRoot({ name: 'yes', config: 'accept' });
    assert.throws(() => vm.createRoot({ name: 'no', config: 'nope' }), (e: unknown) =>
      e instanceof WasmgateError && e.code === 'WG_PLUGIN_CONFIGURE_REJECTED' && e.details.includes('configure-reject: rejecting configuration "nope"'));
  });

  test('buffer 7 is readable only during on_configure', async () => {
    const h = await HostcallProxy.create({ config: 'cfg' });
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_buffer_bytes', [7, 0, 0x7fffffff, p, s]), WasmResult.NotFound);
  });

  test('proxy_on_vm_start returning 0 refuses the root (WG_PLUGIN_VM_START_REJECTED)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.vm_start, 0);
    assert.throws(() => h.vm.createRoot({ name: 'second' }), (e: unknown) => e instanceof WasmgateError && e.code === 'WG_PLUGIN_VM_START_REJECTED');
  });

  test('shutdown: on_done returning 1 deletes the root at once', async () => {
    const h = await HostcallProxy.create();
    h.resetEvents();
    assert.equal(h.root.shutdown(), true);
    assert.deepEqual(h.eventLines(1), ['done(1)', 'delete(1)']);
    assert.equal(h.root.deleted, true);
  });

  test('shutdown: on_done returning 0 waits for proxy_done(), which deletes after the VM call returns', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.done, 0);
    h.resetEvents();
    assert.equal(h.root.shutdown(), false);
    assert.equal(h.root.pendingDone, true);
    assert.deepEqual(h.eventLines(1), ['done(1)']);
    assert.equal(h.call('done', []), WasmResult.Ok);
    assert.deepEqual(h.eventLines(1), ['done(1)', 'delete(1)']);
    assert.equal(h.root.deleted, true);
  });

  test('proxy_done() when the root is not waiting answers NotFound', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.call('done', []), WasmResult.NotFound);
    assert.equal(h.call('done', [], h.vmContext), WasmResult.NotFound);
    assert.equal(h.root.deleted, false);
  });

  test('a configuration change is a new root in the same VM; the old one is torn down', async () => {
    const h = await HostcallProxy.create();
    const next = h.vm.createRoot({ name: 'proxy', config: 'v2' });
    assert.equal(next.id, 2);
    h.resetEvents();
    h.root.shutdown();
    assert.deepEqual(h.eventLines(1), ['done(1)', 'delete(1)']);
    assert.equal(next.deleted, false);
  });

  test('vm.dispose() runs on_done/on_delete for every root', async () => {
    const h = await HostcallProxy.create();
    h.vm.createRoot({ name: 'two' });
    h.resetEvents();
    h.vm.dispose();
    assert.deepEqual(h.eventLines(1), ['done(1)', 'delete(1)', 'done(2)', 'delete(2)']);
  });
});

describe('HTTP stream contexts', () => {
  test('created lazily before the first callback; log → done → delete at the end', async () => {
    const h = await HostcallProxy.create();
    h.resetEvents();
    const run = openStream([filter(h.vm, h.root)]);
    assert.deepEqual(h.eventLines(), [], 'nothing before the first callback');
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('body'), false);
    run.stream.requestTrailers(new (await import('@wasmgate/host')).HeaderMap([['t', '1']]));
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('resp'), true);
    run.stream.finish();
    const id = run.stream.contexts[0]!.id;
    assert.deepEqual(h.eventLines(), [
      `context_create(${id},1)`, `request_headers(${id},4)`, `request_body(${id},4)`, `request_trailers(${id},1)`,
      `response_headers(${id},1)`, `response_body(${id},4)`, `log(${id},0)`, `done(${id},0)`, `delete(${id},0)`,
    ]);
  });

  test('context ids are unique and never reused; a deleted id is unknown to set_effective_context', async () => {
    const h = await HostcallProxy.create();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const run = openStream([filter(h.vm, h.root)]);
      run.stream.requestHeaders(requestHeaders(), true);
      run.stream.finish();
      ids.push(run.stream.contexts[0]!.id);
    }
    assert.deepEqual(ids, [2, 3, 4, 5, 6]);
    assert.equal(h.call('set_effective_context', [ids[0]!]), WasmResult.BadArgument);
  });

  test('a context that never reached the guest gets no on_delete (Go panics on unknown ids)', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream();
    h.resetEvents();
    ctx.finish();
    assert.deepEqual(h.eventLines(), []);
    assert.equal(ctx.phase, 'deleted');
  });

  test('a plugin that never saw the request gets no callbacks for an earlier plugin\'s local reply (Envoy)', async () => {
    const first = await loadPlugin(FIXTURES.mockResponse, { root: { config: '{"content":"hi"}' } });
    const h = await HostcallProxy.create();
    h.resetEvents();
    const run = openStream([filter(first.vm, first.root), filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.finish();
    assert.equal(run.sink.downstreamBody, 'hi');
    assert.deepEqual(h.eventLines(), [], 'no context_create, no response callbacks, no on_delete');
    assert.equal(run.stream.contexts[1]?.created ?? false, false);
  });

  test('on_done returns 1 for streams (Go kitchen-sink logs "done <n>" per HTTP context)', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink);
    for (let i = 0; i < 3; i++) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders(), true);
      run.stream.responseHeaders(responseHeaders(), true);
      run.stream.finish();
    }
    assert.deepEqual(ports.messages({ level: 1 }), ['done 1', 'done 2', 'done 3']);
  });
});

describe('effective context', () => {
  test('set_effective_context lasts until the guest call returns, then resets', async () => {
    const ports = new TestPorts();
    const vm = await PluginVm.create(await probeModule(), { name: 'probe', ports });
    const root = vm.createRoot({ name: 'probe' });
    const continued: number[] = [];
    const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream: (_c, t) => void continued.push(t), closeStream() {}, localReply() {} });
    ctx.requestHeaders = new (await import('@wasmgate/host')).HeaderMap([[':path', '/']]);
    ctx.requestHeadersWritable = true;
    // From the root: effective = the stream, so the add and the continue act on it.
    assert.equal(vm.call(root, 'effective_then_add', [ctx.id]), WasmResult.Ok);
    assert.equal(vm.memory.readU32(0x20), WasmResult.Ok);
    assert.equal(ctx.requestHeaders.get('x-eff'), '1');
    assert.deepEqual(continued, [0]);
    // The next top-level call starts on its own context again: the root has no request headers.
    assert.equal(vm.call(root, 'effective_then_add', [0xffff]), WasmResult.BadArgument);
    assert.equal(vm.memory.readU32(0x20), WasmResult.BadArgument, 'unknown id');
    assert.equal(vm.memory.readU32(0x28), WasmResult.NotFound, 'continue_stream on a root');
    // The VM context (0) is a valid target.
    assert.equal(vm.call(ctx, 'effective_then_add', [0]), WasmResult.BadArgument);
    assert.equal(vm.memory.readU32(0x20), WasmResult.Ok);
  });
});

describe('VM failures are sticky', () => {
  test('trap.wat: unreachable in request headers → WG_VM_TRAP with the last log line; every later call WG_VM_FAILED', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/trap.wasm', { ports });
    const failures: WasmgateError[] = [];
    vm.onFailure((e) => failures.push(e));
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(vm.failure?.code, 'WG_VM_TRAP');
    assert.match(vm.failure.message, /unreachable/);
    assert.ok(vm.failure.details.includes('trap: about to execute unreachable'));
    assert.equal(failures.length, 1);
    assert.throws(() => vm.createRoot({ name: 'again' }), (e: unknown) => e instanceof WasmgateError && e.code === 'WG_VM_FAILED');
    const next = openStream([filter(vm, root)]);
    next.stream.requestHeaders(requestHeaders(), true);
    assert.equal(next.localReplies[0]?.status, 503);
    assert.equal(failures.length, 1, 'the failure is reported once');
  });

  test('trap.wat: out-of-bounds load in response headers → WG_VM_TRAP "memory access out of bounds"', async () => {
    const { vm, root } = await loadPlugin('fixtures/wat/trap.wasm');
    const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
    assert.throws(() => ctx.onResponseHeaders(1, true), /memory access out of bounds/);
    assert.equal(vm.state, 'failed');
  });

  test('proc-exit.wat: proc_exit(3) in a callback → WG_VM_ABORT with the exit code', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/proc-exit.wasm', { ports });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(vm.failure?.code, 'WG_VM_ABORT');
    assert.match(vm.failure.message, /proc_exit\(3\)/);
    assert.ok(ports.messages().includes('proc-exit: calling proc_exit(3)'));
  });

  test('a failed VM stops its tick timers and delivers no callout answers', async () => {
    const ports = new TestPorts();
    ports.knownClusters.add('callout-svc');
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports, root: { config: '{"calloutCluster":"callout-svc","tickMs":100}' } });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'callout']]), true);
    assert.equal(ports.httpCalls.length, 1);
    const trap = openStream([filter(vm, root)]);
    trap.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'trap']]), true);
    assert.equal(vm.state, 'failed');
    assert.equal(ports.clock.pending, 0, 'tick timer cancelled');
    ports.httpCalls[0]!.resolve({ headers: [[':status', '200']], body: new Uint8Array(0), trailers: [] });
    await new Promise((r) => setImmediate(r));
    assert.ok(!run.sink.events.some((e) => e.startsWith('up:headers')), 'the paused request was not resumed by a dead VM');
  });
});

describe('plugin configuration in on_configure (traced 4)', () => {
  test('get_buffer_bytes(7, 0, 0x7fffffff) during on_configure answers the whole configuration', async () => {
    const { compileWat } = await import('./helpers/wat.js');
    const mod = await compileWat('cfg-probe.wat', `(module
      (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (global $heap (mut i32) (i32.const 0x1000))
      (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
        (local $p i32) (local.set $p (global.get $heap)) (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))
      (func (export "proxy_abi_version_0_2_100"))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
        (i32.store (i32.const 0x20) (local.get $size))
        (i32.store (i32.const 0x24) (call $gbb (i32.const 7) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0x10) (i32.const 0x14)))
        (i32.const 1)))`);
    const vm = await PluginVm.create(mod, { name: 'cfg', ports: new TestPorts() });
    const json = '{"_rules_":[{"_match_route_":["default/foo"],"allow":["consumer1"]}],"global_auth":false}';
    vm.createRoot({ name: 'cfg', config: json });
    assert.deepEqual([vm.memory.readU32(0x20), vm.memory.readU32(0x24)], [json.length, WasmResult.Ok]);
    assert.equal(new TextDecoder().decode(vm.memory.copy(vm.memory.readU32(0x10)!, vm.memory.readU32(0x14)!)), json);
  });
});
