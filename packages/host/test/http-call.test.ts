/**
 * HTTP callouts (reference §3 async callbacks, §4 http_call/get_status rows, "Callout ids").
 *
 * Checklist rows:
 * - http_call + callback + Istio cluster resolution (must) — the host passes the cluster name
 *   verbatim to HostPorts.httpCall (resolution itself is the gateway's)
 * - set_effective_context, done, get_status (must) — get_status and the effective stream
 * - gRPC calls/streams + callbacks: issue-9-grpc-host.test.ts (here: no port ⇒ 12)
 * Traced host checklist: 9 (body (0,0), 4-byte zero-count trailers), 14 (answers go to the root;
 * set_effective_context(stream) then header edits, continue_stream(0) and local replies act on the
 * stream), 15 (non-zero unique callout ids).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePairs, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { settle, TestPorts } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';

const enc = new TextEncoder();

function callArgs(h: HostcallProxy, cluster: string, headers: [string, string][], body = '', trailers: Uint8Array = new Uint8Array(4), timeout = 500) {
  const token = h.scratch.out();
  const args = [...h.scratch.put(cluster), ...h.scratch.pairs(headers), ...(body ? h.scratch.put(body) : [0, 0]), ...h.scratch.put(trailers), timeout, token];
  return { args, token };
}
const GOOD: [string, string][] = [[':method', 'POST'], [':path', '/check?x=1'], [':authority', 'auth.svc'], ['content-length', '999'], ['x-k', 'v']];

describe('proxy_http_call (hostcall-proxy)', () => {
  test('dispatches to the port: cluster verbatim, plugin headers, content-length set by the host, timeout', async () => {
    const h = await HostcallProxy.create();
    const { args, token } = callArgs(h, 'outbound|8080||auth.default.svc.cluster.local', GOOD, 'hello');
    assert.equal(h.call('http_call', args), WasmResult.Ok);
    const req = h.ports.httpCalls[0]!.req;
    assert.equal(req.cluster, 'outbound|8080||auth.default.svc.cluster.local');
    assert.deepEqual(req.headers, [[':method', 'POST'], [':path', '/check?x=1'], [':authority', 'auth.svc'], ['x-k', 'v'], ['content-length', '5']]);
    assert.equal(new TextDecoder().decode(req.body), 'hello');
    assert.deepEqual(req.trailers, [], '4-byte zero count = no trailers');
    assert.equal(req.timeoutMs, 500);
    assert.equal(req.plugin, 'proxy');
    assert.equal(h.readU32(token), 4, 'first HTTP callout id is 4 (kind 0 in the low 2 bits)');
  });

  test('callout ids are non-zero, unique, and keep their kind in the low 2 bits (http 0, redis 3)', async () => {
    const h = await HostcallProxy.create();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { args, token } = callArgs(h, 'c', GOOD);
      assert.equal(h.call('http_call', args), WasmResult.Ok);
      ids.push(h.readU32(token));
      const rt = h.scratch.out();
      assert.equal(h.call('redis_call', [...h.scratch.put('redis'), ...h.scratch.put('*1\r\n$4\r\nPING\r\n'), rt]), WasmResult.Ok);
      ids.push(h.readU32(rt));
    }
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => id !== 0));
    assert.deepEqual(ids.map((id) => id & 3), [0, 3, 0, 3, 0, 3]);
  });

  test('body (0, 0), no trailers (0, 0), timeout 0 (= none) are valid', async () => {
    const h = await HostcallProxy.create();
    const token = h.scratch.out();
    assert.equal(h.call('http_call', [...h.scratch.put('c'), ...h.scratch.pairs(GOOD.slice(0, 3)), 0, 0, 0, 0, 0, token]), WasmResult.Ok);
    const req = h.ports.httpCalls[0]!.req;
    assert.deepEqual([req.body.length, req.trailers, req.timeoutMs], [0, [], 0]);
    assert.ok(!req.headers.some(([k]) => k === 'content-length'), 'no content-length for an empty body');
  });

  test('missing :method, :path or :authority ⇒ BadArgument; nothing dispatched', async () => {
    const h = await HostcallProxy.create();
    for (const drop of [':method', ':path', ':authority']) {
      const { args } = callArgs(h, 'c', GOOD.filter(([k]) => k !== drop));
      assert.equal(h.call('http_call', args), WasmResult.BadArgument, drop);
    }
    const { args } = callArgs(h, 'c', [[':method', 'GET'], [':path', ''], [':authority', 'a']]);
    assert.equal(h.call('http_call', args), WasmResult.BadArgument, 'empty :path');
    assert.equal(h.ports.httpCalls.length, 0);
  });

  test('unknown cluster ⇒ BadArgument; dispatch failure ⇒ InternalFailure; no HTTP port ⇒ Unimplemented', async () => {
    const h = await HostcallProxy.create();
    h.ports.knownClusters.add('known');
    h.ports.failingClusters.add('broken');
    assert.equal(h.call('http_call', callArgs(h, 'unknown', GOOD).args), WasmResult.BadArgument);
    assert.equal(h.call('http_call', callArgs(h, 'broken', GOOD).args), WasmResult.InternalFailure);
    h.ports.httpCall = undefined;
    assert.equal(h.call('http_call', callArgs(h, 'known', GOOD).args), WasmResult.Unimplemented);
  });

  test('the answer reaches the root that issued the call (also from a stream), from the event loop only', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream();
    const { args, token } = callArgs(h, 'c', GOOD);
    assert.equal(h.call('http_call', args, ctx), WasmResult.Ok);
    h.ports.httpCalls[0]!.resolve({ headers: [[':status', '200'], ['a', 'b']], body: enc.encode('0123456789'), trailers: [['t', '1']] });
    h.resetEvents();
    assert.deepEqual(h.eventLines(), [], 'not delivered synchronously');
    assert.equal(h.vm.pendingCallouts, 1);
    await settle();
    assert.deepEqual(h.eventLines(5), [`http_call_response(${h.root.id},${h.readU32(token)},2,10,1)`]);
    assert.equal(h.vm.pendingCallouts, 0);
  });

  test('reset: (0, 0, 0) and get_status = 11 "reset"', async () => {
    const h = await HostcallProxy.create();
    const { args, token } = callArgs(h, 'c', GOOD);
    h.call('http_call', args);
    h.ports.httpCalls[0]!.reject(new Error('connection reset'));
    h.resetEvents();
    await settle();
    assert.deepEqual(h.eventLines(5), [`http_call_response(1,${h.readU32(token)},0,0,0)`]);
    const [code, p, s] = [h.scratch.out(), h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_status', [code, p, s]), WasmResult.Ok);
    assert.equal(h.readU32(code), WasmResult.BrokenConnection);
    assert.equal(h.readOutText(p, s), 'reset');
  });

  test('maps 6/7 and buffer 4 exist only while the answer is delivered', async () => {
    const h = await HostcallProxy.create();
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_pairs', [6, p, s]), WasmResult.Ok);
    assert.deepEqual([h.readU32(p), h.readU32(s)], [0, 0]);
    assert.equal(h.call('get_header_map_value', [6, ...h.scratch.put(':status'), p, s]), WasmResult.BadArgument);
    assert.equal(h.call('get_buffer_bytes', [4, 0, 10, p, s]), WasmResult.NotFound);
  });

  test('answers for a root that was deleted meanwhile are dropped', async () => {
    const h = await HostcallProxy.create();
    h.call('http_call', callArgs(h, 'c', GOOD).args);
    h.root.shutdown();
    h.resetEvents();
    h.ports.httpCalls[0]!.resolve({ headers: [[':status', '200']], body: new Uint8Array(0), trailers: [] });
    await settle();
    assert.deepEqual(h.eventLines(), []);
  });
});

describe('callouts through real plugins', () => {
  async function kitchen(ports = new TestPorts()) {
    ports.knownClusters.add('callout-svc');
    return loadPlugin(FIXTURES.kitchenSink, { ports, root: { config: '{"calloutCluster":"callout-svc"}' } });
  }

  test('kitchen-sink callout: root callback, effective stream, map 6 + buffer 4, headers added, continue_stream(0)', async () => {
    const { vm, root, ports } = await kitchen();
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'callout']]), true);
    assert.deepEqual(run.sink.events, [], 'header return 1 is stop-all for ABI 0.2.1');
    const call = ports.httpCalls[0]!;
    assert.equal(call.req.cluster, 'callout-svc');
    assert.deepEqual(call.req.headers, [[':method', 'GET'], [':path', '/callout'], [':authority', 'callout.local']]);
    assert.deepEqual([call.req.body.length, call.req.trailers, call.req.timeoutMs], [0, [], 1000]);
    call.resolve({ headers: [[':status', '201'], ['x-a', 'b']], body: enc.encode('callout\nbody'), trailers: [] });
    await settle();
    assert.equal(run.sink.upstreamHeaders?.get('x-callout-status'), '201');
    assert.equal(run.sink.upstreamHeaders?.get('x-callout-body'), 'callout?body');
    assert.ok(ports.messages().some((m) => /^kitchen-sink: callout \d+ answered 201 with 12 body bytes$/.test(m)), ports.messages().join('\n'));
    run.stream.responseHeaders(responseHeaders(), true);
    run.stream.finish();
    assert.equal(vm.failure, undefined);
  });

  test('kitchen-sink callout reset: local 503 "kitchen-sink: callout failed" from the root callback', async () => {
    const { vm, root, ports } = await kitchen();
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'callout']]), true);
    ports.httpCalls[0]!.reject();
    await settle();
    assert.equal(run.sink.downstreamHeaders?.get(':status'), '503');
    assert.equal(run.sink.downstreamBody, 'kitchen-sink: callout failed');
    assert.equal(run.sink.upstreamHeaders, undefined);
  });

  test('kitchen-sink callout to an unknown cluster: proxy_http_call answers 2, the plugin replies 503', async () => {
    const ports = new TestPorts();
    ports.knownClusters.add('other');
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports, root: { config: '{"calloutCluster":"callout-svc"}' } });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'callout']]), true);
    assert.equal(run.sink.downstreamBody, 'kitchen-sink: callout: proxy_http_call failed: status 2');
  });

  test('AssemblyScript auth-callout: allowed (200), forbidden (403), reset, missing credentials', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/as/auth-callout.wasm', { ports, root: { config: '{"cluster":"auth","header":"X-Token"}' } });
    const go = (token: string | undefined) => {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders(token === undefined ? [] : [['x-token', token]]), true);
      return run;
    };
    const allowed = go('secret');
    const call = ports.httpCalls.at(-1)!;
    assert.deepEqual(call.req.headers, [[':method', 'GET'], [':path', '/check'], [':authority', 'auth.local'], ['authorization', 'secret']]);
    call.resolve({ headers: [[':status', '200']], body: enc.encode('alice'), trailers: [] });
    await settle();
    assert.equal(allowed.sink.upstreamHeaders?.get('x-auth-user'), 'alice');
    allowed.stream.responseHeaders(responseHeaders(), true);
    assert.equal(allowed.sink.downstreamHeaders?.get('x-auth-plugin'), 'as');

    const denied = go('bad');
    ports.httpCalls.at(-1)!.resolve({ headers: [[':status', '401']], body: new Uint8Array(0), trailers: [] });
    await settle();
    assert.equal(denied.sink.downstreamHeaders?.get(':status'), '403');
    assert.equal(denied.sink.downstreamHeaders?.get('x-auth-plugin'), 'as', 'the local reply ran through the response callback');
    assert.equal(denied.localReplies[0]?.details, 'auth_callout_forbidden');

    const reset = go('x');
    ports.httpCalls.at(-1)!.reject();
    await settle();
    assert.equal(reset.sink.downstreamHeaders?.get(':status'), '403');
    assert.ok(ports.messages().includes('auth-callout: forbidden, check answered no :status'));

    const missing = go(undefined);
    assert.equal(missing.sink.downstreamHeaders?.get(':status'), '401');
    assert.equal(missing.sink.downstreamHeaders?.get('www-authenticate'), 'Bearer');
    assert.equal(vm.failure, undefined);
  });

  test('an answer arriving after its stream ended: set_effective_context ⇒ 2, the plugin notices', async () => {
    const ports = new TestPorts();
    const { vm, root } = await loadPlugin('fixtures/as/auth-callout.wasm', { ports, root: { config: '{"cluster":"auth"}' } });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['authorization', 'x']]), true);
    const id = run.stream.contexts[0]!.id;
    run.stream.reset('client went away');
    run.stream.finish();
    ports.httpCalls[0]!.resolve({ headers: [[':status', '200']], body: new Uint8Array(0), trailers: [] });
    await settle();
    assert.ok(ports.messages().includes(`auth-callout: stream ${id} is gone`), ports.messages().join('\n'));
    assert.equal(vm.failure, undefined);
  });
});

describe('gRPC without a gRPC port', () => {
  test('grpc_call / grpc_stream answer 12 and write no token; send / cancel / close of an unknown token answer NotFound', async () => {
    const h = await HostcallProxy.create();
    const token = h.scratch.out();
    h.vm.memory.write(token, new Uint8Array([1, 2, 3, 4]));
    assert.equal(h.call('grpc_call', [...h.scratch.put('cluster'), ...h.scratch.put('svc'), ...h.scratch.put('m'), 0, 0, 0, 0, 1000, token]), WasmResult.Unimplemented);
    assert.equal(h.call('grpc_stream', [...h.scratch.put('cluster'), ...h.scratch.put('svc'), ...h.scratch.put('m'), 0, 0, token]), WasmResult.Unimplemented);
    assert.equal(h.call('grpc_send', [1, 0, 0, 1]), WasmResult.NotFound);
    assert.equal(h.call('grpc_cancel', [1]), WasmResult.NotFound);
    assert.equal(h.call('grpc_close', [1]), WasmResult.NotFound);
    assert.equal(h.readU32(token), 0x04030201);
    assert.deepEqual(decodePairs(new Uint8Array(0)), []);
  });
});
