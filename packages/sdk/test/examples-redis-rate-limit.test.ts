// examples/as/redis-rate-limit against the harness's Redis mock: one EVAL per request (INCR + EXPIRE),
// x-ratelimit-* headers, 429 over the limit, keyed by header or client IP, fail-open when Redis fails.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadPlugin, resp, type RedisCall, type TestPlugin } from '@wasmgate/testing';
import { assertOnlyProxyWasmImports, buildExample, GET } from './examples-support.js';

const REDIS = 'outbound|6379||redis.default.svc.cluster.local';
const CONFIG = { redis: { service: 'redis.default.svc.cluster.local', timeoutMs: 200 }, limit: 2, windowSeconds: 30, keyHeader: 'x-api-key' };

describe('examples/as/redis-rate-limit', () => {
  let plugin: TestPlugin;
  /** A tiny Redis for the script: key → count (the TTL is the window, as after the first EXPIRE). */
  const counts = new Map<string, number>();
  const evalReply = (call: RedisCall) => {
    const key = call.args[2]!;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    return resp.array([resp.integer(n), resp.integer(Number(call.args[3]))]);
  };
  before(async () => { plugin = await loadPlugin(await buildExample('redis-rate-limit'), { name: 'redis-rate-limit', config: CONFIG }); });
  after(() => plugin.close());

  const hit = async (headers: Record<string, string> = {}) => {
    const s = plugin.stream();
    const r = s.requestHeaders(GET('/api', headers), { endStream: true });
    await s.settle();
    if (s.downstream.status === undefined) s.respond(200, { body: 'ok' });
    s.end();
    return { first: r.action, s };
  };

  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('redis-rate-limit'), { redis: true });
  });

  it('inits the Redis cluster at configure', () => {
    assert.deepEqual(plugin.redis.inits.map((i) => [i.raw, i.timeoutMs]), [[REDIS, 200]]);
  });

  it('counts per x-api-key in one EVAL (INCR + EXPIRE window) and answers 429 past the limit', async () => {
    plugin.redis.intercept({ cluster: REDIS, command: 'EVAL' }).replyWith(evalReply).times(5);
    const one = await hit({ 'x-api-key': 'k1' });
    assert.equal(one.first, 'pause', 'the request waits for Redis');
    assert.equal(one.s.downstream.status, 200);
    assert.equal(one.s.downstream.headers?.get('x-ratelimit-limit'), '2');
    assert.equal(one.s.downstream.headers?.get('x-ratelimit-remaining'), '1');
    assert.equal(one.s.downstream.headers?.get('x-ratelimit-reset'), '30');
    const call = plugin.redis.calls.at(-1)!;
    assert.match(call.args[0]!, /redis\.call\('INCR', KEYS\[1\]\).*redis\.call\('EXPIRE', KEYS\[1\], ARGV\[1\]\)/);
    assert.deepEqual(call.args.slice(1), ['1', 'ratelimit:key:k1', '30']);

    const two = await hit({ 'x-api-key': 'k1' });
    assert.equal(two.s.downstream.status, 200);
    assert.equal(two.s.downstream.headers?.get('x-ratelimit-remaining'), '0');

    const three = await hit({ 'x-api-key': 'k1' });
    assert.equal(three.s.downstream.status, 429);
    assert.equal(three.s.downstream.body, 'too many requests');
    assert.equal(three.s.upstream.aborted, true);
    assert.equal(three.s.downstream.headers?.get('x-ratelimit-limit'), '2');
    assert.equal(three.s.downstream.headers?.get('x-ratelimit-remaining'), '0');
    assert.equal(three.s.downstream.headers?.get('x-ratelimit-reset'), '30');

    // Another key has its own window; without the header the client IP is the key.
    assert.equal((await hit({ 'x-api-key': 'k2' })).s.downstream.status, 200);
    assert.equal((await hit()).s.downstream.status, 200);
    assert.equal(plugin.redis.calls.at(-1)!.args[2], 'ratelimit:ip:127.0.0.1');
    plugin.redis.assertNoPendingInterceptors();
  });

  it('fails open: a network error, an error reply or a Redis timeout let the request through, with a warning', async () => {
    plugin.clearLogs();
    plugin.redis.intercept({ command: 'EVAL' }).fail();
    plugin.redis.intercept({ command: 'EVAL' }).reply(resp.error('ERR something'));
    plugin.redis.intercept({ command: 'EVAL' }).reply(resp.integer(1)).delay(500);
    for (let i = 0; i < 2; i++) {
      const { s } = await hit({ 'x-api-key': 'k9' });
      assert.equal(s.upstream.headers?.get(':path'), '/api');
      assert.equal(s.downstream.status, 200);
      assert.equal(s.downstream.headers?.get('x-ratelimit-limit'), undefined);
    }
    const s = plugin.stream();
    s.requestHeaders(GET('/api', { 'x-api-key': 'k9' }), { endStream: true });
    await plugin.clock.advance(200);
    assert.equal(s.upstream.headers?.get(':path'), '/api', 'resumed at the 200 ms Redis timeout');
    s.end();
    assert.deepEqual(plugin.logsAt('warn').map((m) => m.replace(/^.*\] /, '')), [
      'rate limit not checked: redis answered cannot connect to redis cluster (failing open)',
      'rate limit not checked: redis answered ERR something (failing open)',
      'rate limit not checked: redis answered cannot connect to redis cluster (failing open)',
    ]);
  });
});

describe('examples/as/redis-rate-limit without the Redis cluster', () => {
  it('starts (init is retried per request) and lets requests through without calling', async (t) => {
    const plugin = await loadPlugin(await buildExample('redis-rate-limit'), { name: 'redis-rate-limit', config: CONFIG, clusters: ['other'] });
    t.after(() => plugin.close());
    const s = plugin.stream();
    assert.equal(s.requestHeaders(GET('/api'), { endStream: true }).action, 'continue');
    assert.equal(plugin.redis.calls.length, 0);
    assert.ok(plugin.logsAt('warn').some((m) => m.includes('redis call could not be sent (failing open)')));
    s.end();
  });
});
