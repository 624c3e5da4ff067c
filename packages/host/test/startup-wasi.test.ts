/**
 * Start-up, WASI and toolchain shapes (reference §2, pitfalls 7, 8, 13, 14).
 *
 * Checklist rows:
 * - `_initialize`/`main`/`_start`/start-section (must)
 * - WASI core (fd_write, clocks, random, environ, args, proc_exit, poll_oneoff, sched_yield,
 *   fd_fdstat_*, fd_prestat_*, fd_close) + stubs, both namespaces (must)
 * - `env.emscripten_notify_memory_growth`, `env.abort/seed/trace` (should)
 * Traced host checklist: 2 (every wasi_snapshot_preview1 import, fd_prestat_get 8), 17 (fd 2 is
 * line-buffered; a trap is a dead VM).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogLevel, PluginVm, WasmgateError } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin, startVm } from './helpers/fixtures.js';
import { TestPorts, VirtualClock } from './helpers/ports.js';
import { envExtrasModule } from './helpers/toolchain-modules.js';
import { compileWat } from './helpers/wat.js';

/** A module logging which start-up exports the host called, in order. */
function orderModule(exports: string[], extra = ''): string {
  const funcs = exports.map((name, i) => `
  (data (i32.const ${0x100 + i * 0x20}) "${name}")
  (func (export "${name}") ${name === 'main' ? '(param i32 i32) (result i32)' : ''}
    (drop (call $log (i32.const 2) (i32.const ${0x100 + i * 0x20}) (i32.const ${name.length})))
    ${name === 'main' ? '(i32.const 0)' : ''})`).join('');
  return `(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0x1000))
  (func (export "proxy_abi_version_0_2_1"))${funcs}${extra})`;
}

describe('start-up order', () => {
  test('_initialize, then main(0, 0); _start is not called when _initialize exists', async () => {
    const ports = new TestPorts();
    await PluginVm.create(await compileWat('order.wat', orderModule(['_start', '_initialize', 'main'])), { name: 'order', ports });
    assert.deepEqual(ports.messages(), ['_initialize', 'main']);
    assert.deepEqual(ports.logs.map((r) => r.contextId), [0, 0], 'start-up runs on the VM context (id 0)');
  });

  test('_start alone is called (TinyGo, older Rust/C++)', async () => {
    const ports = new TestPorts();
    await PluginVm.create(await compileWat('order2.wat', orderModule(['_start'])), { name: 'order', ports });
    assert.deepEqual(ports.messages(), ['_start']);
  });

  test('start section (start-section.wat): runs during instantiation with hostcalls on the VM context', async () => {
    const ports = new TestPorts();
    const { vm } = await loadPlugin('fixtures/wat/start-section.wasm', { ports, vm: { name: 'as-like' } });
    assert.deepEqual(ports.logs.map((r) => [r.level, r.message, r.contextId, r.plugin, r.rootId]), [[LogLevel.info, 'hello from start', 0, 'as-like', '']]);
    // proxy_on_vm_start returned 1 only because the start function ran: createRoot did not throw.
    assert.equal(vm.state, 'running');
  });

  test('tinygo-style: _start ends with proc_exit(0), a normal end; malloc serves the host', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/tinygo-style.wasm', { ports });
    assert.equal(vm.failure, undefined);
    assert.equal(ports.messages()[0], 'started');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([], '/tiny/path'), true);
    assert.equal(run.sink.upstreamHeaders?.get('x-path-seen'), '/tiny/path');
    assert.deepEqual(ports.messages({ level: 4 }), []);
  });

  test('proc_exit(1) in _start fails the load with WG_PLUGIN_START_FAILED', async () => {
    const text = orderModule([], `
  (func (export "_start") (call $exit (i32.const 1)))`);
    await assert.rejects(PluginVm.create(await compileWat('exit1.wat', text), { name: 'x', ports: new TestPorts() }),
      (e: unknown) => e instanceof WasmgateError && e.code === 'WG_PLUGIN_START_FAILED' && /proc_exit\(1\)/.test(e.message));
  });

  test('a trap in _initialize fails the load with WG_PLUGIN_START_FAILED and the plugin log lines', async () => {
    const text = orderModule([], `
  (data (i32.const 0x400) "dying")
  (func (export "_initialize") (drop (call $log (i32.const 3) (i32.const 0x400) (i32.const 5))) unreachable)`);
    await assert.rejects(PluginVm.create(await compileWat('trapinit.wat', text), { name: 'x', ports: new TestPorts() }),
      (e: unknown) => e instanceof WasmgateError && e.code === 'WG_PLUGIN_START_FAILED' && e.details.includes('dying'));
  });

  test('Go 1.24 c-shared (_initialize only, 16 WASI imports incl. fd_write twice) starts and serves', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports });
    assert.equal(vm.failure, undefined);
    assert.equal(vm.pluginModule.report.start, '_initialize');
    assert.ok(vm.pluginModule.report.imports.filter((i) => i.module === 'wasi_snapshot_preview1' && i.name === 'fd_write').length === 2);
    assert.deepEqual(ports.messages({ source: 'stderr' }), [], 'the Go runtime started without complaint');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), true);
    run.stream.finish();
    assert.ok(run.sink.downstreamHeaders);
  });
});

