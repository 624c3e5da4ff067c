/**
 * Properties (reference §4 property rows, §6 encodings, §7 properties in practice).
 *
 * Checklist rows:
 * - get/set_property (Envoy encodings, per-stream store) (must)
 * - special properties (`clear_route_cache`, buffer limits, `wasm_need_rebuild`,
 *   `plugin_vm_memory`, `trace_span_tag.*`, logs) (should)
 * Traced host checklist: 5 (NotFound, never 2/3/12, for what the host lacks), 7 (x_request_id:
 * NotFound in a root, the stored value in a stream), 8 (set_property on a stream succeeds for any
 * path and reads back verbatim).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePairs, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { CB, HostcallProxy, type Context } from './helpers/proxy.js';

function getter(h: HostcallProxy) {
  return (path: string, ctx: Context = h.root): Uint8Array | number => {
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    const r = h.call('get_property', [...h.scratch.put(path), p, s], ctx);
    return r === WasmResult.Ok ? h.readOut(p, s) : r;
  };
}
const str = (v: Uint8Array | number) => (typeof v === 'number' ? v : new TextDecoder().decode(v));

describe('root context properties', () => {
  test('plugin_name, plugin_root_id, plugin_vm_id are strings; plugin_vm_memory is u64 LE memory bytes', async () => {
    const h = await HostcallProxy.create({ vmId: 'vm-7' });
    const get = getter(h);
    assert.equal(str(get('plugin_name')), 'proxy');
    assert.equal(str(get('plugin_root_id')), 'proxy-root');
    assert.equal(str(get('plugin_vm_id')), 'vm-7');
    const mem = get('plugin_vm_memory');
    assert.ok(mem instanceof Uint8Array && mem.length === 8);
    assert.equal(new DataView(mem.buffer, mem.byteOffset).getBigUint64(0, true), BigInt(h.memSize));
  });

  test('stream attributes and x_request_id are NotFound in a root (traced 7), never 2/3/12', async () => {
    const h = await HostcallProxy.create();
    const get = getter(h);
    for (const p of ['x_request_id', 'route_name', 'cluster_name', 'request\0path', 'source.address', 'no\0such\0thing', '']) {
      assert.equal(get(p), WasmResult.NotFound, JSON.stringify(p));
    }
    assert.equal(get('plugin_name', h.vmContext), WasmResult.NotFound, 'the VM context has no root');
  });

  test('set_property outside a stream answers NotFound', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.call('set_property', [...h.scratch.put('x_request_id'), ...h.scratch.put('v')]), WasmResult.NotFound);
  });

  test('node-wide properties come from the ports, with Envoy encodings', async () => {
    const h = await HostcallProxy.create();
    h.ports.properties.set('node.id', 'node-1');
    h.ports.properties.set('listener_direction', 1n);
    h.ports.properties.set('connection.mtls', true);
    h.ports.properties.set('x.double', { double: 1.5 });
    h.ports.properties.set('x.map', { map: [['k', 'v']] });
    h.ports.properties.set('x.list', { list: ['a', 'b'] });
    h.ports.properties.set('x.bytes', new Uint8Array([0, 1, 255]));
    const get = getter(h);
    assert.equal(str(get('node\0id')), 'node-1', 'path segments joined by NUL');
    assert.deepEqual([...(get('listener_direction') as Uint8Array)], [1, 0, 0, 0, 0, 0, 0, 0], 'int64 little-endian');
    assert.deepEqual([...(get('connection\0mtls') as Uint8Array)], [1], 'bool one byte');
    assert.equal(new DataView((get('x\0double') as Uint8Array).buffer).getFloat64(0, true), 1.5);
    assert.deepEqual(decodePairs(get('x\0map') as Uint8Array), [['k', 'v']], 'map = pairs');
    assert.deepEqual(decodePairs(get('x\0list') as Uint8Array), [['a', ''], ['b', '']], 'list = pairs with empty values');
    assert.deepEqual([...(get('x\0bytes') as Uint8Array)], [0, 1, 255]);
  });
});

describe('stream properties', () => {
  test('set_property stores any path per stream; get_property reads it back verbatim (traced 8)', async () => {
    const h = await HostcallProxy.create();
    const a = h.stream();
    const b = h.stream();
    const get = getter(h);
    for (const [path, value] of [['x_request_id', 'abc-123'], ['clear_route_cache', 'off'], ['wasm_rebuild', 'true'],
      ['wasm_need_rebuild', 'true'], ['ai_log', '{"a":"b"}'], ['nested\0path', '\u0000bin\u00ff'], ['empty', '']] as const) {
      assert.equal(h.call('set_property', [...h.scratch.put(path), ...h.scratch.put(value)], a.ctx), WasmResult.Ok, path);
      assert.equal(str(get(path, a.ctx)), value, path);
    }
    assert.equal(get('x_request_id', b.ctx), WasmResult.NotFound, 'values are per stream');
    assert.deepEqual(a.effects.propertySets.map((p) => p.key), ['x_request_id', 'clear_route_cache', 'wasm_rebuild', 'wasm_need_rebuild', 'ai_log', 'nested.path', 'empty'],
      'the embedder sees every set (side effects)');
  });

  test('built-in stream attributes win over a value stored under the same path (Envoy)', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream({ properties: { route_name: 'default/foo' } });
    assert.equal(h.call('set_property', [...h.scratch.put('route_name'), ...h.scratch.put('mine')], ctx), WasmResult.Ok);
    assert.equal(str(getter(h)('route_name', ctx)), 'default/foo');
  });

  test('a stream also sees the root attributes (plugin_*) and node-wide ports', async () => {
    const h = await HostcallProxy.create();
    h.ports.properties.set('node.id', 'n');
    const { ctx } = h.stream();
    const get = getter(h);
    assert.equal(str(get('plugin_root_id', ctx)), 'proxy-root');
    assert.equal(str(get('node\0id', ctx)), 'n');
    assert.ok(get('plugin_vm_memory', ctx) instanceof Uint8Array);
  });

  test('kitchen-sink properties mode reads the embedder attributes (request.*, route_name, cluster_name, source.address)', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink, { root: { name: 'default/ks', rootId: 'ks-root' } });
    const run = openStream([filter(vm, root)], {
      props: {
        'request.path': '/a?b=1', 'request.method': 'GET', 'request.host': 'h.test', route_name: 'default/r',
        cluster_name: 'outbound|80||svc.default.svc.cluster.local', 'source.address': '10.1.2.3:5555',
      },
    });
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'properties']]), true);
    run.stream.responseHeaders(responseHeaders(), true);
    const got = Object.fromEntries(run.sink.downstreamHeaders!.pairs.filter(([k]) => k.startsWith('x-prop-')));
    assert.deepEqual(got, {
      'x-prop-request-path': '/a?b=1', 'x-prop-request-method': 'GET', 'x-prop-request-host': 'h.test',
      'x-prop-route-name': 'default/r', 'x-prop-cluster-name': 'outbound|80||svc.default.svc.cluster.local',
      'x-prop-source-address': '10.1.2.3:5555', 'x-prop-plugin-name': 'default/ks', 'x-prop-plugin-root-id': 'ks-root',
    });
    assert.deepEqual(ports.messages({ level: 3 }), [], 'no status other than 0/1');
  });

  test('missing stream attributes are NotFound (kitchen-sink shows <missing>, logs no warning)', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'properties']]), true);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.equal(run.sink.downstreamHeaders?.get('x-prop-route-name'), '<missing>');
    assert.deepEqual(ports.messages({ level: 3 }), []);
  });

  test('response.code_details: via_upstream for an upstream answer, the details of a local reply', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.equal(str(getter(h)('response.code_details', run.stream.contexts[0]!)), 'via_upstream');
    h.setReturn(CB.request_headers, 4);
    const local = openStream([filter(h.vm, h.root)]);
    local.stream.requestHeaders(requestHeaders(), true);
    const ctx = local.stream.contexts[0]!;
    assert.equal(h.call('send_local_response', [403, ...h.scratch.put('denied by policy'), 0, 0, 0, 0, -1], ctx), WasmResult.Ok);
    assert.equal(str(getter(h)('response.code_details', ctx)), 'denied_by_policy');
  });
});

describe('properties with host side effects', () => {
  test('set_decoder_buffer_limit lowers the request buffer limit (413 past it)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_body, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('set_property', [...h.scratch.put('set_decoder_buffer_limit'), ...h.scratch.put('8')], ctx), WasmResult.Ok);
    assert.equal(run.stream.requestBufferLimit, 8);
    run.stream.requestData(bytes('123456'), false);
    assert.equal(run.localReplies.length, 0);
    run.stream.requestData(bytes('789'), false);
    assert.equal(run.localReplies[0]?.status, 413);
  });

  test('set_encoder_buffer_limit lowers the response buffer limit (500 past it)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.response_body, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('set_property', [...h.scratch.put('set_encoder_buffer_limit'), ...h.scratch.put('4')], ctx), WasmResult.Ok);
    run.stream.responseData(bytes('12345'), false);
    assert.equal(run.localReplies[0]?.status, 500);
  });

  test('clear_route_cache, wasm_need_rebuild, trace_span_tag.*, custom_log reach the embedder and read back', async () => {
    const h = await HostcallProxy.create();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    const ctx = run.stream.contexts[0]!;
    for (const [k, v] of [['clear_route_cache', 'off'], ['wasm_need_rebuild', 'true'], ['trace_span_tag.user', 'u1'], ['custom_log', '{"k":"v"}']]) {
      assert.equal(h.call('set_property', [...h.scratch.put(k!), ...h.scratch.put(v!)], ctx), WasmResult.Ok, k);
    }
    assert.deepEqual(run.propertySets, [
      { key: 'clear_route_cache', value: 'off' }, { key: 'wasm_need_rebuild', value: 'true' },
      { key: 'trace_span_tag.user', value: 'u1' }, { key: 'custom_log', value: '{"k":"v"}' },
    ]);
    assert.equal(run.stream.storedProperty('custom_log'), '{"k":"v"}', 'kept for the access log');
  });
});
