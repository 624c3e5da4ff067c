/**
 * Higress Redis (reference §4 redis rows, §8 "Redis"; traced plugin cluster-key-rate-limit).
 *
 * Checklist rows:
 * - redis_init/redis_call + on_redis_call_response + buffer 9 (must, Higress)
 * Traced host checklist: 15 (cluster with optional ?db=N; RESP in, raw reply in buffer 9,
 * status 0; non-zero unique ids).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginVm, WasmResult } from '@wasmgate/host';
import { settle, TestPorts } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';
import { compileWat } from './helpers/wat.js';

const PING = '*1\r\n$4\r\nPING\r\n';

/** A root whose proxy_on_redis_call_response reads buffer 9 (status at 0x20, args at 0x24..0x30). */
const REDIS_PROBE = `(module
  (import "env" "proxy_redis_init" (func $init (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_redis_call" (func $call (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_buffer_bytes" (func $gbb (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0x100) "outbound|6379||redis.dns?db=2")
  (data (i32.const 0x140) "${PING.replace(/\r/g, '\\0d').replace(/\n/g, '\\0a')}")
  (global $heap (mut i32) (i32.const 0x1000))
  (func (export "proxy_on_memory_allocate") (param $n i32) (result i32)
    (local $p i32) (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get $n))) (local.get $p))
  (func (export "proxy_abi_version_0_2_100"))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (i32.store (i32.const 0x40) (call $init (i32.const 0x100) (i32.const 29) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1000)))
    (i32.const 1))
  (func (export "ping") (result i32)
    (call $call (i32.const 0x100) (i32.const 24) (i32.const 0x140) (i32.const ${PING.length}) (i32.const 0x44)))
  (func (export "proxy_on_redis_call_response") (param $root i32) (param $id i32) (param $status i32) (param $size i32)
    (i32.store (i32.const 0x24) (local.get $root))
    (i32.store (i32.const 0x28) (local.get $id))
    (i32.store (i32.const 0x2c) (local.get $status))
    (i32.store (i32.const 0x30) (local.get $size))
    (i32.store (i32.const 0x20) (call $gbb (i32.const 9) (i32.const 0) (local.get $size) (i32.const 0x10) (i32.const 0x14)))))`;

describe('proxy_redis_init', () => {
  test('passes cluster (query string included), user, password and timeout to the port', async () => {
    const h = await HostcallProxy.create();
    const args = [...h.scratch.put('outbound|6379||redis.static?db=1&buffer_flush_timeout=10&max_buffer_size_before_flush=1024'),
      ...h.scratch.put('user'), ...h.scratch.put('p@ss'), 2000];
    assert.equal(h.call('redis_init', args), WasmResult.Ok);
    assert.deepEqual(h.ports.redisInits, [{
      cluster: 'outbound|6379||redis.static?db=1&buffer_flush_timeout=10&max_buffer_size_before_flush=1024',
      username: 'user', password: 'p@ss', timeoutMs: 2000, plugin: 'proxy',
    }]);
  });

  test('empty credentials are (0, 0); unknown cluster ⇒ 2; failure ⇒ 10; no port ⇒ 12; no root ⇒ 2', async () => {
    const h = await HostcallProxy.create();
    h.ports.knownClusters.add('redis');
    h.ports.failingClusters.add('down');
    assert.equal(h.call('redis_init', [...h.scratch.put('redis?db=3'), 0, 0, 0, 0, 0]), WasmResult.Ok);
    assert.deepEqual([h.ports.redisInits[0]?.username, h.ports.redisInits[0]?.password], ['', '']);
    assert.equal(h.call('redis_init', [...h.scratch.put('nope'), 0, 0, 0, 0, 0]), WasmResult.BadArgument);
    assert.equal(h.call('redis_init', [...h.scratch.put('down'), 0, 0, 0, 0, 0]), WasmResult.InternalFailure);
    assert.equal(h.call('redis_init', [...h.scratch.put('redis'), 0, 0, 0, 0, 0], h.vmContext), WasmResult.BadArgument);
    h.ports.redisInit = undefined;
    assert.equal(h.call('redis_init', [...h.scratch.put('redis'), 0, 0, 0, 0, 0]), WasmResult.Unimplemented);
  });
});

