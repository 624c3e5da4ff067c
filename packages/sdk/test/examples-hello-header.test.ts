// examples/as/hello-header: the configured header reaches the upstream and the client; `{}` works.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlugin, WasmgateError } from '@wasmgate/testing';
import { assertOnlyProxyWasmImports, buildExample, GET } from './examples-support.js';

describe('examples/as/hello-header', () => {
  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('hello-header'));
  });

  it('with {} adds x-my-header: hello from wasmgate to the request and the response', async (t) => {
    const plugin = await loadPlugin(await buildExample('hello-header'), { name: 'hello-header', config: {} });
    t.after(() => plugin.close());
    const s = plugin.stream();
    assert.equal(s.requestHeaders(GET('/', { 'x-other': '1' }), { endStream: true }).action, 'continue');
    assert.equal(s.upstream.headers?.get('x-my-header'), 'hello from wasmgate');
    assert.equal(s.upstream.headers?.get('x-other'), '1');
    s.respond(200, { headers: { 'content-type': 'text/plain' }, body: 'hi' });
    assert.equal(s.downstream.status, 200);
    assert.equal(s.downstream.headers?.get('x-my-header'), 'hello from wasmgate');
    assert.equal(s.downstream.body, 'hi');
    s.end();
  });

  it('uses the configured name (lower-cased) and value', async (t) => {
    const plugin = await loadPlugin(await buildExample('hello-header'), { name: 'hello-header', config: { name: 'X-Greeting', value: 'hi there' } });
    t.after(() => plugin.close());
    const s = plugin.stream();
    s.requestHeaders(GET(), { endStream: true });
    assert.equal(s.upstream.headers?.get('x-greeting'), 'hi there');
    assert.equal(s.upstream.headers?.get('x-my-header'), undefined);
    s.respond(204);
    assert.equal(s.downstream.headers?.get('x-greeting'), 'hi there');
    s.end();
  });

  it('rejects a name that is not a non-empty string, saying why', async () => {
    for (const config of [{ name: 3 }, { name: '' }, { value: false }]) {
      await assert.rejects(loadPlugin(await buildExample('hello-header'), { name: 'hello-header', config }), (e: unknown) => {
        assert.ok(e instanceof WasmgateError);
        assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
        assert.ok(e.details.some((d) => /(name must be a non-empty string|value must be a string)/.test(d)), e.details.join('\n'));
        return true;
      });
    }
  });
});
