// examples/as/auth-callout: the request waits for the auth service; 200 copies x-user and resumes,
// 401/403 answer locally, failures and timeouts answer 503 (fail closed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, type TestPlugin } from '@wasmgate/testing';
import { assertOnlyProxyWasmImports, buildExample, GET } from './examples-support.js';

const AUTH = 'outbound|8080||auth.internal';
const CONFIG = { authService: { fqdn: 'auth.internal', port: 8080 }, path: '/check', timeoutMs: 300 };

describe('examples/as/auth-callout', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildExample('auth-callout'), { name: 'auth-callout', config: CONFIG }); });
  after(() => plugin.close());

  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('auth-callout'));
  });

  it('200: waits for the auth service, copies its x-user into the request (dropping the client\'s) and resumes', async () => {
    plugin.http.intercept({ cluster: AUTH, method: 'GET', path: '/check', authority: 'auth.internal' })
      .replyWith((call) => ({ status: call.headers.get('authorization') === 'Bearer good' ? 200 : 401, headers: { 'x-user': 'alice' } }));
    const s = plugin.stream();
    const r = s.requestHeaders(GET('/orders', { authorization: 'Bearer good', 'x-user': 'mallory' }), { endStream: true });
    assert.equal(r.action, 'pause');
    assert.equal(s.upstream.headers === undefined, true, 'nothing went upstream before the answer');
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-user'), 'alice');
    assert.deepEqual(s.upstream.headers?.getAll('x-user'), ['alice']);
    assert.equal(plugin.http.calls.at(-1)?.timeoutMs, 300);
    s.respond(200, { body: 'orders' });
    assert.equal(s.downstream.body, 'orders');
    s.end();
    plugin.http.assertNoPendingInterceptors();
  });

  it('no authorization header: 401 at once, no callout', () => {
    const calls = plugin.http.calls.length;
    const s = plugin.stream();
    assert.equal(s.requestHeaders(GET(), { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 401);
    assert.equal(s.downstream.body, 'missing authorization');
    assert.equal(plugin.http.calls.length, calls);
    s.end();
  });

  for (const [answer, status, body] of [[401, 401, 'unauthorized'], [403, 403, 'forbidden'], [404, 403, 'forbidden'], [500, 503, 'auth service unavailable']] as const) {
    it(`auth service answers ${answer}: the client gets ${status} ${body}`, async () => {
      plugin.http.intercept({ cluster: AUTH }).reply(answer, 'no');
      const s = plugin.stream();
      s.requestHeaders(GET('/', { authorization: 'Bearer x' }), { endStream: true });
      await s.settle();
      assert.equal(s.downstream.status, status);
      assert.equal(s.downstream.body, body);
      assert.equal(s.upstream.aborted, true);
      s.end();
    });
  }

  it('fails closed: a reset callout and one that outlives its 300 ms timeout both answer 503', async () => {
    plugin.http.intercept({ cluster: AUTH }).reset();
    const a = plugin.stream();
    a.requestHeaders(GET('/', { authorization: 'Bearer x' }), { endStream: true });
    await a.settle();
    assert.equal(a.downstream.status, 503);
    a.end();

    plugin.http.intercept({ cluster: AUTH }).reply(200, 'late', { 'x-user': 'alice' }).delay(1_000);
    const b = plugin.stream();
    b.requestHeaders(GET('/', { authorization: 'Bearer x' }), { endStream: true });
    await plugin.clock.advance(299);
    assert.equal(b.downstream.status, undefined, 'still waiting before the timeout');
    await plugin.clock.advance(1);
    assert.equal(plugin.http.calls.at(-1)?.outcome, 'timeout');
    assert.equal(b.downstream.status, 503);
    assert.equal(b.downstream.body, 'auth service unavailable');
    assert.equal(b.upstream.headers, undefined);
    assert.ok(plugin.logsAt('warn').some((m) => m.endsWith('auth service answered 504: failing closed')), plugin.logsAt('warn').join('\n'));
    b.end();
  });
});

describe('examples/as/auth-callout configuration', () => {
  it('a K8s service names its cluster outbound|port||svc.ns.svc.cluster.local', async (t) => {
    const plugin = await loadPlugin(await buildExample('auth-callout'), {
      name: 'auth-callout', config: { authService: { service: 'auth', namespace: 'security', port: 9000 } },
    });
    t.after(() => plugin.close());
    plugin.http.intercept({ cluster: 'outbound|9000||auth.security.svc.cluster.local', path: '/check' }).reply(200, '', { 'x-user': 'bob' });
    const s = plugin.stream();
    s.requestHeaders(GET('/', { authorization: 'Basic Ym9i' }), { endStream: true });
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-user'), 'bob');
    assert.equal(plugin.http.calls.at(-1)?.headers.get('authorization'), 'Basic Ym9i');
    assert.equal(plugin.http.calls.at(-1)?.timeoutMs, 500);
    s.end();
  });

  it('a cluster the host does not know: the call is refused and the request answered 503 at once', async (t) => {
    const plugin = await loadPlugin(await buildExample('auth-callout'), { name: 'auth-callout', config: CONFIG, clusters: ['other'] });
    t.after(() => plugin.close());
    const s = plugin.stream();
    assert.equal(s.requestHeaders(GET('/', { authorization: 'Bearer x' }), { endStream: true }).action, 'local-reply');
    assert.equal(s.downstream.status, 503);
    s.end();
  });

  it('rejects a configuration without authService', async () => {
    await assert.rejects(loadPlugin(await buildExample('auth-callout'), { name: 'auth-callout', config: {} }),
      (e: Error & { details?: string[] }) => (e.details ?? []).some((d) => d.includes('authService needs')));
  });
});