describe('proxy_redis_call', () => {
  test('RESP query to the port; the answer goes to the issuing root with status 0 and the reply size', async () => {
    const h = await HostcallProxy.create();
    const { ctx } = h.stream();
    const token = h.scratch.out();
    assert.equal(h.call('redis_call', [...h.scratch.put('redis'), ...h.scratch.put(PING), token], ctx), WasmResult.Ok);
    assert.deepEqual(h.ports.redisCalls.map((c) => [c.cluster, c.query, c.plugin]), [['redis', PING, 'proxy']]);
    const id = h.readU32(token);
    assert.equal(id & 3, 3, 'Redis ids carry kind 3');
    h.resetEvents();
    h.ports.redisCalls[0]!.resolve('+PONG\r\n');
    await settle();
    assert.deepEqual(h.eventLines(4), [`redis_call_response(${h.root.id},${id},0,7)`]);
  });

  test('a network error is status 1 with an empty reply', async () => {
    const h = await HostcallProxy.create();
    const token = h.scratch.out();
    h.call('redis_call', [...h.scratch.put('redis'), ...h.scratch.put(PING), token]);
    h.resetEvents();
    h.ports.redisCalls[0]!.reject(new Error('ECONNRESET'));
    await settle();
    assert.deepEqual(h.eventLines(4), [`redis_call_response(1,${h.readU32(token)},1,0)`]);
  });

  test('unknown cluster ⇒ 2, dispatch failure ⇒ 10, no port ⇒ 12; buffer 9 outside the callback ⇒ NotFound', async () => {
    const h = await HostcallProxy.create();
    h.ports.knownClusters.add('redis');
    h.ports.failingClusters.add('down');
    const q = () => [...h.scratch.put(PING), h.scratch.out()];
    assert.equal(h.call('redis_call', [...h.scratch.put('other'), ...q()]), WasmResult.BadArgument);
    assert.equal(h.call('redis_call', [...h.scratch.put('down'), ...q()]), WasmResult.InternalFailure);
    h.ports.redisCall = undefined;
    assert.equal(h.call('redis_call', [...h.scratch.put('redis'), ...q()]), WasmResult.Unimplemented);
    assert.equal(h.call('get_buffer_bytes', [9, 0, 10, h.scratch.out(), h.scratch.out()]), WasmResult.NotFound);
  });

  test('a plugin (0.2.100) inits in on_configure and reads the raw RESP reply from buffer 9 in its callback', async () => {
    const ports = new TestPorts();
    const vm = await PluginVm.create(await compileWat('redis-probe.wat', REDIS_PROBE), { name: 'redis', ports });
    const root = vm.createRoot({ name: 'redis' });
    assert.equal(vm.memory.readU32(0x40), WasmResult.Ok);
    assert.equal(ports.redisInits[0]?.cluster, 'outbound|6379||redis.dns?db=2');
    assert.equal(vm.call(root, 'ping', []), WasmResult.Ok);
    assert.equal(ports.redisCalls[0]?.cluster, 'outbound|6379||redis.dns');
    ports.redisCalls[0]!.resolve('*2\r\n:1\r\n$3\r\nabc\r\n');
    await settle();
    const id = vm.memory.readU32(0x44)!;
    assert.deepEqual([0x24, 0x28, 0x2c, 0x30, 0x20].map((a) => vm.memory.readU32(a)), [root.id, id, 0, 17, WasmResult.Ok]);
    const [p, n] = [vm.memory.readU32(0x10)!, vm.memory.readU32(0x14)!];
    assert.equal(new TextDecoder().decode(vm.memory.copy(p, n)), '*2\r\n:1\r\n$3\r\nabc\r\n');
  });
});
