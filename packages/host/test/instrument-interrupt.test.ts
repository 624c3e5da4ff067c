/**
 * CPU deadline by interruption: a plugin spinning in proxy_on_request_headers (no hostcall, so
 * nothing on its own thread can stop it) runs in a worker thread; this thread plays the gateway's
 * supervisor and sets the VM's interrupt flag once the worker says the call is starting. The call
 * must end as a WG_VM_DEADLINE failure of that VM while the worker thread lives on and keeps
 * serving. Everything waits on messages, not on time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { compilePlugin, PluginVm } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, readFixture } from './helpers/fixtures.js';
import type { FromWorker, WorkerInput } from './helpers/interrupt-worker.js';
import { TestPorts } from './helpers/ports.js';

/** The next message of a type from the worker (an 'error' message or an exit fails the test). */
function next<T extends FromWorker['type']>(w: Worker, type: T): Promise<Extract<FromWorker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type === 'error') done(() => reject(new Error(`worker: ${m.message}`)));
      else if (m.type === type) done(() => resolve(m as Extract<FromWorker, { type: T }>));
    };
    const onExit = (code: number) => done(() => reject(new Error(`worker exited (${code}) while waiting for ${type}`)));
    const done = (fn: () => void) => {
      w.off('message', onMessage);
      w.off('exit', onExit);
      fn();
    };
    w.on('message', onMessage);
    w.on('exit', onExit);
  });
}

async function interruptSpin(input: WorkerInput) {
  const w = new Worker(new URL('./helpers/interrupt-worker.js', import.meta.url), { workerData: input });
  try {
    const { flags } = await next(w, 'ready');
    const calling = next(w, 'calling');
    const result = next(w, 'result');
    w.postMessage({ type: 'spin' });
    await calling;
    // The supervisor's move: the guest traps at its next loop iteration or call.
    Atomics.store(new Int32Array(flags), 0, 1);
    const r = await result;
    const pong = next(w, 'pong');
    w.postMessage({ type: 'ping' });
    return { result: r, pong: await pong };
  } finally {
    const exited = once(w, 'exit');
    await w.terminate();
    await exited;
  }
}

/** Not an assertion on time: only keeps a broken interrupt from hanging the whole test run. */
const SAFETY = { timeout: 120_000 };

describe('interrupting a spinning guest from another thread', () => {
  test('Go kitchen-sink spin: the call fails with WG_VM_DEADLINE and the worker thread keeps serving', SAFETY, async () => {
    const { result, pong } = await interruptSpin({ fixture: FIXTURES.kitchenSink, callTimeoutMs: 250, calling: 'allocator', freshRequest: true });
    assert.deepEqual(result.codes, ['WG_VM_DEADLINE']);
    assert.equal(result.messages[0], `plugin ${FIXTURES.kitchenSink} exceeded its call deadline of 250 ms in proxy_on_request_headers`);
    assert.equal(result.state, 'failed', 'the interrupted VM is failed (its guest state is unknown)');
    assert.deepEqual(result.replies, [503], 'FAIL_CLOSE answers 503');
    assert.equal(pong.fresh, 'running, upstream reached');
  });

  test('WAT spin (loop (br 0)): same, without a deadline in the wording', SAFETY, async () => {
    // spin.wasm spins on every request, so the fresh VM only starts and configures a root.
    const { result, pong } = await interruptSpin({ fixture: 'fixtures/wat/spin.wasm', calling: 'before', freshRequest: false });
    assert.deepEqual(result.codes, ['WG_VM_DEADLINE']);
    assert.equal(result.messages[0], 'plugin fixtures/wat/spin.wasm exceeded its call deadline in proxy_on_request_headers');
    assert.equal(pong.fresh, 'running');
  });
});

describe('the VM reads the interrupt memory', () => {
  test('interruptFlags exists only for an instrumented module; a flag set before the call fails it at once', async () => {
    const ports = new TestPorts();
    const plain = await PluginVm.create(await compilePlugin(readFixture('fixtures/wat/spin.wasm'), 'spin'), { ports, name: 'plain' });
    assert.equal(plain.interruptFlags, undefined);
    const mod = await compilePlugin(readFixture('fixtures/wat/spin.wasm'), 'spin', { interrupt: true });
    assert.deepEqual(mod.limits, { interrupt: true });
    const vm = await PluginVm.create(mod, { ports, name: 'spin', callTimeoutMs: 5 });
    const root = vm.createRoot({ name: 'spin' });
    assert.ok(vm.interruptFlags);
    Atomics.store(vm.interruptFlags, 0, 1);
    const run = openStream([filter(vm, root)]);
    run.stream.requestHeaders(requestHeaders(), true);
    assert.equal(run.filterErrors[0]?.code, 'WG_VM_DEADLINE');
    assert.equal(run.filterErrors[0]?.message, 'plugin spin exceeded its call deadline of 5 ms in proxy_on_request_headers');
    assert.equal(vm.failure?.code, 'WG_VM_DEADLINE');
  });
});
