/**
 * Seeded, bounded fuzzing of the env hostcalls through hostcall-proxy: random hostcall, random
 * context (VM, root, stream, sometimes inside a simulated callout answer), random arguments drawn
 * by parameter kind (valid pointers into a scratch area holding strings, pairs and garbage; edge
 * values; random u32; random i64 BigInts for metrics). Asserts the host never throws, every status
 * is a WasmResult (0–12), no hostcall raised a JavaScript exception, and the VM stays usable.
 *
 * Deterministic: seed from WG_FUZZ_SEED (default below), iterations from WG_FUZZ_ITERATIONS
 * (default 20,000), bounded to a time budget. The seed is in every failure message.
 *
 * Checklist rows: all hostcall rows (robustness under arbitrary input: §4 Rules, STYLE §3.4
 * "a hostcall never throws into Wasm").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BodyBuffer, encodePairs, WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { HOSTCALL_SPECS, type Arg, type Kind } from './helpers/hostcall-specs.js';
import { settle } from './helpers/ports.js';
import { CB, HostcallProxy, type Context } from './helpers/proxy.js';

const SEED = Number(process.env.WG_FUZZ_SEED ?? 0x5eed2024) >>> 0;
const ITERATIONS = Number(process.env.WG_FUZZ_ITERATIONS ?? 20_000);
const BUDGET_MS = Number(process.env.WG_FUZZ_BUDGET_MS ?? 6_000);

/** mulberry32: tiny, deterministic, good enough to pick arguments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const DATA = 0x1000; // strings, pairs, garbage
const DATA_END = 0x6000;
const OUTS = 0x6000; // out-slots
const OUTS_END = 0x8000;

test(`fuzz: ${ITERATIONS} random hostcalls through hostcall-proxy (seed ${SEED}, WG_FUZZ_SEED to replay)`, async () => {
  const next = prng(SEED);
  const below = (n: number) => next() % n;
  const pick = <T>(xs: readonly T[]): T => xs[below(xs.length)]!;
  const chance = (p: number) => next() / 0x100000000 < p;

  const h = await HostcallProxy.create();
  const { vm, ports } = h;
  const names = Object.keys(HOSTCALL_SPECS).sort();
  const enc = new TextEncoder();

  // ---- the data pool: interesting inputs at known offsets, garbage in between ------------------
  const starts: number[] = [];
  function fillPool(): void {
    starts.length = 0;
    const garbage = new Uint8Array(DATA_END - DATA);
    for (let i = 0; i < garbage.length; i += 4) new DataView(garbage.buffer).setUint32(i, next(), true);
    vm.memory.write(DATA, garbage);
    const items: Uint8Array[] = [
      ...['x-a', ':path', ':status', 'plugin_name', 'route_name', 'request\0path', 'get_log_level',
        'set_global_max_requests_per_io_cycle', 'inject_encoded_data_to_filter_chain_on_header', 'counter',
        'cluster', 'redis', 'queue', 'x_request_id', 'clear_route_cache', 'set_decoder_buffer_limit', '10',
        '', 'ü€😀', '10.0.0.1:80'].map((s) => enc.encode(s)),
      encodePairs([[':method', 'GET'], [':path', '/f'], [':authority', 'fuzz']]),
      encodePairs([['a', 'b'], ['a', 'c']]),
      new Uint8Array([0, 0, 0, 0]),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0]),
      new Uint8Array([2, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0x61, 0]),
      new Uint8Array([0x0a, 0x03, 0x61, 0x62, 0x63, 0x10, 0x01]),
      new Uint8Array(8).fill(0xff),
    ];
    let p = DATA;
    for (const it of items) {
      p += below(16);
      if (p + it.length >= DATA_END) break;
      vm.memory.write(p, it);
      starts.push(p, it.length);
      p += it.length;
    }
  }

  // ---- contexts ------------------------------------------------------------------------------
  let stream = h.stream();
  function freshStream(): void {
    stream = h.stream({
      requestHeaders: [[':method', 'POST'], [':path', '/'], [':authority', 'fuzz'], ['x-a', '1']],
      responseHeaders: [[':status', '200']],
      requestTrailers: [['t', '1']],
      upstreamHosts: [['10.0.0.1:80', '{}']],
      properties: { route_name: 'r', cluster_name: 'outbound|80||svc' },
      writable: chance(0.8),
    });
    stream.ctx.requestBody = new BodyBuffer(enc.encode('fuzz body'), chance(0.5));
    if (chance(0.3)) stream.ctx.phase = 'log';
  }
  const contexts = (): Context[] => [h.vmContext, h.root, stream.ctx, stream.ctx];

  // ---- arguments by kind ------------------------------------------------------------------------
  const edge = (): number => pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffff0, h.memSize, h.memSize - 1, h.memSize - 4, next()]);
  const ids = (): number => pick([0, h.root.id, stream.ctx.id, 1, 2, 3, 4, 5, 7, 0xffffffff, below(64)]);
  const int64 = (): bigint => {
    if (chance(0.5)) return pick([0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 42n]);
    return BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next()));
  };
  function arg(kind: Kind, prev: Arg[]): Arg {
    switch (kind) {
      case 'ptr':
        if (chance(0.7) && starts.length) return starts[2 * below(starts.length / 2)]!;
        return chance(0.5) ? DATA + below(DATA_END - DATA) : edge();
      case 'len': {
        const p = prev[prev.length - 1];
        const i = starts.indexOf(p as number);
        if (chance(0.6) && i >= 0 && i % 2 === 0) return starts[i + 1]!;
        return chance(0.5) ? below(600) : edge();
      }
      case 'out':
      case 'out64':
        return chance(0.8) ? OUTS + 8 * below((OUTS_END - OUTS) / 8) : edge();
      case 'map': return chance(0.8) ? below(8) : edge();
      case 'buffer': return chance(0.8) ? below(10) : edge();
      case 'stream': return chance(0.8) ? below(4) : edge();
      case 'metric': return chance(0.8) ? below(3) : edge();
      case 'level': return chance(0.8) ? below(6) : edge();
      case 'int': return chance(0.5) ? ids() : chance(0.5) ? below(2000) : edge();
      case 'i64': return int64();
    }
  }

  const counts = new Map<number, number>();
  const started = performance.now();
  let done = 0;
  fillPool();
  freshStream();
  for (let i = 0; i < ITERATIONS; i++) {
    if (performance.now() - started > BUDGET_MS) break;
    if (i % 200 === 0) {
      h.helper('reset_heap');
      fillPool();
      freshStream();
    }
    const name = pick(names);
    const spec = HOSTCALL_SPECS[name]!;
    const args: Arg[] = [];
    for (const k of spec.params) args.push(arg(k, args));
    const ctx = pick(contexts());
    const answer = chance(0.1);
    if (answer) vm.calloutAnswer = { headers: [[':status', '200'], ['k', 'v']], body: enc.encode('answer'), trailers: [] };
    if (chance(0.05)) vm.redisAnswer = enc.encode('+OK\r\n');
    if (chance(0.05)) vm.foreignArgs = enc.encode('args');
    const where = () => `seed=${SEED} iteration=${i} ${name}(${args.map((a) => (typeof a === 'bigint' ? `${a}n` : `0x${(a >>> 0).toString(16)}`)).join(', ')}) in context ${ctx.id}`;
    let r: number;
    try {
      r = h.call(name.replace(/^proxy_/, ''), args, ctx);
    } catch (e) {
      assert.fail(`${where()}: threw ${(e as Error).stack ?? String(e)}`);
    } finally {
      vm.calloutAnswer = undefined;
      vm.redisAnswer = undefined;
      vm.foreignArgs = undefined;
    }
    assert.ok(Number.isInteger(r) && r >= 0 && r <= 12, `${where()}: status ${r} is not a WasmResult`);
    assert.equal(vm.failure, undefined, `${where()}: the VM failed`);
    if (ports.hostBugs().length) assert.fail(`${where()}: host exception: ${ports.hostBugs().join('\n')}`);
    counts.set(r, (counts.get(r) ?? 0) + 1);
    done++;
  }

  // Asynchronous work the calls started: queue-ready events, callout answers, ticks.
  await settle();
  for (const c of ports.httpCalls.splice(0)) chance(0.5) ? c.resolve({ headers: [[':status', '204']], body: new Uint8Array(0), trailers: [] }) : c.reject();
  for (const c of ports.redisCalls.splice(0)) chance(0.5) ? c.resolve('+OK\r\n') : c.reject();
  await settle();
  h.root.setTickPeriod(0);
  ports.clock.advance(60_000);
  assert.equal(vm.failure, undefined, `seed=${SEED}: the VM failed after the asynchronous callbacks`);
  assert.deepEqual(ports.hostBugs(), [], `seed=${SEED}`);

  // Still usable: a plain hostcall and a whole stream through the chain.
  h.scratch.reset();
  assert.equal(h.call('log', [2, ...h.scratch.put('after fuzz')]), WasmResult.Ok);
  for (const id of Object.values(CB)) h.setReturn(id, 0);
  h.setReturn(CB.done, 1);
  const run = openStream([filter(vm, h.root)]);
  run.stream.requestHeaders(requestHeaders([['x-after', 'fuzz']]), true);
  run.stream.responseHeaders(responseHeaders(200), true);
  run.stream.finish();
  assert.equal(run.sink.upstreamHeaders?.get('x-after'), 'fuzz');
  assert.equal(run.sink.downstreamHeaders?.get(':status'), '200');
  assert.ok(done >= Math.min(ITERATIONS, 2000), `only ${done} iterations ran within ${BUDGET_MS} ms`);
  // Sanity: the run reached more than the trivial outcomes.
  assert.ok((counts.get(WasmResult.Ok) ?? 0) > 0 && (counts.get(WasmResult.InvalidMemoryAccess) ?? 0) > 0 && (counts.get(WasmResult.BadArgument) ?? 0) > 0,
    `seed=${SEED}: outcome mix ${JSON.stringify([...counts])}`);
});
