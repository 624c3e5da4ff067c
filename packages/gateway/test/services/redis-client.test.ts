/**
 * RedisClient against a real redis-server (one per test, on a free loopback port): the raw reply
 * bytes a plugin would read from buffer 9, pipelining, AUTH/ACL, SELECT and reconnects.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RedisCallError, RedisClient, parseRedisCluster, type RedisClientOptions } from '../../src/services/redis-client.js';
import { encodeCommand } from '../../src/services/resp.js';
import { startRedis, type RedisOptions } from '../helpers/redis.js';

const cmd = (...args: string[]): Buffer => encodeCommand(args);
const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

/** A fresh redis-server for this test, or undefined when the test was skipped. */
async function redisFor(t: TestContext, opts?: RedisOptions): Promise<number | undefined> {
  const d = await startRedis(t, opts);
  if (!d) return undefined;
  t.after(() => d.stop());
  return d.port;
}

function clientFor(t: TestContext, port: number, extra: Partial<RedisClientOptions> = {}): RedisClient {
  const c = new RedisClient({ host: '127.0.0.1', port, timeoutMs: 5000, ...extra });
  t.after(() => c.close());
  return c;
}

/** Asserts a rejection with a RedisCallError of `kind` whose message matches `msg`. */
async function rejectsWith(p: Promise<unknown>, kind: RedisCallError['kind'], msg?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof RedisCallError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

test('SET/GET/INCR return the raw RESP reply bytes, nil included', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  assert.equal(text(await c.call(cmd('SET', 'k', 'hello'))), '+OK\r\n');
  assert.equal(text(await c.call(cmd('GET', 'k'))), '$5\r\nhello\r\n');
  assert.equal(text(await c.call(cmd('INCR', 'n'))), ':1\r\n');
  assert.equal(text(await c.call(cmd('GET', 'missing'))), '$-1\r\n');
  assert.equal(text(await c.call(cmd('LRANGE', 'nolist', '0', '-1'))), '*0\r\n');
  // CRLF inside a value must not end the reply early.
  await c.call(cmd('SET', 'bin', 'a\r\nb'));
  assert.equal(text(await c.call(cmd('GET', 'bin'))), '$4\r\na\r\nb\r\n');
});

test('error replies resolve as raw bytes and leave the connection usable', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  await c.call(cmd('SET', 'k', 'hello'));
  assert.equal(text(await c.call(cmd('INCR', 'k'))), '-ERR value is not an integer or out of range\r\n');
  assert.match(text(await c.call(cmd('NOSUCHCOMMAND'))), /^-ERR unknown command/);
  assert.equal(text(await c.call(cmd('PING'))), '+PONG\r\n');
});

test('EVAL returning a nested array comes back as one reply', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  // Lua false becomes a RESP2 null bulk inside the array.
  const reply = await c.call(cmd('EVAL', "return {1, 'a', {2, {'b'}}, false}", '0'));
  assert.equal(text(reply), '*4\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n*1\r\n$1\r\nb\r\n$-1\r\n');
});

test('RESP3 replies after HELLO 3 (map, set, double, null) are framed too', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  assert.match(text(await c.call(cmd('HELLO', '3'))), /^%7\r\n/);
  await c.call(cmd('HSET', 'h', 'f', 'v'));
  assert.equal(text(await c.call(cmd('HGETALL', 'h'))), '%1\r\n$1\r\nf\r\n$1\r\nv\r\n');
  await c.call(cmd('SADD', 's', 'x'));
  assert.equal(text(await c.call(cmd('SMEMBERS', 's'))), '~1\r\n$1\r\nx\r\n');
  await c.call(cmd('ZADD', 'z', '1.5', 'm'));
  assert.equal(text(await c.call(cmd('ZSCORE', 'z', 'm'))), ',1.5\r\n');
  assert.equal(text(await c.call(cmd('GET', 'missing'))), '_\r\n');
});

test('concurrent calls are pipelined on one connection and answered in order', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => c.call(cmd('ECHO', `v${i}`))));
  replies.forEach((r, i) => assert.equal(text(r), `$${`v${i}`.length}\r\nv${i}\r\n`));
  // A 2 MiB value reaches us in many TCP reads; the calls behind it must still line up.
  const big = 'x'.repeat(2 * 1024 * 1024);
  await c.call(cmd('SET', 'big', big));
  const [r1, r2, r3] = await Promise.all([c.call(cmd('GET', 'big')), c.call(cmd('INCR', 'n')), c.call(cmd('GET', 'big'))]);
  assert.equal(text(r1 ?? new Uint8Array()), `$${big.length}\r\n${big}\r\n`);
  assert.equal(text(r2 ?? new Uint8Array()), ':1\r\n');
  assert.equal(r3?.length, r1?.length);
  const clients = text(await c.call(cmd('CLIENT', 'LIST')));
  assert.equal(clients.split('\n').filter((l) => l.includes('addr=')).length, 1, 'one connection only');
});

