// kitchen-sink's callout mode (Go): one proxy_http_call, the request paused until the answer, then
// resumed with proxy_continue_stream from the callout callback. Success, reset, unknown cluster,
// missing configuration, and the virtual clock's delays and timeouts.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { FilterHeadersStatus, loadPlugin, type LoadOptions, type TestPlugin } from '../src/index.js';
import { KITCHEN_SINK, modeRequest, nothingUpstream } from './fixtures.js';

async function kitchenSink(t: TestContext, options: LoadOptions = { config: { calloutCluster: 'callout-svc' } }): Promise<TestPlugin> {
  const plugin = await loadPlugin(KITCHEN_SINK, options);
  t.after(() => plugin.close());
  return plugin;
}

describe('kitchen-sink callout', () => {
  it('pauses the request, then resumes it with the callout status and body', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc', method: 'GET', path: '/callout', authority: 'callout.local' }).reply(200, 'pong', { 'x-from': 'mock' });
    const s = plugin.stream();
    const r = s.requestHeaders(modeRequest('callout'), { endStream: true });
    // The plugin returns 1; for ABI 0.2.1 the host makes that a stop-all, as Envoy does.
    assert.equal(r.action, 'pause');
    assert.equal(r.status, FilterHeadersStatus.StopAllIterationAndWatermark);
    assert.ok(nothingUpstream(s), 'held until the callout answers');

    await s.settle();
    assert.equal(s.upstream.headers?.get('x-callout-status'), '200');
    assert.equal(s.upstream.headers?.get('x-callout-body'), 'pong');
    assert.equal(s.upstream.headers?.get('x-fixture-mode'), 'callout');
    assert.equal(s.upstream.ended, true);

    const [call] = plugin.http.calls;
    assert.equal(call?.cluster, 'callout-svc');
    assert.equal(call?.timeoutMs, 1000);
    assert.equal(call?.body, '');
    assert.equal(call?.outcome, 'replied');
    const info = plugin.logsAt('info');
    assert.match(info.at(-2) ?? '', /^kitchen-sink: callout \d+ sent to "callout-svc"$/);
    assert.match(info.at(-1) ?? '', /^kitchen-sink: callout \d+ answered 200 with 4 body bytes$/);

    s.respond(200, { body: 'upstream says hi' });
    assert.equal(s.downstream.body, 'upstream says hi');
    s.end();
    plugin.http.assertNoPendingInterceptors();
  });

  it('keeps the first 64 body bytes and replaces unprintable ones', async (t) => {
    const plugin = await kitchenSink(t);
    const body = `a\tb${'x'.repeat(100)}`;
    plugin.http.intercept({ cluster: 'callout-svc' }).replyWith((call) => ({ status: 201, body, headers: { 'x-path': call.path } }));
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-callout-status'), '201');
    assert.equal(s.upstream.headers?.get('x-callout-body'), `a?b${'x'.repeat(61)}`);
    s.end();
  });

  it('buffers a request body under stop-all and forwards it after the resume', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc' }).reply(204);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout', { ':method': 'POST' }));
    const body = s.requestBody('payload', { endStream: true });
    assert.equal(body.action, 'pause');
    assert.equal(body.status, undefined, 'no body callback while headers stop all iteration');
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-callout-status'), '204');
    assert.equal(s.upstream.body, 'payload');
    assert.equal(s.upstream.ended, true);
    s.end();
  });

  it('a reset callout answers 503 locally and never continues', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc', path: '/callout' }).reset();
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.localReply?.status, 503);
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'kitchen-sink: callout failed');
    assert.ok(nothingUpstream(s));
    assert.equal(plugin.http.calls[0]?.outcome, 'reset');
    // Feeding an upstream response after a local reply is ignored, as Envoy ignores it.
    const late = s.respond(200, { body: 'too late' });
    assert.deepEqual(late.map((r) => [r.action, r.status]), [['local-reply', undefined], ['local-reply', undefined]]);
    assert.equal(s.downstream.body, 'kitchen-sink: callout failed');
    s.end();
  });

  it('an unknown cluster fails at dispatch: 503 with the hostcall status', async (t) => {
    const plugin = await kitchenSink(t, { config: { calloutCluster: 'nowhere' }, clusters: ['callout-svc'] });
    const s = plugin.stream();
    const r = s.requestHeaders(modeRequest('callout'), { endStream: true });
    assert.equal(r.action, 'local-reply');
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'kitchen-sink: callout: proxy_http_call failed: status 2');
    assert.equal(plugin.http.calls[0]?.outcome, 'unknown_cluster');
    s.end();
  });

  it('without calloutCluster it answers 500', async (t) => {
    const plugin = await kitchenSink(t, {});
    const s = plugin.stream();
    assert.equal(s.requestHeaders(modeRequest('callout'), { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 500);
    assert.equal(s.downstream.body, 'kitchen-sink: callout: calloutCluster is not configured');
    assert.equal(plugin.http.calls.length, 0);
    s.end();
  });

  it('a delayed answer arrives when the virtual clock reaches it', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc' }).reply(200, 'late').delay(300);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.ok(nothingUpstream(s));
    assert.equal(plugin.http.pendingCalls.length, 1);
    await plugin.clock.advance(299);
    assert.ok(nothingUpstream(s));
    await plugin.clock.advance(1);
    assert.equal(s.upstream.headers?.get('x-callout-body'), 'late');
    s.end();
  });

  it('an answer slower than the 1000 ms timeout becomes Envoy\'s synthetic 504', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc' }).reply(200, 'too slow').delay(5000);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await plugin.clock.advance(999);
    assert.ok(nothingUpstream(s));
    await plugin.clock.advance(1);
    assert.equal(s.upstream.headers?.get('x-callout-status'), '504');
    assert.equal(s.upstream.headers?.get('x-callout-body'), 'upstream request timeout');
    assert.equal(plugin.http.calls[0]?.outcome, 'timeout');
    // The late reply never reaches the plugin.
    await plugin.clock.advance(10_000);
    assert.equal(plugin.logsAt('info').filter((l) => l.includes('answered')).length, 1);
    s.end();
  });

  it('an interceptor answers once unless told otherwise', async (t) => {
    const plugin = await kitchenSink(t);
    plugin.http.intercept({ cluster: 'callout-svc' }).reply(200, 'a').times(2);
    plugin.http.intercept({ cluster: 'callout-svc' }).reply(200, 'b').persist();
    const bodies: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const s = plugin.stream();
      s.requestHeaders(modeRequest('callout'), { endStream: true });
      await s.settle();
      bodies.push(s.upstream.headers?.get('x-callout-body'));
      s.end();
    }
    assert.deepEqual(bodies, ['a', 'a', 'b', 'b']);
    plugin.http.assertNoPendingInterceptors();
  });
});
