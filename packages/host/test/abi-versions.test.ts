/**
 * ABI version detection and what the version changes (reference §1).
 *
 * Checklist rows:
 * - marker scan incl. 0_2_100; 2/3-arg header callbacks (must)
 * - request/response headers/body/trailers + status mapping (must) — the return conversions
 * - 0.1.0 calls: get_configuration, continue_request/response, clear_route_cache (could)
 * Traced host checklist: 1 (a module whose only marker is 0_2_100), 13 (header returns 0/1/4).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AbiVersion, compilePlugin, PluginVm, WasmgateError, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { compileFixture, FIXTURES, fixturePath, loadPlugin, readFixture } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { CB, HostcallProxy } from './helpers/proxy.js';
import { compileWat, proxyWithMarker } from './helpers/wat.js';

describe('marker scan', () => {
  const cases: [string, string][] = [
    ['fixtures/wat/abi-0-1-0.wasm', AbiVersion.v0_1_0],
    ['fixtures/wat/tinygo-style.wasm', AbiVersion.v0_2_0],
    ['fixtures/wat/hostcall-proxy.wasm', AbiVersion.v0_2_1],
    ['fixtures/wat/abi-0-2-100.wasm', AbiVersion.v0_2_100],
    [FIXTURES.headersBench, AbiVersion.v0_2_1],
    [FIXTURES.kitchenSink, AbiVersion.v0_2_1],
    [FIXTURES.cHeadersBench, AbiVersion.v0_2_1],
  ];
  for (const [file, version] of cases) {
    test(`${file} is ABI ${version}`, async () => {
      const mod = await compileFixture(file);
      assert.equal(mod.abiVersion, version);
      assert.equal(mod.report.abiVersion, version);
    });
  }

  test('the first marker in export order wins (two-markers: 0_2_100 before 0_1_0)', async () => {
    assert.equal((await compileFixture('fixtures/wat/two-markers.wasm')).abiVersion, AbiVersion.v0_2_100);
  });

  test('a module exporting 0_2_1 then 0_2_100 is 0.2.1, and a header return of 1 becomes stop-all', async () => {
    const src = readFileSync(fixturePath('fixtures/wat/hostcall-proxy.wat'), 'utf8')
      .replace('(func (export "proxy_abi_version_0_2_1"))', '(func (export "proxy_abi_version_0_2_1")) (func (export "proxy_abi_version_0_2_100"))');
    const mod = await compileWat('two-markers-proxy.wat', src);
    assert.equal(mod.abiVersion, AbiVersion.v0_2_1);
    const vm = await PluginVm.create(mod, { name: 'm', ports: new TestPorts() });
    const root = vm.createRoot({ name: 'm' });
    vm.call(root, 'set_return', [CB.request_headers, 1]);
    const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
    assert.equal(ctx.onRequestHeaders(3, false), 4);
  });

  for (const file of ['fixtures/wat/no-marker.wasm', 'fixtures/wat/marker-global.wasm']) {
    test(`${file} is refused at load with WG_PLUGIN_ABI_UNKNOWN`, async () => {
      await assert.rejects(compilePlugin(readFixture(file), file), (e: unknown) => e instanceof WasmgateError && e.code === 'WG_PLUGIN_ABI_UNKNOWN');
    });
  }

  test('a Higress module whose only marker is 0_2_100 loads and serves requests (traced checklist 1)', async () => {
    const { vm, root } = await loadPlugin('fixtures/wat/abi-0-2-100.wasm');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.ok(run.sink.upstreamHeaders, 'headers with eos=1 are continued (return 0)');
    assert.equal(vm.failure, undefined);
  });
});

describe('header callback arity', () => {
  test('0.2.x: proxy_on_request/response_headers get (context, count incl. pseudo-headers, end_of_stream)', async () => {
    const h = await HostcallProxy.create();
    h.resetEvents();
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders([['x-a', '1']]), false);
    run.stream.requestData(bytes('abc'), true);
    run.stream.responseHeaders(responseHeaders(200, [['a', 'b'], ['c', 'd']]), true);
    const ev = h.events().filter((e) => e.name.endsWith('_headers') || e.name.endsWith('_body'));
    const id = run.stream.contexts[0]!.id;
    assert.deepEqual(ev.map((e) => [e.name, ...e.args.slice(0, 3)]), [
      ['request_headers', id, 5, 0],
      ['request_body', id, 3, 1],
      ['response_headers', id, 3, 1],
    ]);
  });

  test('0.1.0 (abi-0-1-0): two-argument header callback, get_configuration, clear_route_cache', async () => {
    const { vm, root, ports } = await loadPlugin('fixtures/wat/abi-0-1-0.wasm', { root: { config: 'cfg-0.1' } });
    assert.ok(ports.messages().includes('abi-0-1-0: configuration "cfg-0.1"'), ports.messages().join('\n'));
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(run.sink.upstreamHeaders?.get('x-abi-version'), '0.1.0');
    assert.deepEqual(run.propertySets.map((p) => p.key), ['wasmgate.clear_route_cache'], 'clear_route_cache asks the embedder to re-route');
    assert.deepEqual(ports.messages({ level: 4 }), [], 'add_header and clear_route_cache both answered 0');
  });

  test('0.1.0: proxy_get_configuration outside on_configure answers the VM configuration', async () => {
    const h = await HostcallProxy.create({ vmConfig: 'the-vm-config' });
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_configuration', [p, s]), WasmResult.Ok);
    assert.equal(h.readOutText(p, s), 'the-vm-config');
  });
});

describe('return-value conversion (cpp-host convert*, Higress 0.2.100 rule)', () => {
  async function ctxFor(marker: string) {
    const mod = marker === 'proxy_abi_version_0_2_1' ? await compileFixture(FIXTURES.proxy) : await proxyWithMarker(marker);
    const vm = await PluginVm.create(mod, { name: 'conv', ports: new TestPorts() });
    const root = vm.createRoot({ name: 'conv' });
    const set = (id: number, v: number) => vm.call(root, 'set_return', [id, v]);
    const fresh = () => vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
    return { set, fresh };
  }

  for (const marker of ['proxy_abi_version_0_1_0', 'proxy_abi_version_0_2_0', 'proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_100']) {
    test(`${marker}: headers, body and trailers returns`, async () => {
      const { set, fresh } = await ctxFor(marker);
      const higress = marker.endsWith('0_2_100');
      const headers: [number, number][] = [[0, 0], [1, higress ? 1 : 4], [2, 0], [3, 3], [4, 4], [5, 4], [0xffffffff, 4]];
      for (const [ret, want] of headers) {
        set(CB.request_headers, ret);
        set(CB.response_headers, ret);
        const c = fresh();
        assert.equal(c.onRequestHeaders(4, false), want, `request headers return ${ret}`);
        assert.equal(c.onResponseHeaders(1, false), want, `response headers return ${ret}`);
      }
      for (const [ret, want] of [[0, 0], [1, 1], [2, 2], [3, 3], [4, 3], [0x7fffffff, 3], [0xffffffff, 3]] as const) {
        set(CB.request_body, ret);
        set(CB.response_body, ret);
        const c = fresh();
        assert.equal(c.onRequestBody(10, false), want, `request body return ${ret}`);
        assert.equal(c.onResponseBody(10, true), want, `response body return ${ret}`);
      }
      for (const [ret, want] of [[0, 0], [1, 1], [2, 1], [0xffffffff, 1]] as const) {
        set(CB.request_trailers, ret);
        set(CB.response_trailers, ret);
        const c = fresh();
        assert.equal(c.onRequestTrailers(1), want, `request trailers return ${ret}`);
        assert.equal(c.onResponseTrailers(1), want, `response trailers return ${ret}`);
      }
    });
  }
});

describe('header return 1 on a real chain', () => {
  test('0.2.100 (abi-0-2-100): headers held, body callbacks delivered, body return 0 releases headers + body', async () => {
    const { vm, root, ports } = await loadPlugin('fixtures/wat/abi-0-2-100.wasm');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    assert.deepEqual(run.sink.events, [], 'headers are held');
    run.stream.requestData(bytes('abcd'), false);
    assert.equal(run.sink.upstreamHeaders?.get('x-body-size'), '4', 'the body callback edited the held headers');
    run.stream.requestData(bytes('efg'), true);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(4)', 'up:data(3):eos']);
    assert.equal(run.sink.upstreamBody, 'abcdefg');
    assert.deepEqual(ports.messages({ level: 4 }), []);
  });

  test('0.2.1: the same return of 1 is stop-all: body buffered without callbacks until continue_stream(0)', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 1);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    h.resetEvents();
    run.stream.requestData(bytes('abcd'), false);
    run.stream.requestData(bytes('ef'), true);
    assert.deepEqual(h.eventLines(), [], 'no body callback while stopped-all');
    assert.deepEqual(run.sink.events, []);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('continue_stream', [0], ctx), WasmResult.Ok);
    assert.deepEqual(run.sink.events, ['up:headers', 'up:data(6):eos']);
    assert.deepEqual(h.eventLines(3), [`request_body(${ctx.id},6,1)`], 'on continue the buffered body reaches the filter once');
  });
});
