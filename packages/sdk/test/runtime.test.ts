import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

const REQ = (mode: string) => ({ ':method': 'POST', ':path': '/orig', ':authority': 'shop.test', ':scheme': 'http', 'x-mode': mode });
/** The harness's virtual clock starts at 2025-01-01T00:00:00Z. */
const START_S = Date.UTC(2025, 0, 1) / 1000;

describe('tick functions', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('features'), { name: 'features', config: { tickMs: 250 } }); });
  after(() => plugin.close());

  it('runs a tick function at the first tick, then each time its period has elapsed (100 ms tick)', async () => {
    assert.equal(plugin.metrics().features_ticks ?? 0, 0);
    await plugin.clock.advance(100); // first tick: runs
    assert.equal(plugin.metrics().features_ticks, 1);
    plugin.http.intercept({ cluster: 'tick-target', path: '/from-tick', authority: 'tick.host' }).reply(204);
    await plugin.clock.advance(200); // t = 300: only 200 ms since the run
    assert.equal(plugin.metrics().features_ticks, 1);
    await plugin.clock.advance(100); // t = 400: the second run makes a callout outside any stream
    assert.equal(plugin.metrics().features_ticks, 2);
    assert.equal(plugin.sharedData.get('ticks'), '2');
    await plugin.settle();
    assert.ok(plugin.logs.some((l) => l.message === '[features] [nil] [nil] tick callout: 204 inStream=false'), JSON.stringify(plugin.logsAt('info')));
  });
});

describe('leader election', () => {
  it('one VM of two takes the lease through shared data; the other follows; a stale lease is taken over', async (t) => {
    const wasm = await buildPlugin('features');
    const plugin = await loadPlugin(wasm, {
      name: 'vm-a', vmId: 'le', config: { leader: true },
      chain: [{ wasm, name: 'vm-b', vmId: 'le', config: { leader: true }, position: 'after' }],
    });
    t.after(() => plugin.close());
    const s = plugin.stream();
    s.requestHeaders(REQ('leader'), { endStream: true });
    assert.deepEqual(s.upstream.headers?.getAll('x-is-leader'), ['true', 'false']);
    const lease = JSON.parse(s.upstream.headers!.getAll('x-lease')[0]!);
    assert.match(lease.vmID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(lease.timestamp, START_S);
    s.end();
    assert.equal(JSON.parse(plugin.sharedData.get('higress_wasm_vm_lease:features')!).vmID, lease.vmID);
    // Renewed by a tick function that calls doLeaderElection (tickMs config not set here: a request renews).
    await plugin.clock.advance(30_000);
    const s1 = plugin.stream();
    s1.requestHeaders(REQ('leader'), { endStream: true });
    assert.deepEqual(s1.upstream.headers?.getAll('x-is-leader'), ['true', 'false']);
    s1.end();
    assert.equal(JSON.parse(plugin.sharedData.get('higress_wasm_vm_lease:features')!).timestamp, START_S + 30);
    // A lease nobody renewed for 60 s is taken over.
    plugin.sharedData.set('higress_wasm_vm_lease:features', JSON.stringify({ vmID: 'gone', timestamp: START_S + 30 - 61 }));
    const s2 = plugin.stream();
    s2.requestHeaders(REQ('leader'), { endStream: true });
    assert.deepEqual(s2.upstream.headers?.getAll('x-is-leader'), ['true', 'false']);
    s2.end();
    // A lease renewed 60 s ago is still held: nobody takes it over.
    plugin.sharedData.set('higress_wasm_vm_lease:features', JSON.stringify({ vmID: 'other', timestamp: START_S + 30 - 60 }));
    const s3 = plugin.stream();
    s3.requestHeaders(REQ('leader'), { endStream: true });
    assert.deepEqual(s3.upstream.headers?.getAll('x-is-leader'), ['false', 'false']);
    s3.end();
  });

  it('renews the lease from a tick function', async (t) => {
    const wasm = await buildPlugin('features');
    const plugin = await loadPlugin(wasm, { name: 'vm-a', vmId: 'le2', config: { leader: true, tickMs: 1000 } });
    t.after(() => plugin.close());
    plugin.http.intercept({ cluster: 'tick-target' }).reply(204).persist();
    await plugin.clock.advance(100);
    assert.equal(JSON.parse(plugin.sharedData.get('higress_wasm_vm_lease:features')!).timestamp, START_S);
    await plugin.clock.advance(5_000);
    assert.equal(JSON.parse(plugin.sharedData.get('higress_wasm_vm_lease:features')!).timestamp, START_S + 5);
  });
});

describe('user attributes, properties, route call', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('features'), { name: 'features', config: {} }); });
  after(() => plugin.close());

  it('defines and updates counters, gauges and histograms; reads the host clock', () => {
    const s = plugin.stream();
    s.requestHeaders(REQ('metrics'), { endStream: true });
    assert.equal(s.upstream.headers?.get('x-gauge'), '3');
    assert.equal(s.upstream.headers?.get('x-counter'), '3');
    assert.equal(s.upstream.headers?.get('x-now-ms'), String(plugin.clock.now));
    s.end();
    const m = plugin.metrics();
    assert.equal(m.features_inflight, 3);
    assert.deepEqual(m.features_latency_ms, [12, 30]);
    assert.equal(m.features_requests, 3);
  });

  it('writes custom_log (escaped JSON, sorted keys), trace tags and the special properties', () => {
    const s = plugin.stream();
    s.requestHeaders(REQ('attrs'), { endStream: true });
    assert.equal(s.property('custom_log'), String.raw`{\"n\":3,\"user\":\"alice \\\"A\\\"\"}`);
    assert.equal(s.property('trace_span_tag.user'), 'alice "A"');
    assert.equal(s.property('trace_span_tag.n'), '3');
    assert.equal(s.property('clear_route_cache'), 'off');
    assert.equal(s.property('set_decoder_buffer_limit'), '1024');
    s.end();
  });

  it('routeCall re-sends the request with a new method, path, host, headers and body; the response goes to its callback', () => {
    const s = plugin.stream();
    assert.equal(s.requestHeaders(REQ('route-call')).status, 1);
    s.requestBody('old body', { endStream: true });
    const up = s.upstream.headers!;
    assert.equal(up.get(':method'), 'POST');
    assert.equal(up.get(':path'), '/new?x=1');
    assert.equal(up.get(':authority'), 'other.test');
    assert.equal(up.get('x-r'), '1');
    assert.equal(up.get('x-envoy-original-path'), '/orig');
    assert.equal(up.get('x-envoy-original-host'), 'shop.test');
    assert.equal(s.upstream.body, 'new body');
    s.respond(201, { headers: { 'content-type': 'text/plain' }, body: ['up', 'stream'] });
    assert.equal(s.downstream.body, 'routed 201: upstream');
    s.end();
  });
});
