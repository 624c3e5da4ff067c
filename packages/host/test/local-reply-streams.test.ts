/**
 * Local replies and stream control (reference §3 return handling, §4 stream rows; pitfalls 5, 12).
 *
 * Checklist rows:
 * - send_local_response, continue_stream, close_stream (must)
 * - 0.1.0 calls: continue_request/continue_response (could)
 * Traced host checklist: 10 (zero-count pairs = no headers; keys lower-cased), 12 (a local reply
 * stops the stream whatever the callback returns, runs through the response callbacks, only one
 * per stream), 13 (stop-all until continue_stream(0) or a local reply).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePairs, PluginVm, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin, startVm } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { CB, HostcallProxy } from './helpers/proxy.js';
import { compileWat } from './helpers/wat.js';

const dec = new TextDecoder();

/**
 * A plugin whose on_request_headers sends a local reply (418, details "i am a teapot", body
 * "short and stout", header X-Teapot: yes, not gRPC), stores the status of a second attempt at 0x20
 * and returns the value set with set_ret; on_response_headers counts its calls at 0x30. A second
 * export, continue_then_add, calls continue_stream(0) and then adds x-after-continue: 1.
 */
const REPLY_WAT = `(module
  (import "env" "proxy_send_local_response" (func $reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_continue_stream" (func $continue (param i32) (result i32)))
  (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "i am a teapot")
  (data (i32.const 0x120) "short and stout")
  (data (i32.const 0x140) "\\01\\00\\00\\00\\08\\00\\00\\00\\03\\00\\00\\00X-Teapot\\00yes\\00")
  (data (i32.const 0x180) "x-after-continue")
  (data (i32.const 0x190) "1")
  (global $ret (mut i32) (i32.const 0))
  (global $mode (mut i32) (i32.const 0))
  (func (export "set_ret") (param i32) (global.set $ret (local.get 0)))
  (func (export "set_mode") (param i32) (global.set $mode (local.get 0)))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0x1000))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (if (i32.eq (global.get $mode) (i32.const 1))
      (then
        (drop (call $continue (i32.const 0)))
        (drop (call $add (i32.const 0) (i32.const 0x180) (i32.const 16) (i32.const 0x190) (i32.const 1)))
        (return (i32.const 4))))
    (drop (call $reply (i32.const 418) (i32.const 0x100) (i32.const 13) (i32.const 0x120) (i32.const 15)
      (i32.const 0x140) (i32.const 25) (i32.const -1)))
    (i32.store (i32.const 0x20) (call $reply (i32.const 500) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const -1)))
    (global.get $ret))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
    (i32.store (i32.const 0x30) (i32.add (i32.load (i32.const 0x30)) (i32.const 1)))
    (i32.const 0))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1)))`;

async function replyPlugin() {
  const vm = await PluginVm.create(await compileWat('reply.wat', REPLY_WAT), { name: 'reply', ports: new TestPorts() });
  return { vm, root: vm.createRoot({ name: 'reply' }) };
}