describe('WASI as Envoy implements it (wasi-env.wat)', () => {
  test('every line of wasi-env matches the reference', async () => {
    const ports = new TestPorts();
    await loadPlugin('fixtures/wat/wasi-env.wasm', { ports, vm: { env: { A: '1', LONGER: 'value' } } });
    const lines = ports.logs.map((r) => `${r.level} ${r.source} ${r.message}`);
    const wall = VirtualClock.WALL_BASE_NS;
    const mono = VirtualClock.MONO_BASE_NS;
    assert.deepEqual(lines, [
      '2 proxy_log wasi-env: args_sizes_get errno=0 argc=0 bufsize=0',
      '2 proxy_log wasi-env: environ_sizes_get errno=0 count=2 bufsize=17',
      '2 proxy_log wasi-env: environ_get errno=0',
      '2 proxy_log wasi-env: env A=1',
      '2 proxy_log wasi-env: env LONGER=value',
      '2 stdout to stdout',
      '2 proxy_log wasi-env: fd_write(1) errno=0 nwritten=10',
      '4 stderr to stderr',
      '2 proxy_log wasi-env: fd_write(2) errno=0 nwritten=10',
      '2 proxy_log wasi-env: fd_write(7) errno=8',
      '2 proxy_log wasi-env: fd_write(bad iovec) errno=21',
      '2 stdout via wasi_unstable',
      '2 proxy_log wasi-env: wasi_unstable.fd_write(1) errno=0 nwritten=18',
      '2 proxy_log wasi-env: random_get(16) errno=0 nonzero=1',
      '2 proxy_log wasi-env: random_get(65537) errno=28',
      `2 proxy_log wasi-env: clock_time_get(realtime) errno=0 ns=${wall}`,
      `2 proxy_log wasi-env: clock_time_get(monotonic) errno=0 ns=${mono}`,
      '2 proxy_log wasi-env: clock_time_get(2) errno=58',
      '2 proxy_log wasi-env: path_open errno=44',
      '2 proxy_log wasi-env: fd_read errno=52',
    ]);
  });

  test('no plugin environment: environ_sizes_get answers 0/0 and environ_get is skipped', async () => {
    const ports = new TestPorts();
    await loadPlugin('fixtures/wat/wasi-env.wasm', { ports });
    assert.equal(ports.messages()[1], 'wasi-env: environ_sizes_get errno=0 count=0 bufsize=0');
    assert.ok(!ports.messages().some((m) => m.startsWith('wasi-env: environ_get')));
  });

  test('the clocks follow the host ports (virtual time)', async () => {
    const ports = new TestPorts();
    ports.clock.advance(1234);
    await loadPlugin('fixtures/wat/wasi-env.wasm', { ports });
    assert.ok(ports.messages().includes(`wasi-env: clock_time_get(realtime) errno=0 ns=${VirtualClock.WALL_BASE_NS + 1_234_000_000n}`));
  });

  test('fd 2 is line-buffered: a Go panic written in fragments becomes whole error lines, flushed when the VM dies', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'trap']]), true);
    const stderr = ports.logs.filter((r) => r.source === 'stderr');
    assert.equal(stderr[0]?.message, 'panic: kitchen-sink: trap mode');
    assert.ok(stderr.every((r) => r.level === LogLevel.error));
    assert.ok(stderr.some((r) => r.message === 'goroutine 1 [running]:'), stderr.map((r) => r.message).join('\n'));
    assert.equal(vm.failure?.code, 'WG_VM_TRAP');
    assert.ok(vm.failure.details.includes('panic: kitchen-sink: trap mode'), 'the panic text is in the failure details');
  });
});

