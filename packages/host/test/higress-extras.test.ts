/**
 * Higress-only hostcalls that act on a stream (reference §4 Higress rows, §6 inject FFI; §8
 * RouteCall is covered in abi-versions.test.ts, redis in redis.test.ts).
 *
 * Checklist rows:
 * - inject_encoded_data (+ `_on_header` FFI) (should) — proxy_inject_encoded_data_to_filter_chain
 * - get_upstream_hosts, set_upstream_override_host (should)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePairs, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { CB, HostcallProxy } from './helpers/proxy.js';

describe('proxy_inject_encoded_data_to_filter_chain', () => {
  test('after body returns 3 (drop), the plugin re-emits its own bytes downstream', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.response_body, 3);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('unsafe'), false);
    run.stream.responseData(bytes('content'), true);
    assert.equal(run.sink.downstreamBody, '', 'dropped chunks never leave');
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('inject_encoded_data_to_filter_chain', [...h.scratch.put('[redacted]'), 1], ctx), WasmResult.Ok);
    assert.equal(run.sink.downstreamBody, '[redacted]');
    assert.ok(run.sink.downstreamEnded);
  });

  test('from a root callback with the effective context set (as ai-security-guard does)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.response_body, 3);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseData(bytes('x'), true);
    const { effects, ctx } = h.stream();
    assert.equal(h.call('inject_encoded_data_to_filter_chain', [...h.scratch.put('part 1 '), 0], ctx), WasmResult.Ok);
    assert.deepEqual(effects.injected, [{ data: 'part 1 ', end: false }]);
  });

  test('without a stream ⇒ NotFound; a stream host without inject ⇒ NotFound', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.call('inject_encoded_data_to_filter_chain', [...h.scratch.put('x'), 1]), WasmResult.NotFound);
    const { ctx } = h.stream({ inject: false });
    assert.equal(h.call('inject_encoded_data_to_filter_chain', [...h.scratch.put('x'), 1], ctx), WasmResult.NotFound);
  });
});

describe('upstream hosts', () => {
  test('proxy_get_upstream_hosts: pairs of (ip:port, JSON) for the stream\'s cluster', async () => {
    const h = await HostcallProxy.create();
    const hosts: [string, string][] = [['10.0.0.1:8080', '{"health_status":"Healthy","metrics":""}'], ['10.0.0.2:8080', '{"health_status":"Unhealthy"}']];
    const run = openStream([filter(h.vm, h.root)], { upstreamHosts: () => hosts });
    run.stream.requestHeaders(requestHeaders(), false);
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_upstream_hosts', [p, s], run.stream.contexts[0]!), WasmResult.Ok);
    assert.deepEqual(decodePairs(h.readOut(p, s)), hosts);
  });

  test('no host list or no stream ⇒ NotFound', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_upstream_hosts', [p, s], run.stream.contexts[0]!), WasmResult.NotFound);
    assert.equal(h.call('get_upstream_hosts', [p, s]), WasmResult.NotFound);
  });

  test('proxy_set_upstream_override_host pins the request to ip:port; a refused host ⇒ BadArgument', async () => {
    const h = await HostcallProxy.create();
    const pinned: string[] = [];
    const run = openStream([filter(h.vm, h.root)], { setUpstreamOverrideHost: (host) => (pinned.push(host), host.startsWith('10.')) });
    run.stream.requestHeaders(requestHeaders(), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('set_upstream_override_host', [...h.scratch.put('10.0.0.2:8080')], ctx), WasmResult.Ok);
    assert.equal(h.call('set_upstream_override_host', [...h.scratch.put('[::1]:80')], ctx), WasmResult.BadArgument);
    assert.deepEqual(pinned, ['10.0.0.2:8080', '[::1]:80']);
    assert.equal(h.call('set_upstream_override_host', [...h.scratch.put('10.0.0.2:8080')]), WasmResult.NotFound, 'no stream');
  });
});
