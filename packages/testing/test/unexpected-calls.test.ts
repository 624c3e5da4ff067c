// An HTTP call nobody scripted fails the test: the plugin sees a reset, and end(), close() or
// assertNoUnexpectedCalls() throws WG_HARNESS_UNMATCHED_HTTP_CALL with the line to add.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlugin, WasmgateError } from '../src/index.js';
import { KITCHEN_SINK, modeRequest } from './fixtures.js';

const CONFIG = { config: { calloutCluster: 'callout-svc' } };

function isUnmatched(e: unknown): boolean {
  assert.ok(e instanceof WasmgateError);
  assert.equal(e.code, 'WG_HARNESS_UNMATCHED_HTTP_CALL');
  assert.match(e.message, /GET \/callout on cluster "callout-svc" \(authority callout\.local\)/);
  assert.equal(e.hint, "script it before driving the stream: plugin.http.intercept({ cluster: 'callout-svc', method: 'GET', path: '/callout' }).reply(200, 'ok')");
  return true;
}

describe('unexpected calls', () => {
  it('the plugin sees a reset and end() throws with a hint naming cluster and path', async () => {
    const plugin = await loadPlugin(KITCHEN_SINK, CONFIG);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'kitchen-sink: callout failed');
    assert.equal(plugin.http.calls[0]?.outcome, 'unmatched');
    assert.throws(() => s.end(), isUnmatched);
    // Reported once: close() does not throw it again.
    plugin.close();
  });

  it('close() throws what no end() reported', async () => {
    const plugin = await loadPlugin(KITCHEN_SINK, CONFIG);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.throws(() => plugin.close(), isUnmatched);
    assert.throws(() => plugin.stream(), { code: 'WG_HARNESS_CLOSED' });
  });

  it('assertNoUnexpectedCalls() throws as soon as it is called', async () => {
    const plugin = await loadPlugin(KITCHEN_SINK, CONFIG);
    plugin.http.intercept({ cluster: 'other' }).reply(200);
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    assert.throws(() => plugin.assertNoUnexpectedCalls(), (e: unknown) => {
      isUnmatched(e);
      assert.deepEqual((e as WasmgateError).details, ['unused interceptors:', 'http cluster=other (used 0 of 1)']);
      return true;
    });
    assert.throws(() => plugin.http.assertNoPendingInterceptors(), { code: 'WG_HARNESS_PENDING_INTERCEPTORS', message: /http cluster=other \(used 0 of 1\)/ });
    s.end();
    plugin.close();
  });

  it('a replyWith() that throws resets the call and is reported', async () => {
    const plugin = await loadPlugin(KITCHEN_SINK, CONFIG);
    plugin.http.intercept({ path: '/callout' }).replyWith(() => {
      throw new Error('bug in the test');
    });
    const s = plugin.stream();
    s.requestHeaders(modeRequest('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.downstream.body, 'kitchen-sink: callout failed');
    assert.throws(() => s.end(), { code: 'WG_HARNESS_INTERCEPTOR_THREW', message: /bug in the test/ });
    plugin.close();
  });

  it('a stream driven out of order throws WG_HARNESS_STREAM_ORDER', async (t) => {
    const plugin = await loadPlugin(KITCHEN_SINK);
    t.after(() => plugin.close());
    const s = plugin.stream();
    assert.throws(() => s.requestBody('x'), { code: 'WG_HARNESS_STREAM_ORDER', message: /request body before the request headers/ });
    assert.throws(() => s.respond(200), { code: 'WG_HARNESS_STREAM_ORDER', message: /response before the request headers/ });
    s.requestHeaders(modeRequest('none'), { endStream: true });
    assert.throws(() => s.requestBody('x'), { code: 'WG_HARNESS_STREAM_ORDER', message: /after the request ended/ });
    assert.throws(() => s.requestHeaders(modeRequest('none')), { code: 'WG_HARNESS_STREAM_ORDER', message: /sent twice/ });
    s.end();
    assert.throws(() => s.end(), { code: 'WG_HARNESS_STREAM_ORDER' });
    assert.throws(() => s.respond(200), { code: 'WG_HARNESS_STREAM_ORDER', message: /after end\(\)/ });
  });
});

describe('loading', () => {
  it('a missing file rejects with WG_HARNESS_PLUGIN_FILE', async () => {
    await assert.rejects(loadPlugin('no/such/plugin.wasm'), { code: 'WG_HARNESS_PLUGIN_FILE', message: /no\/such\/plugin\.wasm/ });
  });

  it('bytes that are not Wasm reject with the host code', async () => {
    await assert.rejects(loadPlugin(new TextEncoder().encode('not wasm at all')), { code: 'WG_PLUGIN_NOT_WASM' });
  });
});
