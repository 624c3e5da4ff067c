import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, resp, type TestPlugin } from '@wasmgate/testing';
import { buildPlugin } from './build-plugin.js';

const REQ = (mode: string, extra: Record<string, string> = {}) =>
  ({ ':method': 'GET', ':path': '/x', ':authority': 'shop.test', ':scheme': 'http', 'x-mode': mode, ...extra });

describe('ClusterClient', () => {
  let plugin: TestPlugin;
  before(async () => { plugin = await loadPlugin(await buildPlugin('features'), { name: 'features', config: {} }); });
  after(() => plugin.close());

  it('pauses the request and resumes it from the callback with that stream\'s context', async () => {
    plugin.http.intercept({ cluster: 'outbound|8080||auth.svc', method: 'GET', path: '/check?x=1' }).reply(200, 'fine', { 'x-user': 'alice' });
    const s = plugin.stream();
    const r = s.requestHeaders(REQ('callout'), { endStream: true });
    assert.equal(r.action, 'pause');
    assert.equal(r.status, 4);
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-callout-status'), '200');
    assert.equal(s.upstream.headers?.get('x-callout-body'), 'fine');
    assert.equal(s.upstream.headers?.get('x-user'), 'alice');
    const call = plugin.http.calls.at(-1)!;
    assert.equal(call.authority, 'auth.svc');
    assert.equal(call.timeoutMs, 1000);
    assert.equal(call.headers.get('x-a'), '1');
    s.end();
    plugin.http.assertNoPendingInterceptors();
  });

  it('answers locally when the callback says so (callout 500)', async () => {
    plugin.http.intercept({ cluster: 'outbound|8080||auth.svc' }).reply(500, 'no');
    const s = plugin.stream();
    s.requestHeaders(REQ('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.downstream.status, 403);
    assert.equal(s.downstream.headers?.get('x-callout-status'), '500');
    s.end();
  });

  it('gives 502 to the callback when the callout is reset (no :status)', async () => {
    plugin.http.intercept({ cluster: 'outbound|8080||auth.svc' }).reset();
    const s = plugin.stream();
    s.requestHeaders(REQ('callout'), { endStream: true });
    await s.settle();
    assert.equal(s.downstream.headers?.get('x-callout-status'), '502');
    s.end();
  });

  for (const [kind, cluster, authority] of [
    ['k8s', 'outbound|8080|v1|auth.default.svc.cluster.local', 'auth.default.svc.cluster.local'],
    ['static', 'outbound|80||auth.static', 'auth.local'],
    ['dns', 'outbound|443||auth.dns', 'auth.example.com'],
    ['route', 'outbound|9000||backend.default.svc.cluster.local', 'shop.test'],
    ['target', 'my-cluster', 'target.host'],
  ] as const) {
    it(`names the ${kind} cluster ${cluster} with authority ${authority}`, async () => {
      plugin.http.intercept({ cluster, authority }).reply(200, 'ok');
      const s = plugin.stream({ properties: { cluster_name: 'outbound|9000||backend.default.svc.cluster.local' } });
      s.requestHeaders(REQ('callout', { 'x-cluster': kind }), { endStream: true });
      await s.settle();
      assert.equal(s.upstream.headers?.get('x-callout-status'), '200');
      s.end();
    });
  }

  it('drops the answer of a call whose stream has ended (no callback)', async () => {
    plugin.http.intercept({ cluster: 'outbound|8080||auth.svc' }).reply(200, 'late').delay(200);
    const s = plugin.stream();
    s.requestHeaders(REQ('callout'), { endStream: true });
    s.end();
    await plugin.clock.advance(300);
    assert.equal(plugin.failure, undefined);
    assert.equal(plugin.http.calls.at(-1)?.outcome, 'replied');
  });

  it('takes the authority from the URL when it has a host, and sends the body', async () => {
    plugin.http.intercept({ cluster: 'outbound|8080||auth.svc', method: 'POST', path: '/p', authority: 'override.host' }).reply(200, 'ok');
    const s = plugin.stream();
    s.requestHeaders(REQ('callout-url'), { endStream: true });
    await s.settle();
    assert.equal(plugin.http.calls.at(-1)?.body, 'payload');
    assert.equal(plugin.http.calls.at(-1)?.timeoutMs, 500);
    s.end();
  });
});

describe('RedisClient', () => {
  let plugin: TestPlugin;
  before(async () => {
    plugin = await loadPlugin(await buildPlugin('features'), {
      name: 'features',
      config: { redis: { service: 'redis.static', port: 80, username: 'u', password: 'p', timeout: 300, db: 2 } },
    });
  });
  after(() => plugin.close());

  it('inits at configure with the cluster, db, credentials and timeout', () => {
    assert.deepEqual(plugin.redis.inits[0], { cluster: 'outbound|80||redis.static', raw: 'outbound|80||redis.static?db=2', username: 'u', password: 'p', timeoutMs: 300 });
  });

  it('runs a command and resumes from the reply', async () => {
    plugin.redis.intercept({ cluster: 'outbound|80||redis.static', command: 'incr', args: ['hits'] }).reply(resp.integer(7));
    const s = plugin.stream();
    assert.equal(s.requestHeaders(REQ('redis'), { endStream: true }).action, 'pause');
    await s.settle();
    assert.equal(s.upstream.headers?.get('x-hits'), '7');
    s.end();
  });

  it('sends SET … EX for setEx and EVAL with keys and args', async () => {
    plugin.redis.intercept({ command: 'set', args: ['k', 'v', 'ex', '10'] }).reply(resp.ok());
    plugin.redis.intercept({ command: 'eval', args: ['return 1', '1', 'k1', 'a1', 'a2'] }).reply(resp.integer(1));
    for (const op of ['setex', 'eval']) {
      const s = plugin.stream();
      s.requestHeaders(REQ('redis', { 'x-redis-op': op }), { endStream: true });
      await s.settle();
      assert.equal(s.upstream.headers?.get('x-hits'), op === 'setex' ? 'OK' : '1');
      s.end();
    }
    plugin.redis.assertNoPendingInterceptors();
  });

  it('re-inits and retries once on NOAUTH', async () => {
    const inits = plugin.redis.inits.length;
    plugin.redis.intercept({ command: 'incr' }).reply(resp.error('NOAUTH Authentication required.'));
    plugin.redis.intercept({ command: 'incr' }).reply(resp.integer(8));
    const s = plugin.stream();
    s.requestHeaders(REQ('redis'), { endStream: true });
    await s.settle();
    await s.settle();
    assert.equal(plugin.redis.inits.length, inits + 1);
    assert.equal(s.upstream.headers?.get('x-hits'), '8');
    s.end();
  });

  it('hands a second NOAUTH and network errors to the callback as errors', async () => {
    plugin.redis.intercept({ command: 'incr' }).reply(resp.error('NOAUTH Authentication required.')).times(2);
    const s = plugin.stream();
    s.requestHeaders(REQ('redis'), { endStream: true });
    await s.settle();
    await s.settle();
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'redis: NOAUTH Authentication required.');
    s.end();
    plugin.redis.intercept({ command: 'incr' }).fail();
    const s2 = plugin.stream();
    s2.requestHeaders(REQ('redis'), { endStream: true });
    await s2.settle();
    assert.equal(s2.downstream.body, 'redis: cannot connect to redis cluster');
    s2.end();
  });
});

describe('RedisClient when init fails', () => {
  it('does not fail configure; each command retries init first and gives up without calling', async (t) => {
    const plugin = await loadPlugin(await buildPlugin('features'), {
      name: 'features', clusters: ['other'],
      config: { redis: { service: 'redis.static', port: 80, timeout: 300 } },
    });
    t.after(() => plugin.close());
    assert.ok(plugin.logsAt('warn').some((m) => m.includes('failed to init redis, will retry later')));
    const s = plugin.stream();
    s.requestHeaders(REQ('redis'), { endStream: true });
    assert.equal(s.downstream.status, 503);
    assert.equal(s.downstream.body, 'redis not ready');
    assert.ok(plugin.logsAt('error').some((m) => m.includes('failed to re-authenticate redis')));
    s.end();
  });
});
