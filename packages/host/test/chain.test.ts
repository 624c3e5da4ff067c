/**
 * The filter chain (HttpStream): Envoy-like iteration over several Wasm plugins (reference §3
 * "HTTP stream", "Return handling"; STYLE §3.4 failStrategy).
 *
 * Checklist rows:
 * - request/response headers/body/trailers + status mapping (must) — along a chain of plugins
 * - context_create, vm_start, configure, done, delete, log (must) — per plugin of a chain
 * Traced host checklist: 12 (a local reply runs through the response callbacks), 13 (header
 * returns 0/1/4, body return 1), 17 (a trapped VM is never reused; fail-open / fail-closed).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODE_HEADER, HeaderMap, PluginVm } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { CB, HostcallProxy } from './helpers/proxy.js';
import { compileWat } from './helpers/wat.js';

/** A plugin that logs "<name> <callback>" for headers and body callbacks, and continues. */
async function tracer(name: string, ports: TestPorts) {
  const lines = ['req', 'resp', 'reqbody', 'respbody'].map((cb) => `${name} ${cb}`);
  const data = lines.map((l, i) => `(data (i32.const ${0x100 + i * 0x40}) "${l}")`).join('\n');
  const logAt = (i: number) => `(drop (call $log (i32.const 2) (i32.const ${0x100 + i * 0x40}) (i32.const ${lines[i]!.length})))`;
  const mod = await compileWat(`tracer-${name}.wat`, `(module
    (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    ${data}
    (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0x1000))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${logAt(0)} (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) ${logAt(1)} (i32.const 0))
    (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32) ${logAt(2)} (i32.const 0))
    (func (export "proxy_on_response_body") (param i32 i32 i32) (result i32) ${logAt(3)} (i32.const 0)))`);
  const vm = await PluginVm.create(mod, { name, ports });
  return filter(vm, vm.createRoot({ name }), name);
}

describe('iteration order', () => {
  test('request: first → last; response: last → first', async () => {
    const ports = new TestPorts();
    const chain = [await tracer('a', ports), await tracer('b', ports), await tracer('c', ports)];
    const run = openStream(chain);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('x'), true);
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('y'), true);
    run.stream.finish();
    assert.deepEqual(ports.messages(), [
      'a req', 'b req', 'c req', 'a reqbody', 'b reqbody', 'c reqbody',
      'c resp', 'b resp', 'a resp', 'c respbody', 'b respbody', 'a respbody',
    ]);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(1):eos', 'down:headers', 'down:data(1):eos']);
  });

  test('headers with end_of_stream: no body callbacks; an empty final chunk (HTTP/1) is delivered with eos', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    h.resetEvents();
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('abc'), false);
    run.stream.responseData(new Uint8Array(0), true);
    const id = run.stream.contexts[0]!.id;
    assert.deepEqual(h.eventLines(3).slice(1), [`request_headers(${id},4,1)`, `response_headers(${id},1,0)`, `response_body(${id},3,0)`, `response_body(${id},0,1)`]);
  });

  test('a local reply from the second plugin runs through both plugins\' response callbacks (last → first)', async () => {
    const ports = new TestPorts();
    const a = await tracer('a', ports);
    const mock = await loadPlugin(FIXTURES.mockResponse, { ports, root: { config: '{"content":"local"}' } });
    const run = openStream([a, filter(mock.vm, mock.root), await tracer('c', ports)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.deepEqual(ports.messages().filter((m) => !m.startsWith('mock-response')), ['a req', 'a resp', 'a respbody']);
    assert.equal(run.sink.downstreamBody, 'local');
    assert.equal(run.stream.contexts[2], undefined, 'the third plugin never saw anything');
  });
});

