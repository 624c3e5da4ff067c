// kitchen-sink (Go): the modes that need no callout, as fixtures/go/kitchen-sink/README.md states
// them. Each test loads its own plugin, so counters and clocks start from zero.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { FilterDataStatus, FilterHeadersStatus, loadPlugin, type LoadOptions, type TestPlugin } from '../src/index.js';
import { KITCHEN_SINK, modeRequest } from './fixtures.js';

async function kitchenSink(t: TestContext, options: LoadOptions = {}): Promise<TestPlugin> {
  const plugin = await loadPlugin(KITCHEN_SINK, options);
  t.after(() => plugin.close());
  return plugin;
}

describe('kitchen-sink', () => {
  it('loads (spin and grow modes included in the binary) and logs its configuration', async (t) => {
    const plugin = await kitchenSink(t, { config: { calloutCluster: 'svc', tickMs: 0 } });
    assert.deepEqual(plugin.logsAt('info'), ['kitchen-sink: configured, calloutCluster="svc" tickMs=0']);
    assert.equal(plugin.failure, undefined);
  });

  it('properties: echoes stream and plugin properties as response headers', async (t) => {
    const plugin = await kitchenSink(t, { properties: { route_name: 'default/route', cluster_name: 'outbound|80||backend.default.svc.cluster.local' }, rootId: 'root-a' });
    const s = plugin.stream({ properties: { 'source.address': '10.0.0.7:4711' } });
    s.requestHeaders(modeRequest('properties', { ':path': '/p?q=1', ':authority': 'shop.example' }), { endStream: true });
    s.respond(200, { body: 'ok' });
    const h = s.downstream.headers!;
    assert.equal(h.get('x-prop-request-path'), '/p?q=1');
    assert.equal(h.get('x-prop-request-method'), 'GET');
    assert.equal(h.get('x-prop-request-host'), 'shop.example');
    assert.equal(h.get('x-prop-route-name'), 'default/route');
    assert.equal(h.get('x-prop-cluster-name'), 'outbound|80||backend.default.svc.cluster.local');
    assert.equal(h.get('x-prop-source-address'), '10.0.0.7:4711');
    assert.equal(h.get('x-prop-plugin-name'), 'kitchen-sink');
    assert.equal(h.get('x-prop-plugin-root-id'), 'root-a');
    // The test reads properties the way the plugin does.
    assert.equal(s.property('request.path'), '/p?q=1');
    assert.equal(s.property('request.query'), 'q=1');
    assert.equal(s.property('route_name'), 'default/route');
    assert.equal(s.property('plugin_root_id'), 'root-a');
    assert.equal(s.property('source.port'), '54321');
    s.end();
  });

  it('properties: an absent property reads <missing> (NotFound is not logged)', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream({ properties: { 'source.address': null } });
    s.requestHeaders(modeRequest('properties'), { endStream: true });
    s.respond(204);
    assert.equal(s.downstream.headers?.get('x-prop-route-name'), '<missing>');
    assert.equal(s.downstream.headers?.get('x-prop-source-address'), '<missing>');
    assert.deepEqual(plugin.logsAt('warn'), []);
    s.end();
  });

  it('shared-counter: counts 1, 2, 3 through CAS writes to shared data', async (t) => {
    const plugin = await kitchenSink(t);
    for (const n of ['1', '2', '3']) {
      const s = plugin.stream();
      assert.equal(s.requestHeaders(modeRequest('shared-counter'), { endStream: true }).action, 'continue');
      assert.equal(s.upstream.headers?.get('x-counter'), n);
      s.end();
    }
    assert.equal(plugin.sharedData.get('counter'), '3');
    // Seeding from the test: the plugin continues from there.
    plugin.sharedData.set('counter', '41');
    const s = plugin.stream();
    s.requestHeaders(modeRequest('shared-counter'), { endStream: true });
    assert.equal(s.upstream.headers?.get('x-counter'), '42');
    s.end();
  });

  it('shared-counter: a stored value that is not decimal answers 500 with status 4', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.sharedData.set('counter', 'abc');
    const s = plugin.stream();
    assert.equal(s.requestHeaders(modeRequest('shared-counter'), { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 500);
    assert.equal(s.downstream.body, 'kitchen-sink: shared-counter: status 4');
    assert.deepEqual(plugin.logsAt('error'), ['kitchen-sink: shared-counter: status 4']);
    s.end();
  });

  it('body-upper: buffers the chunked body and sends it upper-cased', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream();
    const headers = s.requestHeaders(modeRequest('body-upper', { ':method': 'POST', 'content-length': '11' }));
    assert.equal(headers.action, 'continue');
    assert.equal(s.upstream.headers?.get('content-length'), '11', 'content-length untouched');
    const first = s.requestBody('hello ');
    assert.equal(first.status, FilterDataStatus.StopIterationAndBuffer);
    assert.equal(first.action, 'pause');
    assert.equal(s.upstream.body, '', 'nothing passes while the plugin buffers');
    const last = s.requestBody('world', { endStream: true });
    assert.equal(last.status, FilterDataStatus.Continue);
    assert.equal(last.action, 'continue');
    assert.equal(s.upstream.body, 'HELLO WORLD');
    assert.equal(s.upstream.ended, true);
    s.end();
  });

  it('body-upper: a request without a body is untouched', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('body-upper'), { endStream: true });
    assert.equal(s.upstream.body, '');
    assert.equal(s.calls.filter((c) => c.callback === 'request_body').length, 0);
    s.end();
  });

  it('resp-body-append: drops content-length and appends a trailer line at the end of the body', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('resp-body-append'), { endStream: true });
    const steps = s.respond(200, { headers: { 'content-length': '10', 'content-type': 'text/plain' }, body: ['hello', 'world'] });
    assert.deepEqual(steps.map((r) => r.action), ['continue', 'continue', 'continue']);
    assert.equal(s.downstream.headers?.get('content-length'), undefined);
    assert.equal(s.downstream.headers?.get('content-type'), 'text/plain');
    assert.equal(s.downstream.body, 'helloworld\n-- via kitchen-sink');
    assert.equal(new TextDecoder().decode(s.downstream.chunks[0]), 'hello', 'earlier chunks pass unchanged');
    s.end();
  });

  it('resp-body-append: a response without a body gets nothing appended', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('resp-body-append'), { endStream: true });
    s.respond(204);
    assert.equal(s.downstream.body, '');
    assert.equal(s.downstream.ended, true);
    s.end();
  });

  it('metrics: counter, gauge (back down at done) and histogram', async (t) => {
    const plugin = await kitchenSink(t);
    const a = plugin.stream();
    a.requestHeaders(modeRequest('metrics', { ':path': '/abc' }), { endStream: true });
    assert.equal(a.upstream.headers?.get('x-metric-requests-total'), '1');
    assert.equal(a.upstream.headers?.get('x-metric-inflight'), '1');
    // A second request while the first is still open sees two in flight.
    const b = plugin.stream();
    b.requestHeaders(modeRequest('metrics', { ':path': '/abcdefgh' }), { endStream: true });
    assert.equal(b.upstream.headers?.get('x-metric-requests-total'), '2');
    assert.equal(b.upstream.headers?.get('x-metric-inflight'), '2');
    assert.deepEqual(plugin.metrics(), { fixture_requests_total: 2, fixture_inflight: 2, fixture_size: [4, 9] });
    a.end();
    b.end();
    assert.deepEqual(plugin.metrics(), { fixture_requests_total: 2, fixture_inflight: 0, fixture_size: [4, 9] });
  });

  it('log-levels: six lines at six levels, in order', async (t) => {
    const plugin = await kitchenSink(t);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('log-levels'), { endStream: true });
    assert.deepEqual(s.logs.map((l) => [l.level, l.message]), [
      ['trace', 'level 0'], ['debug', 'level 1'], ['info', 'level 2'], ['warn', 'level 3'], ['error', 'level 4'], ['critical', 'level 5'],
    ]);
    assert.deepEqual(plugin.logsAt('critical'), ['level 5']);
    s.end();
  });

  it('log-levels: loadPlugin({ logLevel }) drops lines below it', async (t) => {
    const plugin = await kitchenSink(t, { logLevel: 'warn' });
    const s = plugin.stream();
    s.requestHeaders(modeRequest('log-levels'), { endStream: true });
    assert.deepEqual(s.logs.map((l) => l.message), ['level 3', 'level 4', 'level 5']);
    s.end();
  });

  it('tick: the virtual clock drives proxy_on_tick at the configured period', async (t) => {
    const plugin = await kitchenSink(t, { config: { tickMs: 100 } });
    const ticks = async () => {
      const s = plugin.stream();
      s.requestHeaders(modeRequest('tick'), { endStream: true });
      s.respond(200);
      s.end();
      return s.downstream.headers?.get('x-ticks');
    };
    assert.equal(await ticks(), '0');
    await plugin.clock.advance(99);
    assert.equal(await ticks(), '0');
    await plugin.clock.advance(1);
    assert.equal(await ticks(), '1');
    await plugin.clock.advance(250);
    assert.equal(await ticks(), '3');
    assert.equal(plugin.sharedData.get('ticks'), '3');
    assert.equal(plugin.clock.elapsed, 350);
  });

  it('tick: without tickMs the clock fires nothing', async (t) => {
    const plugin = await kitchenSink(t);
    await plugin.clock.advance(10_000);
    assert.equal(plugin.clock.pendingTimers, 0);
    assert.equal(plugin.sharedData.get('ticks'), undefined);
  });

  it('every HTTP context logs "done <n>" at debug from proxy_on_done', async (t) => {
    const plugin = await kitchenSink(t);
    const { 'x-fixture-mode': _, ...noMode } = modeRequest('');
    const ids: (number | undefined)[] = [];
    for (const headers of [noMode, modeRequest('unknown-mode'), modeRequest('shared-counter')]) {
      const s = plugin.stream();
      assert.equal(s.requestHeaders(headers, { endStream: true }).status, FilterHeadersStatus.Continue);
      s.respond(200);
      s.end();
      ids.push(s.contextId);
    }
    const done = plugin.logs.filter((l) => l.level === 'debug');
    assert.deepEqual(done.map((l) => l.message), ['done 1', 'done 2', 'done 3']);
    assert.deepEqual(done.map((l) => l.contextId), ids, 'each line comes from its own stream context');
  });
});