test('AUTH with a password; a missing one gives NOAUTH, a wrong one rejects cleanly', async (t) => {
  const port = await redisFor(t, { password: 's3cret' });
  if (port === undefined) return;
  assert.equal(text(await clientFor(t, port, { password: 's3cret' }).call(cmd('PING'))), '+PONG\r\n');
  // Without credentials the reply is the server's; wasm-go re-inits and retries on NOAUTH.
  assert.match(text(await clientFor(t, port).call(cmd('PING'))), /^-NOAUTH/);
  const wrong = clientFor(t, port, { password: 'nope' });
  const calls = [wrong.call(cmd('PING')), wrong.call(cmd('GET', 'k'))];
  for (const p of calls) await rejectsWith(p, 'connect', /WRONGPASS|invalid password/);
});

test('AUTH with an ACL user and password', async (t) => {
  const port = await redisFor(t, { user: 'alice', password: 'pw' });
  if (port === undefined) return;
  const c = clientFor(t, port, { username: 'alice', password: 'pw' });
  assert.equal(text(await c.call(cmd('ACL', 'WHOAMI'))), '$5\r\nalice\r\n');
  await rejectsWith(clientFor(t, port, { username: 'alice', password: 'bad' }).call(cmd('PING')), 'connect', /WRONGPASS/);
});

test('db selects an isolated database; an out-of-range db rejects the calls', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const db0 = clientFor(t, port);
  const db1 = clientFor(t, port, { db: 1 });
  await db0.call(cmd('SET', 'k', 'zero'));
  await db1.call(cmd('SET', 'k', 'one'));
  assert.equal(text(await db0.call(cmd('GET', 'k'))), '$4\r\nzero\r\n');
  assert.equal(text(await db1.call(cmd('GET', 'k'))), '$3\r\none\r\n');
  await rejectsWith(clientFor(t, port, { db: 9999 }).call(cmd('PING')), 'connect', /DB index is out of range/);
});

test('a timed-out call drops the connection; the next call reconnects with AUTH and SELECT', async (t) => {
  const port = await redisFor(t, { password: 'pw' });
  if (port === undefined) return;
  const c = clientFor(t, port, { password: 'pw', db: 2, timeoutMs: 200 });
  await c.call(cmd('SET', 'k', 'v'));
  // BLPOP on an empty list blocks the connection, so the call behind it is stuck as well.
  const blocked = c.call(cmd('BLPOP', 'empty', '0'));
  const behind = c.call(cmd('PING'));
  await rejectsWith(blocked, 'timeout');
  await rejectsWith(behind, 'closed');
  assert.equal(text(await c.call(cmd('GET', 'k'))), '$1\r\nv\r\n');
});

test('malformed or pairing-breaking commands are refused before anything is sent', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  const bad = ['PING\r\n', '*0\r\n', '*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n', '*2\r\n$3\r\nGET\r\n'];
  for (const wire of bad) await rejectsWith(c.call(Buffer.from(wire)), 'bad_command');
  for (const args of [['SUBSCRIBE', 'ch'], ['select', '3'], ['CLIENT', 'REPLY', 'OFF'], ['MONITOR'], ['QUIT']]) {
    await rejectsWith(c.call(cmd(...args)), 'bad_command', /not supported/);
  }
  assert.equal(text(await c.call(cmd('PING'))), '+PONG\r\n');
});

test('close() rejects later calls with kind closed', async (t) => {
  const port = await redisFor(t);
  if (port === undefined) return;
  const c = clientFor(t, port);
  await c.call(cmd('PING'));
  c.close();
  await rejectsWith(c.call(cmd('PING')), 'closed');
});

test('parseRedisCluster splits the cluster from db and ignores unknown keys', () => {
  assert.deepEqual(parseRedisCluster('outbound|6379||redis.default.svc.cluster.local?db=1&buffer_flush_timeout=0'), {
    cluster: 'outbound|6379||redis.default.svc.cluster.local',
    db: 1,
    params: { db: '1', buffer_flush_timeout: '0' },
  });
  assert.deepEqual(parseRedisCluster('outbound|6379||redis.static'), { cluster: 'outbound|6379||redis.static', params: {} });
  assert.deepEqual(parseRedisCluster('c?max_buffer_size_before_flush=1024'), { cluster: 'c', params: { max_buffer_size_before_flush: '1024' } });
  assert.throws(() => parseRedisCluster('c?db=one'), TypeError);
});
