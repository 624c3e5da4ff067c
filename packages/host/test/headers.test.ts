/**
 * Header maps (reference §4 header rows, "Map availability", §6 pairs format; pitfall 15).
 *
 * Checklist rows:
 * - log, get/set_buffer_bytes, header get/add/replace/remove/pairs (must) — the header part
 * - get_header_map_size (should)
 * - request/response headers/body/trailers (must) — trailers maps
 * Traced host checklist: 6 (`:authority` present), 10 (4-byte zero count = empty; keys lower-cased),
 * 15 (lower-case keys, pseudo-headers included, first value).
 * Deliberate choices asserted here: replace overwrites the first occurrence and drops the others;
 * request headers stay writable until they leave the chain; maps are read-only in on_log.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePairs, encodePairs, HeaderMap, PluginVm, WasmResult } from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { TestPorts } from './helpers/ports.js';
import { probeModule } from './helpers/probes.js';
import { CB, HostcallProxy } from './helpers/proxy.js';
import { proxyWithMarker } from './helpers/wat.js';

describe('headers-bench: add 20, get 20, remove 20 (Go, C, AssemblyScript)', () => {
  for (const file of [FIXTURES.headersBench, FIXTURES.cHeadersBench, 'fixtures/as/headers-bench.wasm']) {
    test(file, async () => {
      const { vm, root, ports } = await loadPlugin(file);
      const run = openStream([filter(vm, root)]);
      const original = requestHeaders([['user-agent', 'bench'], ['x-keep', '1']]);
      const before = original.pairs.map((p) => [...p]);
      run.stream.requestHeaders(original, true);
      assert.deepEqual(run.sink.upstreamHeaders?.pairs, before, 'upstream sees the original request');
      assert.deepEqual(run.localReplies, []);
      assert.deepEqual(ports.logs, [], 'no log line on success');
      run.stream.responseHeaders(responseHeaders(), true);
      run.stream.finish();
      assert.equal(vm.failure, undefined);
    });
  }
});

describe('hostcalls on a stream map (hostcall-proxy)', () => {
  async function setup() {
    const h = await HostcallProxy.create();
    const s = h.stream({
      requestHeaders: [['x-dup', 'first'], [':method', 'GET'], ['Mixed-Case', 'v'], ['x-dup', 'second'], [':path', '/p'], [':authority', 'a.test']],
      responseHeaders: [[':status', '200']],
    });
    const get = (map: number, key: string) => {
      const [p, sz] = [h.scratch.out(), h.scratch.out()];
      const r = h.call('get_header_map_value', [map, ...h.scratch.put(key), p, sz], s.ctx);
      return r === WasmResult.Ok ? h.readOutText(p, sz) : r;
    };
    const pairs = (map: number) => {
      const [p, sz] = [h.scratch.out(), h.scratch.out()];
      assert.equal(h.call('get_header_map_pairs', [map, p, sz], s.ctx), WasmResult.Ok);
      return decodePairs(h.readOut(p, sz));
    };
    return { h, ...s, get, pairs };
  }

  test('get: keys are case-insensitive, the first value wins, absent keys are NotFound', async () => {
    const { get } = await setup();
    assert.equal(get(0, 'x-dup'), 'first');
    assert.equal(get(0, 'X-DUP'), 'first');
    assert.equal(get(0, 'mixed-case'), 'v', 'stored lower-cased');
    assert.equal(get(0, ':authority'), 'a.test');
    assert.equal(get(0, 'absent'), WasmResult.NotFound);
    assert.equal(get(2, ':status'), '200');
  });

  test('pairs: pseudo-headers first, order kept, duplicates as separate entries', async () => {
    const { pairs } = await setup();
    assert.deepEqual(pairs(0), [[':method', 'GET'], [':path', '/p'], [':authority', 'a.test'], ['x-dup', 'first'], ['mixed-case', 'v'], ['x-dup', 'second']]);
  });

  test('pairs: non-ASCII names and values are written as exact UTF-8 (lengths in bytes, nothing after the last NUL)', async () => {
    const { h, ctx, pairs } = await setup();
    ctx.requestHeaders = new HeaderMap([['x-ascii', 'plain'], [':path', '/caf\u00e9'], ['x-emoji', 'a\u{1F600}b'], ['x-\u00fc', '\u00fc\u00df'], ['x-empty', '']]);
    const [p, sz] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_pairs', [0, p, sz], ctx), WasmResult.Ok);
    const raw = h.readOut(p, sz);
    const expected: [string, string][] = [[':path', '/caf\u00e9'], ['x-ascii', 'plain'], ['x-emoji', 'a\u{1F600}b'], ['x-\u00fc', '\u00fc\u00df'], ['x-empty', '']];
    assert.deepEqual(Buffer.from(raw), Buffer.from(encodePairs(expected)), 'byte for byte what encodePairs writes');
    assert.deepEqual(pairs(0), expected);
  });

  test('size: the UTF-8 bytes of every name and value, as TextEncoder counts them (non-ASCII, astral, lone surrogates)', async () => {
    const { h, ctx } = await setup();
    const pairs: [string, string][] = [[':path', '/caf\u00e9'], ['x-emoji', 'a\u{1F600}b'], ['x-lone', '\uD800x'], ['x-low', 'x\uDC00'], ['x-end', '\uD83D'], ['accept', '*/*']];
    ctx.requestHeaders = new HeaderMap(pairs);
    const out = h.scratch.out();
    assert.equal(h.call('get_header_map_size', [0, out], ctx), WasmResult.Ok);
    const enc = new TextEncoder();
    assert.equal(h.readU32(out), pairs.reduce((n, [k, v]) => n + enc.encode(k).length + enc.encode(v).length, 0));
  });

  test('add appends (duplicates kept, key lower-cased); remove drops every occurrence, absent is OK', async () => {
    const { h, ctx, get } = await setup();
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('X-New'), ...h.scratch.put('1')], ctx), WasmResult.Ok);
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('x-new'), ...h.scratch.put('2')], ctx), WasmResult.Ok);
    assert.deepEqual(ctx.requestHeaders?.getAll('x-new'), ['1', '2']);
    assert.equal(ctx.requestHeaders?.pairs.at(-1)?.[0], 'x-new');
    assert.equal(h.call('remove_header_map_value', [0, ...h.scratch.put('X-DUP')], ctx), WasmResult.Ok);
    assert.equal(get(0, 'x-dup'), WasmResult.NotFound);
    assert.equal(h.call('remove_header_map_value', [0, ...h.scratch.put('never-there')], ctx), WasmResult.Ok);
  });

  test('replace overwrites the first occurrence in place and drops the others; adds when absent', async () => {
    const { h, ctx, pairs } = await setup();
    assert.equal(h.call('replace_header_map_value', [0, ...h.scratch.put('X-Dup'), ...h.scratch.put('only')], ctx), WasmResult.Ok);
    assert.deepEqual(pairs(0), [[':method', 'GET'], [':path', '/p'], [':authority', 'a.test'], ['x-dup', 'only'], ['mixed-case', 'v']]);
    assert.equal(h.call('replace_header_map_value', [0, ...h.scratch.put('x-added'), ...h.scratch.put('v')], ctx), WasmResult.Ok);
    assert.equal(ctx.requestHeaders?.get('x-added'), 'v');
  });

  test('set_header_map_pairs replaces the whole map; malformed, zero-count and empty input make it empty', async () => {
    const { h, ctx, pairs } = await setup();
    assert.equal(h.call('set_header_map_pairs', [0, ...h.scratch.pairs([[':path', '/new'], ['A', '1'], ['a', '2']])], ctx), WasmResult.Ok);
    assert.deepEqual(pairs(0), [[':path', '/new'], ['a', '1'], ['a', '2']]);
    const malformed: [string, Uint8Array][] = [
      ['4-byte zero count', new Uint8Array([0, 0, 0, 0])],
      ['count 0xffffffff', new Uint8Array([0xff, 0xff, 0xff, 0xff])],
      ['missing NUL', encodePairs([['k', 'v']]).slice(0, -1)],
      ['trailing byte', new Uint8Array([...encodePairs([['k', 'v']]), 0])],
      ['lengths past the end', new Uint8Array([1, 0, 0, 0, 0xff, 0, 0, 0, 1, 0, 0, 0, 0x6b, 0, 0x76, 0])],
    ];
    for (const [label, buf] of malformed) {
      ctx.requestHeaders = new HeaderMap([['k', 'v']]);
      assert.equal(h.call('set_header_map_pairs', [0, ...h.scratch.put(buf)], ctx), WasmResult.Ok, label);
      assert.equal(ctx.requestHeaders.size, 0, label);
    }
    ctx.requestHeaders = new HeaderMap([['k', 'v']]);
    assert.equal(h.call('set_header_map_pairs', [0, 0, 0], ctx), WasmResult.Ok);
    assert.equal(ctx.requestHeaders.size, 0, '(0, 0) = empty');
  });

  test('more than 1024 pairs is malformed (cpp-host limit) and empties the map', async () => {
    const { h, ctx } = await setup();
    const many = Array.from({ length: 1025 }, (_, i) => [`h${i}`, 'v'] as [string, string]);
    assert.equal(h.call('set_header_map_pairs', [0, ...h.scratch.put(encodePairs(many))], ctx), WasmResult.Ok);
    assert.equal(ctx.requestHeaders?.size, 0);
  });

  test('get_header_map_size answers the byte size of names and values', async () => {
    const { h, ctx } = await setup();
    const out = h.scratch.out();
    assert.equal(h.call('get_header_map_size', [2, out], ctx), WasmResult.Ok);
    assert.equal(h.readU32(out), ':status'.length + '200'.length);
    ctx.responseHeaders = new HeaderMap([['ü', '€']]);
    assert.equal(h.call('get_header_map_size', [2, out], ctx), WasmResult.Ok);
    assert.equal(h.readU32(out), 2 + 3, 'UTF-8 bytes, not UTF-16 units');
  });

  test('an unavailable map: get/size ⇒ BadArgument, pairs ⇒ OK and empty (Envoy)', async () => {
    const { h } = await setup();
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_value', [0, ...h.scratch.put(':path'), p, s]), WasmResult.BadArgument);
    assert.equal(h.call('get_header_map_size', [3, h.scratch.out()]), WasmResult.BadArgument);
    assert.equal(h.call('get_header_map_pairs', [1, p, s]), WasmResult.Ok);
    assert.deepEqual([h.readU32(p), h.readU32(s)], [0, 0]);
    assert.equal(h.call('get_header_map_value', [4, ...h.scratch.put('grpc'), p, s]), WasmResult.BadArgument, 'gRPC metadata is not available');
  });

  test('a read-only map refuses add/replace/remove/set with BadArgument and still answers reads', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream({ requestHeaders: [['k', 'v']], writable: false });
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('a'), ...h.scratch.put('b')], ctx), WasmResult.BadArgument);
    assert.equal(h.call('replace_header_map_value', [0, ...h.scratch.put('k'), ...h.scratch.put('b')], ctx), WasmResult.BadArgument);
    assert.equal(h.call('remove_header_map_value', [0, ...h.scratch.put('k')], ctx), WasmResult.BadArgument);
    assert.equal(h.call('set_header_map_pairs', [0, 0, 0], ctx), WasmResult.BadArgument);
    assert.deepEqual(ctx.requestHeaders?.pairs, [['k', 'v']]);
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_value', [0, ...h.scratch.put('k'), p, s], ctx), WasmResult.Ok);
  });

  test('ABI 0.1.0: a missing key answers OK with an empty value (Envoy); 0.2.x answers NotFound', async () => {
    for (const [marker, want] of [['proxy_abi_version_0_1_0', WasmResult.Ok], ['proxy_abi_version_0_2_0', WasmResult.NotFound]] as const) {
      const vm = await PluginVm.create(await proxyWithMarker(marker), { name: marker, ports: new TestPorts() });
      const root = vm.createRoot({ name: marker });
      const ctx = vm.createHttpContext(root, { property: () => undefined, continueStream() {}, closeStream() {}, localReply() {} });
      ctx.requestHeaders = new HeaderMap([['a', 'b']]);
      vm.memory.write(0x1000, bytes('missing'));
      vm.memory.write(0x1010, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]));
      assert.equal(vm.call(ctx, 'call_get_header_map_value', [0, 0x1000, 7, 0x1010, 0x1014]), want, marker);
      if (want === WasmResult.Ok) assert.deepEqual([vm.memory.readU32(0x1010), vm.memory.readU32(0x1014)], [0, 0]);
    }
  });
});

