/**
 * Higress's Redis hostcalls end to end: the redis-limit fixture (fixtures/as/redis-limit) does
 * proxy_redis_init on configure and an INCR per request through proxy_redis_call against a real
 * redis-server, reached through a `Service` with `spec.protocol: redis`. Skips where redis-server
 * is not installed (fails under CI).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WasmgateError } from '@wasmgate/host';
import { RedisClient } from '../../src/services/redis-client.js';
import type { Daemon } from '../helpers/daemon.js';
import { startRedis } from '../helpers/redis.js';
import {
  Cleanup, fixture, ingress, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

const REDIS_LIMIT = fixture('as/redis-limit.wasm');
const LIMIT = 3;

describe('redis-limit: proxy_redis_init + proxy_redis_call against redis-server', () => {
  const bag = new Cleanup();
  let redis: Daemon | undefined;
  let skipReason = '';
  let gw: TestGateway;
  let up: Upstream;
  let direct: RedisClient;
  before(async () => {
    redis = await startRedis({ skip: (m) => { skipReason = m; } });
    if (!redis) return;
    bag.after(() => redis?.stop());
    direct = new RedisClient({ host: '127.0.0.1', port: redis.port, timeoutMs: 2000 });
    bag.after(() => direct.close());
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('redis', [`127.0.0.1:${redis.port}`], { protocol: 'redis' }),
      ingress('all', 'backend'),
      wasmPlugin('limit', REDIS_LIMIT, { defaultConfig: { limit: LIMIT, window: 60 } }),
    ]);
  });
  after(() => bag.run());

  const hit = (client: string) => send(gw.port, { path: '/api', headers: { 'x-client-id': client } });
  const redisCommand = async (...args: string[]) => {
    const q = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return Buffer.from(await direct.call(Buffer.from(q))).toString();
  };

  test('configure ran proxy_redis_init on the redis Service', async (t) => {
    if (!redis) return t.skip(skipReason);
    await gw.gateway.settle();
    assert.ok(gw.logs.some((l) => l.includes(`[default/limit] redis-limit: ${LIMIT} requests per 60 s on "outbound|6379||redis.default.svc.cluster.local"`)), gw.logs.join('\n'));
  });

  test('each request INCRs in Redis and resumes with x-redis-count; over the limit → 429', async (t) => {
    if (!redis) return t.skip(skipReason);
    const client = `alice-${randomUUID()}`;
    const before = up.requests.length;
    for (let i = 1; i <= LIMIT; i++) {
      const r = await hit(client);
      assert.equal(r.status, 200, r.body);
      assert.equal(up.requests.at(-1)!.headers['x-redis-count'], String(i));
    }
    const over = await hit(client);
    assert.equal(over.status, 429);
    assert.equal(over.body, 'too many requests');
    assert.equal(over.headers['x-redis-count'], String(LIMIT + 1));
    assert.equal(up.requests.length, before + LIMIT, 'the limited request never reached the upstream');
    // What the plugin did is in Redis itself: the counter and the window's expiry.
    assert.equal(await redisCommand('GET', `redis-limit:${client}`), `$1\r\n${LIMIT + 1}\r\n`);
    const ttl = Number((await redisCommand('TTL', `redis-limit:${client}`)).slice(1));
    assert.ok(ttl > 0 && ttl <= 60, `TTL ${ttl}`);
  });

  test('clients are counted apart, and concurrent requests each get their own INCR reply', async (t) => {
    if (!redis) return t.skip(skipReason);
    const client = `bob-${randomUUID()}`;
    const replies = await Promise.all(Array.from({ length: LIMIT + 2 }, () => hit(client)));
    assert.deepEqual(replies.map((r) => r.status).sort(), [...Array(LIMIT).fill(200), 429, 429]);
    const limited = replies.filter((r) => r.status === 429).map((r) => Number(r.headers['x-redis-count'])).sort();
    assert.deepEqual(limited, [LIMIT + 1, LIMIT + 2]);
    assert.equal((await hit(`carol-${randomUUID()}`)).status, 200);
  });

  test('Redis gone: the call fails and the plugin answers 503', async (t) => {
    if (!redis) return t.skip(skipReason);
    await redis.stop();
    const r = await hit(`dave-${randomUUID()}`);
    assert.equal(r.status, 503);
    assert.equal(r.body, 'rate limiter unavailable');
    await gw.gateway.settle();
    assert.ok(gw.logs.some((l) => l.includes('[default/limit] redis-limit:') && l.includes('failed')), gw.logs.slice(-5).join('\n'));
  });
});

test('without a Service for the cluster, proxy_redis_init fails and the plugin refuses to start', async (t) => {
  await assert.rejects(
    startGateway(t, [
      service('backend', ['127.0.0.1:1']),
      ingress('all', 'backend'),
      wasmPlugin('limit', REDIS_LIMIT),
    ]),
    (e: unknown) => {
      assert.ok(e instanceof WasmgateError, String(e));
      assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED');
      assert.ok(e.details.some((d) => d.includes('redis-limit: redis_init("outbound|6379||redis.default.svc.cluster.local") failed: status 2')), e.details.join('\n'));
      return true;
    },
  );
});
