/**
 * Timers and clocks (reference §4 tick/time rows, §8 "Tick funcs").
 *
 * Checklist rows:
 * - tick period + on_tick (must)
 * - get_log_level, current_time, get_buffer_status, get_header_map_size (should) — current_time
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders, responseHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { VirtualClock } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';

describe('proxy_set_tick_period_milliseconds and proxy_on_tick', () => {
  test('kitchen-sink: the period set in on_configure drives on_tick on the virtual clock', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink, { root: { config: '{"tickMs":100}' } });
    assert.equal(root.tickPeriodMs, 100);
    ports.clock.advance(99);
    assert.equal(ports.sharedData.get(vm.vmId, 'ticks'), undefined);
    ports.clock.advance(251);
    assert.equal(new TextDecoder().decode(ports.sharedData.get(vm.vmId, 'ticks')?.value), '3');
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'tick']]), true);
    run.stream.responseHeaders(responseHeaders(), true);
    assert.equal(run.sink.downstreamHeaders?.get('x-ticks'), '3');
  });

  test('on_tick(root) repeats every period; 0 disables; a new period restarts the schedule', async () => {
    const h = await HostcallProxy.create();
    h.resetEvents();
    assert.equal(h.call('set_tick_period_milliseconds', [50]), WasmResult.Ok);
    h.ports.clock.advance(120);
    assert.deepEqual(h.eventLines(1), ['tick(1)', 'tick(1)']);
    h.ports.clock.advance(30);
    assert.equal(h.events().length, 3, 'third tick at 150 ms');
    assert.equal(h.call('set_tick_period_milliseconds', [1000]), WasmResult.Ok);
    h.ports.clock.advance(999);
    assert.equal(h.events().length, 3);
    h.ports.clock.advance(1);
    assert.equal(h.events().length, 4);
    assert.equal(h.call('set_tick_period_milliseconds', [0]), WasmResult.Ok);
    h.ports.clock.advance(10_000);
    assert.equal(h.events().length, 4);
    assert.equal(h.ports.clock.pending, 0);
  });

  test('the period belongs to the root of the acting context (a stream sets its root\'s timer)', async () => {
    const h = await HostcallProxy.create();
    const second = h.vm.createRoot({ name: 'second' });
    const { ctx } = h.stream();
    h.resetEvents();
    assert.equal(h.call('set_tick_period_milliseconds', [30], ctx), WasmResult.Ok);
    assert.equal(h.call('set_tick_period_milliseconds', [40], second), WasmResult.Ok);
    h.ports.clock.advance(120);
    // 30 40 60 80 90 120 120 (at 120 the timer armed first, at 80, fires first)
    assert.deepEqual(h.eventLines(1), ['tick(1)', 'tick(2)', 'tick(1)', 'tick(2)', 'tick(1)', 'tick(2)', 'tick(1)']);
  });

  test('a period of 0xffffffff ms is clamped to the longest timer (2^31-1 ms), never a busy loop', async () => {
    const h = await HostcallProxy.create();
    const asked: number[] = [];
    const inner = h.ports.setTimer;
    h.ports.setTimer = (ms, fn) => (asked.push(ms), inner(ms, fn));
    assert.equal(h.call('set_tick_period_milliseconds', [0xffffffff]), WasmResult.Ok);
    assert.deepEqual(asked, [0x7fffffff]);
    h.resetEvents();
    h.ports.clock.advance(1000);
    assert.deepEqual(h.eventLines(), []);
  });

  test('from the VM context (no root) it is a no-op answering Ok', async () => {
    const h = await HostcallProxy.create();
    assert.equal(h.call('set_tick_period_milliseconds', [10], h.vmContext), WasmResult.Ok);
    assert.equal(h.ports.clock.pending, 0);
  });

  test('no tick after the root is torn down', async () => {
    const h = await HostcallProxy.create();
    h.call('set_tick_period_milliseconds', [10]);
    h.root.shutdown();
    h.resetEvents();
    h.ports.clock.advance(100);
    assert.deepEqual(h.eventLines(), []);
  });
});

describe('proxy_get_current_time_nanoseconds', () => {
  test('wall clock in ns from the host ports (u64 LE)', async () => {
    const h = await HostcallProxy.create();
    const out = h.scratch.out();
    assert.equal(h.call('get_current_time_nanoseconds', [out]), WasmResult.Ok);
    assert.equal(h.readU64(out), VirtualClock.WALL_BASE_NS);
    h.ports.clock.advance(1500);
    assert.equal(h.call('get_current_time_nanoseconds', [out]), WasmResult.Ok);
    assert.equal(h.readU64(out), VirtualClock.WALL_BASE_NS + 1_500_000_000n);
  });
});