describe('toolchain extras', () => {
  test('Emscripten: emscripten_notify_memory_growth is provided; _initialize grew memory to 3 pages', async () => {
    const { vm, root } = await loadPlugin('fixtures/wat/emscripten-style.wasm');
    assert.equal(vm.memory.size, 3 * 65536);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(run.sink.upstreamHeaders?.get('x-emscripten'), '1');
  });

  test('AssemblyScript env.abort: message, file, line and column decoded from UTF-16 strings', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/as-abort.wasm', { ports });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(vm.failure?.code, 'WG_VM_ABORT');
    assert.match(vm.failure.message, /abort: as-abort: bad input → abort at assembly\/as-abort\.ts:12:5/);
    assert.equal(run.localReplies[0]?.status, 503, 'FAIL_CLOSE answers 503');
    assert.ok(ports.messages({ level: LogLevel.critical }).some((m) => m.includes('as-abort: bad input → abort')));
  });

  test('AssemblyScript env.abort(0, 0, 0, 0) reads no length at address -4', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/as-abort.wasm', { ports });
    const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
    assert.throws(() => ctx.onResponseHeaders(1, true), /abort: \(no message\) at \?:0:0/);
    assert.deepEqual(ports.hostBugs(), []);
  });

  test('AssemblyScript routed abort (abort-routed.wasm): critical log, then a trap', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/as/abort-routed.wasm', { ports });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.ok(ports.messages({ level: LogLevel.critical }).includes('abort: abort-routed: request rejected at fixtures/as/abort-routed/index.ts:14:5'));
    assert.equal(vm.failure?.code, 'WG_VM_TRAP');
  });

  test('env.trace logs the decoded message and up to n of its numbers; env.seed draws from the ports', async () => {
    const ports = new TestPorts();
    const vm = await PluginVm.create(await envExtrasModule(), { name: 'extras', ports });
    const ctx = vm.contextById(0)!;
    // AssemblyScript string "hi!" (UTF-16LE) with its byte length at ptr-4.
    vm.memory.write(0x1000, new Uint8Array([6, 0, 0, 0, 0x68, 0, 0x69, 0, 0x21, 0]));
    vm.call(ctx, 'call_trace', [0x1004, 2, 1.5, -2, 3, 4, 5]);
    assert.deepEqual(ports.logs.map((r) => [r.level, r.message, r.source]), [[LogLevel.info, 'trace: hi! 1.5, -2', 'host']]);
    const a = vm.call(ctx, 'call_seed', [])!;
    const b = vm.call(ctx, 'call_seed', [])!;
    assert.ok(Number.isFinite(a) && Number.isFinite(b) && a !== b);
  });

  test('a module importing a function nobody provides is refused at load, naming each import', async () => {
    const { compilePlugin } = await import('@wasmgate/host');
    const { readFixture } = await import('./helpers/fixtures.js');
    await assert.rejects(compilePlugin(readFixture('fixtures/wat/unknown-import.wasm'), 'u'), (e: unknown) =>
      e instanceof WasmgateError && e.code === 'WG_PLUGIN_LINK'
      && e.message.includes('env.proxy_does_not_exist') && e.message.includes('acme_private.hook') && !e.message.includes('env.proxy_log'));
  });

  test('startVm helper: a module without callbacks (minimal.wasm) starts and passes requests', async () => {
    const ports = new TestPorts();
    const vm = await startVm('fixtures/wat/minimal.wasm', ports);
    const root = vm.createRoot({ name: 'minimal' });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), true);
    run.stream.finish();
    assert.deepEqual(run.sink.events, ['up:headers:eos', 'down:headers:eos']);
  });
});