describe('stop and continue along a chain', () => {
  test('stop-all in the second plugin: the first already saw the body, the second gets it on continue', async () => {
    const ports = new TestPorts();
    const a = await tracer('a', ports);
    const h = await HostcallProxy.create({ ports });
    h.setReturn(CB.request_headers, 4);
    const run = openStream([a, filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('12'), false);
    run.stream.requestData(bytes('345'), true);
    assert.deepEqual(ports.messages(), ['a req', 'a reqbody', 'a reqbody']);
    assert.deepEqual(run.sink.events, []);
    const ctx = run.stream.contexts[1]!;
    h.resetEvents();
    h.call('continue_stream', [0], ctx);
    assert.deepEqual(h.eventLines(3), [`request_body(${ctx.id},5,1)`]);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(5):eos']);
  });

  test('a first plugin buffering the body (return 1) while the second holds the headers: both see the body, in order', async () => {
    const ks = await loadPlugin(FIXTURES.kitchenSink);
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 4);
    const run = openStream([filter(ks.vm, ks.root), filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'body-upper']], '/', 'POST'), false);
    run.stream.requestData(bytes('abc'), false);
    run.stream.requestData(bytes('def'), true);
    const ctx = run.stream.contexts[1]!;
    h.resetEvents();
    h.call('continue_stream', [0], ctx);
    assert.deepEqual(h.eventLines(3), [`request_body(${ctx.id},6,1)`], 'the second plugin got the first one\'s whole, upper-cased body');
    assert.equal(run.sink.upstreamBody, 'ABCDEF');
  });

  test('trailers reach the plugins before a hold; the holding plugin gets them after its body', async () => {
    const ports = new TestPorts();
    const a = await HostcallProxy.create({ ports });
    const b = await HostcallProxy.create({ ports });
    b.setReturn(CB.request_headers, 4);
    const run = openStream([filter(a.vm, a.root), filter(b.vm, b.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('xy'), false);
    a.resetEvents();
    b.resetEvents();
    run.stream.requestTrailers(new HeaderMap([['t', '1']]));
    assert.deepEqual(a.events().map((e) => e.name), ['request_trailers']);
    assert.deepEqual(b.events().map((e) => e.name), []);
    b.call('continue_stream', [0], run.stream.contexts[1]!);
    assert.deepEqual(b.events().map((e) => e.name), ['request_body', 'request_trailers']);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(2)', 'up:trailers']);
  });

  test('stop-all, then on continue the body passes but the trailers callback stops: headers and body go on, trailers wait', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 4);
    h.setReturn(CB.request_trailers, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('abc'), false);
    run.stream.requestTrailers(new HeaderMap([['t', '1']]));
    const ctx = run.stream.contexts[0]!;
    h.call('continue_stream', [0], ctx);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(3)']);
    h.call('continue_stream', [0], ctx);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(3)', 'up:trailers']);
  });

  test('body return 3 drops the chunk; later chunks still reach the plugin', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 3);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('drop-me'), false);
    h.setReturn(CB.request_body, 0);
    run.stream.requestData(bytes('keep'), true);
    assert.equal(run.sink.upstreamBody, 'keep');
  });

  test('body return 2 (watermark) over the limit pauses the sender instead of failing; continue resumes', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 2);
    const run = openStream([filter(h.vm, h.root)], { requestBufferLimit: 4 });
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('123456'), false);
    assert.deepEqual(run.sink.pauses, ['request:pause']);
    assert.equal(run.localReplies.length, 0);
    h.call('continue_stream', [0], run.stream.contexts[0]!);
    assert.deepEqual(run.sink.pauses, ['request:pause', 'request:resume']);
    assert.equal(run.sink.upstreamBody, '123456');
  });

  test('body return 1 over the buffer limit answers 413 for a request (500 for a response: properties.test.ts)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 1);
    const run = openStream([filter(h.vm, h.root)], { requestBufferLimit: 4 });
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('12345'), false);
    assert.equal(run.sink.downstreamHeaders?.get(':status'), '413');
  });
});

describe('failStrategy when a plugin VM fails', () => {
  test('FAIL_CLOSE: 503 with the error code header; the next request is refused with WG_VM_FAILED', async () => {
    const { vm, root } = await loadPlugin('fixtures/wat/trap.wasm');
    const first = openStream([filter(vm, root)]);
    first.stream.requestHeaders(requestHeaders(), true);
    assert.equal(first.sink.downstreamHeaders?.get(':status'), '503');
    assert.equal(first.sink.downstreamHeaders?.get(ERROR_CODE_HEADER), 'WG_VM_TRAP');
    assert.equal(first.filterErrors[0]?.code, 'WG_VM_TRAP');
    assert.equal(first.localReplies[0]?.details, 'wasm_fail_stream');
    const second = openStream([filter(vm, root)]);
    second.stream.requestHeaders(requestHeaders(), true);
    assert.equal(second.sink.downstreamHeaders?.get(ERROR_CODE_HEADER), 'WG_VM_FAILED');
  });

  test('FAIL_OPEN: the failed plugin is skipped and the request goes on to the next plugin and upstream', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/wat/trap.wasm', { ports });
    const after = await tracer('after', ports);
    const run = openStream([filter(vm, root, 'trap', 'FAIL_OPEN'), after]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.ok(run.sink.upstreamHeaders);
    assert.deepEqual(ports.messages({ source: 'proxy_log' }), ['trap: about to execute unreachable', 'after req']);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.ok(run.sink.downstreamHeaders, 'the failed plugin is skipped on the response path too');
    run.stream.finish();
  });

  test('a Go panic (kitchen-sink trap) fails its VM; other plugins in the chain keep working', async () => {
    const ports = new TestPorts();
    const ks = await loadPlugin(FIXTURES.kitchenSink, { ports });
    const other = await loadPlugin(FIXTURES.headersBench, { ports });
    const run = openStream([filter(other.vm, other.root), filter(ks.vm, ks.root, 'ks', 'FAIL_OPEN')]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'trap']]), true);
    assert.equal(ks.vm.state, 'failed');
    assert.equal(other.vm.state, 'running');
    assert.ok(run.sink.upstreamHeaders);
    const next = openStream([filter(other.vm, other.root)]);
    next.stream.requestHeaders(new HeaderMap([[':path', '/']]), true);
    assert.ok(next.sink.upstreamHeaders);
  });
});
