// The virtual clock on its own: timers fire in due order at their own instant, ties in the order
// they were set, and promise callbacks released by a timer run before the next timer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../src/index.js';

describe('VirtualClock', () => {
  it('starts at a fixed wall-clock time and a non-zero monotonic time', () => {
    const c = new VirtualClock();
    assert.equal(new Date(c.now).toISOString(), '2025-01-01T00:00:00.000Z');
    assert.equal(c.nowNanos(), BigInt(c.now) * 1_000_000n);
    assert.equal(c.monotonicNanos(), 1_000_000_000n);
  });

  it('fires timers in due order, each at its own instant', async () => {
    const c = new VirtualClock(0);
    const seen: string[] = [];
    c.setTimer(30, () => seen.push(`b@${c.elapsed}`));
    c.setTimer(10, () => seen.push(`a@${c.elapsed}`));
    c.setTimer(30, () => seen.push(`c@${c.elapsed}`));
    const cancel = c.setTimer(20, () => seen.push('cancelled'));
    cancel();
    await c.advance(29);
    assert.deepEqual(seen, ['a@10']);
    await c.advance(1);
    assert.deepEqual(seen, ['a@10', 'b@30', 'c@30']);
    assert.equal(c.elapsed, 30);
    assert.equal(c.now, 30);
    assert.equal(c.pendingTimers, 0);
  });

  it('runs timers scheduled while advancing when they fall inside the window (periodic ticks)', async () => {
    const c = new VirtualClock(0);
    const ticks: number[] = [];
    const tick = () => {
      ticks.push(c.elapsed);
      c.setTimer(100, tick);
    };
    c.setTimer(100, tick);
    await c.advance(350);
    assert.deepEqual(ticks, [100, 200, 300]);
    assert.equal(c.elapsed, 350);
    await c.advance(50);
    assert.deepEqual(ticks, [100, 200, 300, 400]);
  });

  it('lets promise callbacks released by one timer run before the next', async () => {
    const c = new VirtualClock(0);
    const order: string[] = [];
    c.setTimer(10, () => void Promise.resolve().then(() => order.push(`answer@${c.elapsed}`)));
    c.setTimer(10, () => order.push(`timer@${c.elapsed}`));
    c.setTimer(20, () => order.push(`timer@${c.elapsed}`));
    await c.advance(20);
    // Even the timer due at the same instant waits until the first one's answer was handled.
    assert.deepEqual(order, ['answer@10', 'timer@10', 'timer@20']);
  });

  it('refuses to go backwards', async () => {
    await assert.rejects(new VirtualClock().advance(-1), RangeError);
  });
});
