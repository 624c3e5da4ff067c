// auth-callout (AssemblyScript): external authorization through an HTTP callout, answered by the
// harness's interceptors. Written the way a plugin author would test their own plugin.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { loadPlugin, type TestPlugin } from '../src/index.js';
import { fixture, nothingUpstream } from './fixtures.js';

const AUTH = fixture('as/auth-callout.wasm');
const REQUEST = { ':method': 'GET', ':path': '/orders', ':authority': 'shop.example', ':scheme': 'https' };

async function auth(t: TestContext): Promise<TestPlugin> {
  const plugin = await loadPlugin(AUTH, { config: { cluster: 'auth-svc' }, clusters: ['auth-svc'] });
  t.after(() => plugin.close());
  return plugin;
}

describe('auth-callout (AssemblyScript)', { skip: !existsSync(AUTH) && 'fixtures/as/auth-callout.wasm not built' }, () => {
  it('rejects a configuration without a cluster, with the plugin log in the error', async () => {
    await assert.rejects(loadPlugin(AUTH, { config: { header: 'x-token' } }), (e: Error & { code?: string; details?: readonly string[] }) => {
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details?.includes('auth-callout: invalid configuration: "cluster" is required'), String(e.details));
      return true;
    });
  });

  it('answers 401 locally without credentials, and tags the reply', async (t) => {
    const plugin = await auth(t);
    const s = plugin.stream();
    assert.equal(s.requestHeaders(REQUEST, { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 401);
    assert.equal(s.downstream.body, 'missing credentials');
    assert.equal(s.downstream.headers?.get('www-authenticate'), 'Bearer');
    assert.equal(s.downstream.headers?.get('x-auth-plugin'), 'as');
    assert.equal(plugin.http.calls.length, 0);
    s.end();
  });

  it('forwards the credentials to the check and continues as the user it names', async (t) => {
    const plugin = await auth(t);
    plugin.http.intercept({ cluster: 'auth-svc', method: 'GET', path: '/check', authority: 'auth.local' })
      .replyWith((call) => (call.headers.get('authorization') === 'Bearer good' ? { status: 200, body: 'alice' } : { status: 401 }));
    const s = plugin.stream();
    assert.equal(s.requestHeaders({ ...REQUEST, authorization: 'Bearer good' }, { endStream: true }).action, 'pause');
    assert.ok(nothingUpstream(s));
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-auth-user'), 'alice');
    s.respond(200, { body: '[]' });
    assert.equal(s.downstream.headers?.get('x-auth-plugin'), 'as');
    assert.equal(s.downstream.body, '[]');
    s.end();
    assert.equal(plugin.http.calls[0]?.timeoutMs, 1000);
    plugin.http.assertNoPendingInterceptors();
  });

  it('answers 403 when the check refuses, is reset, or times out', async (t) => {
    const plugin = await auth(t);
    plugin.http.intercept({ path: '/check' }).reply(401);
    plugin.http.intercept({ path: '/check' }).reset();
    plugin.http.intercept({ path: '/check' }).reply(200, 'bob').delay(2000);
    for (const expectLog of ['check answered 401', 'check answered no :status', 'check answered 504']) {
      const s = plugin.stream();
      s.requestHeaders({ ...REQUEST, authorization: 'Bearer x' }, { endStream: true });
      await plugin.clock.advance(1000);
      assert.equal(s.downstream.status, 403);
      assert.equal(s.downstream.body, 'forbidden');
      assert.equal(s.downstream.headers?.get('x-auth-plugin'), 'as');
      assert.ok(nothingUpstream(s));
      assert.equal(plugin.logsAt('info').at(-1), `auth-callout: forbidden, ${expectLog}`);
      s.end();
    }
    assert.deepEqual(plugin.http.calls.map((c) => c.outcome), ['replied', 'reset', 'timeout']);
  });

  it('answers 503 when the cluster does not exist', async (t) => {
    const plugin = await loadPlugin(AUTH, { config: { cluster: 'gone' }, clusters: ['auth-svc'] });
    t.after(() => plugin.close());
    const s = plugin.stream();
    s.requestHeaders({ ...REQUEST, authorization: 'Bearer x' }, { endStream: true });
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'auth unavailable');
    assert.deepEqual(plugin.logsAt('error'), ['auth-callout: http_call to "gone" failed: status 2']);
    s.end();
  });
});