describe('map availability along the chain', () => {
  test('request headers stay writable while held and until they leave the chain; then writes are refused', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_headers, 4);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    const ctx = run.stream.contexts[0]!;
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('x-while-held'), ...h.scratch.put('1')], ctx), WasmResult.Ok);
    assert.equal(h.call('continue_stream', [0], ctx), WasmResult.Ok);
    assert.equal(run.sink.upstreamHeaders?.get('x-while-held'), '1');
    assert.equal(h.call('add_header_map_value', [0, ...h.scratch.put('x-too-late'), ...h.scratch.put('1')], ctx), WasmResult.BadArgument);
    assert.equal(run.sink.upstreamHeaders?.get('x-too-late'), undefined);
  });

  test('response headers are writable in on_response_headers (kitchen-sink replaces response headers)', async () => {
    const { vm, root } = await loadPlugin(FIXTURES.kitchenSink);
    const run = openStream([filter(vm, root)], { props: { route_name: 'r1' } });
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'properties']]), true);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.equal(run.sink.downstreamHeaders?.get('x-prop-route-name'), 'r1');
  });

  test('on_log: every map is read-only; reads work; a map that never existed is NotFound', async () => {
    const ports = new TestPorts();
    const vm = await PluginVm.create(await probeModule(), { name: 'probe', ports });
    const root = vm.createRoot({ name: 'probe' });
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    run.stream.responseHeaders(responseHeaders(), true);
    run.stream.finish();
    const st = (a: number) => vm.memory.readU32(a);
    assert.deepEqual([st(0x30), st(0x34), st(0x38), st(0x3c), st(0x40)], [
      WasmResult.Ok, WasmResult.BadArgument, WasmResult.Ok, WasmResult.BadArgument, WasmResult.Ok,
    ], 'get req, add req, get resp, replace resp, pairs');
    // A stream that ended before any response: the response map never existed.
    const early = openStream([filter(vm, root)]);
    early.stream.requestHeaders(requestHeaders(), true);
    early.stream.finish();
    assert.equal(st(0x38), WasmResult.NotFound);
  });

  test('trailers: request and response trailer maps in their callbacks, with their count', async () => {
    const h = await HostcallProxy.create();
    h.setReturn(CB.request_trailers, 0);
    const run = openStream([filter(h.vm, h.root)]);
    run.stream.requestHeaders(requestHeaders(), false);
    run.stream.requestData(bytes('x'), false);
    h.resetEvents();
    h.setReturn(CB.request_trailers, 1);
    run.stream.requestTrailers(new HeaderMap([['grpc-status', '0'], ['x-t', '1']]));
    const ctx = run.stream.contexts[0]!;
    assert.deepEqual(h.eventLines(), [`request_trailers(${ctx.id},2)`]);
    assert.ok(!run.sink.events.includes('up:trailers'), 'held by the trailers return 1');
    assert.equal(h.call('add_header_map_value', [1, ...h.scratch.put('x-added'), ...h.scratch.put('t')], ctx), WasmResult.Ok);
    assert.equal(h.call('continue_stream', [0], ctx), WasmResult.Ok);
    assert.equal(run.sink.upstreamTrailers?.get('x-added'), 't');
    run.stream.responseHeaders(responseHeaders(), false);
    run.stream.responseTrailers(new HeaderMap([['x-rt', '1']]));
    const [p, s] = [h.scratch.out(), h.scratch.out()];
    assert.equal(h.call('get_header_map_pairs', [3, p, s], ctx), WasmResult.Ok);
    assert.deepEqual(decodePairs(h.readOut(p, s)), [['x-rt', '1']]);
  });
});