describe('proxy_send_local_response', () => {
  for (const ret of [0, 1, 4, 100]) {
    test(`sent from on_request_headers returning ${ret}: the stream stops and the reply goes downstream`, async () => {
      const { vm, root } = await replyPlugin();
      vm.call(root, 'set_ret', [ret]);
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders(), true);
      assert.ok(!run.sink.events.includes('up:headers') && !run.sink.events.includes('up:headers:eos'), 'nothing reached upstream');
      assert.equal(run.sink.aborted, true);
      assert.equal(run.sink.downstreamHeaders?.get(':status'), '418');
      assert.equal(run.sink.downstreamHeaders?.get('x-teapot'), 'yes', 'extra headers, keys lower-cased');
      assert.equal(run.sink.downstreamBody, 'short and stout');
      assert.equal(run.localReplies[0]?.details, 'i_am_a_teapot', 'spaces become underscores');
      assert.equal(run.localReplies[0]?.grpcStatus, undefined, '0xffffffff = not gRPC');
      assert.equal(vm.memory.readU32(0x20), WasmResult.BadArgument, 'a second local reply in the same stream');
      assert.equal(run.localReplies.length, 1);
      assert.equal(vm.memory.readU32(0x30), 1, 'the reply ran through this plugin\'s response callback');
    });
  }

  test('mock-response (Go): rules by route and domain, global content; no upstream request', async () => {
    const cfg = '{"content":"hello higress","_rules_":[{"_match_route_":["default/foo"],"content":"hello foo"},{"_match_domain_":["*.example.com","www.test.com"],"content":"hello world"}]}';
    const { vm, root, ports } = await loadPlugin(FIXTURES.mockResponse, { root: { config: cfg } });
    const cases: [string | undefined, string | undefined, string, string][] = [
      ['default/foo', 'x.test', 'hello foo', 'mock-response: rule 0 matched route "default/foo"'],
      ['other', 'a.example.com:8080', 'hello world', 'mock-response: rule 1 matched domain "*.example.com" (host "a.example.com")'],
      [undefined, 'WWW.Test.com', 'hello world', 'mock-response: rule 1 matched domain "www.test.com" (host "www.test.com")'],
      [undefined, 'example.com', 'hello higress', 'mock-response: no rule matched; global content'],
      [undefined, undefined, 'hello higress', 'mock-response: no rule matched; global content'],
    ];
    for (const [route, authority, body, line] of cases) {
      ports.logs.length = 0;
      const run = openStream([filter(vm, root)], { props: route ? { route_name: route } : {} });
      const headers = requestHeaders();
      if (authority) headers.set(':authority', authority);
      else headers.remove(':authority');
      run.stream.requestHeaders(headers, true);
      assert.equal(run.sink.downstreamHeaders?.get(':status'), '200');
      assert.equal(run.sink.downstreamHeaders?.get('content-type'), 'text/plain');
      assert.equal(run.sink.downstreamBody, body, `${route} ${authority}`);
      assert.equal(run.sink.upstreamHeaders, undefined);
      assert.deepEqual(ports.messages({ level: 2 }), [line]);
      run.stream.finish();
    }
  });

  test('an earlier plugin sees the local reply of a later one in its response callbacks', async () => {
    const h = await HostcallProxy.create();
    const mock = await loadPlugin(FIXTURES.mockResponse, { root: { config: '{"content":"mocked"}' } });
    const run = openStream([filter(h.vm, h.root), filter(mock.vm, mock.root)]);
    h.resetEvents();
    run.stream.requestHeaders(requestHeaders(), true);
    const id = run.stream.contexts[0]!.id;
    assert.deepEqual(h.eventLines(3), [`context_create(${id},1,0)`, `request_headers(${id},4,1)`, `response_headers(${id},3,0)`, `response_body(${id},6,1)`]);
    assert.equal(run.sink.downstreamBody, 'mocked');
  });

  test('hostcall details: headers from a 4-byte zero count, gRPC status, empty body and details', async () => {
    const h = await HostcallProxy.create();
    const { ctx, effects } = h.stream();
    assert.equal(h.call('send_local_response', [503, 0, 0, 0, 0, ...h.scratch.put(new Uint8Array(4)), 14], ctx), WasmResult.Ok);
    assert.deepEqual(effects.localReplies.map((r) => [r.status, r.details, r.body.length, r.headers, r.grpcStatus]), [[503, '', 0, [], 14]]);
    assert.equal(h.call('send_local_response', [200, 0, 0, 0, 0, 0, 0, -1], ctx), WasmResult.BadArgument);
    const other = h.stream();
    assert.equal(h.call('send_local_response', [200, 0, 0, 0, 0, ...h.scratch.put(encodePairs([['A', '1'], ['b', '2']])), -1], other.ctx), WasmResult.Ok);
    assert.deepEqual(other.effects.localReplies[0]?.headers, [['a', '1'], ['b', '2']]);
  });

  test('a local reply from the response path replaces the upstream response', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.response_headers, 4);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(200, [['x-up', '1']]), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('send_local_response', [502, ...h.scratch.put('bad upstream'), ...h.scratch.put('nope'), 0, 0, -1], ctx), WasmResult.Ok);
    assert.equal(run.sink.downstreamHeaders?.get(':status'), '502');
    assert.equal(run.sink.downstreamHeaders?.get('x-up'), undefined);
    assert.equal(run.sink.downstreamBody, 'nope');
  });

  test('a local reply after the response started resets the stream', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('send_local_response', [500, 0, 0, 0, 0, 0, 0, -1], ctx), WasmResult.Ok);
    assert.match(run.sink.resetReason ?? '', /local reply 500 after the response started/);
  });
});

describe('proxy_continue_stream / proxy_close_stream', () => {
  test('continue_stream inside a callback takes effect after the callback returns (no re-entry)', async () => {
    const { vm, root } = await replyPlugin();
    vm.call(root, 'set_mode', [1]);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(run.sink.upstreamHeaders?.get('x-after-continue'), '1', 'the header added after continue_stream went upstream');
  });

  test('stop-all (4) holds the request until continue_stream(0)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 4);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.deepEqual(run.sink.events, []);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('continue_stream', [1], ctx), WasmResult.Ok, 'continuing the other direction changes nothing');
    assert.deepEqual(run.sink.events, []);
    assert.equal(h.call('continue_stream', [0], ctx), WasmResult.Ok);
    assert.deepEqual(run.sink.events, ['up:headers:eos']);
  });

  test('continue_stream(1) releases held response headers', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.response_headers, 4);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.ok(!run.sink.events.some((e) => e.startsWith('down:')));
    assert.equal(h.call('continue_stream', [1], run.stream.contexts[0]!), WasmResult.Ok);
    assert.ok(run.sink.events.includes('down:headers:eos'));
  });

  test('stream types: 2 and 3 (TCP) ⇒ Unimplemented, 4+ ⇒ BadArgument, outside a stream ⇒ NotFound', async () => {
    const h = await HostcallProxy.create();
    const { ctx, effects } = h.stream();
    for (const [t, want] of [[2, 12], [3, 12], [4, 2], [0xffffffff, 2]] as const) {
      assert.equal(h.call('continue_stream', [t], ctx), want, `continue ${t}`);
      assert.equal(h.call('close_stream', [t], ctx), want, `close ${t}`);
    }
    assert.equal(h.call('continue_stream', [0]), WasmResult.NotFound);
    assert.deepEqual([effects.continued, effects.closed], [[], []]);
  });

  test('close_stream resets the stream (wasm_close_stream)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 4);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(h.call('close_stream', [0], run.stream.contexts[0]!), WasmResult.Ok);
    assert.equal(run.sink.resetReason, 'wasm_close_stream');
    assert.equal(run.stream.resetReason, 'wasm_close_stream');
  });

  test('ABI 0.1.0 continue_request()/continue_response() = continue_stream(0/1)', async () => {
    const h = await HostcallProxy.create();
    const { ctx, effects } = h.stream();
    assert.equal(h.call('continue_request', [], ctx), WasmResult.Ok);
    assert.equal(h.call('continue_response', [], ctx), WasmResult.Ok);
    assert.deepEqual(effects.continued, [0, 1]);
    assert.equal(h.call('continue_request', []), WasmResult.NotFound);
  });

  test('a Go plugin answers locally from a failure path (kitchen-sink callout without a cluster: 500)', async () => {
    const ports = new TestPorts();
    const vm = await startVm(FIXTURES.kitchenSink, ports);
    const root = vm.createRoot({ name: 'ks' });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'callout']]), true);
    assert.equal(run.sink.downstreamHeaders?.get(':status'), '500');
    assert.equal(run.sink.downstreamBody, 'kitchen-sink: callout: calloutCluster is not configured');
    assert.equal(run.localReplies[0]?.details, 'kitchen_sink_failed');
    assert.equal(dec.decode(run.localReplies[0]?.body), 'kitchen-sink: callout: calloutCluster is not configured');
  });
});
