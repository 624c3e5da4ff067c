// Micro-benchmarks of the shared-state stores (no plugin, no sockets): what a shared-data get, a
// set and a CAS update, and a metric increment cost in the single-thread in-memory stores against
// the shared-memory ones worker threads use (SharedArrayBuffer + Atomics), alone and with a
// second thread hammering the same store (same lock, same counter).
//   node bench/lib/shared-state.mjs [--quick]      prints JSON
// Values are 64 bytes, one key per vm_id. Best round (median round in `median`), ns per operation.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { host } from './host.mjs';

const { attachSharedState, createSharedStateHandle, InMemoryMetrics, InMemorySharedData, MetricType } = host;

const VM = 'bench-vm';
const VALUE = new Uint8Array(64).fill(0x61);

/** Same shape as micro.mjs: `rounds` timings of `iters` calls, best and median ns per call. */
function time(fn, iters, rounds) {
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / iters);
  }
  per.sort((a, b) => a - b);
  return { min: Math.round(per[0]), median: Math.round(per[Math.floor(per.length / 2)]) };
}

/** get; set with cas 0; a CAS update (get, then set with the cas just read); metric increment. */
function ops(data, metrics, key) {
  data.set(VM, key, VALUE, 0);
  const counter = metrics.define(MetricType.Counter, 'bench_total');
  return {
    get: () => { if (!data.get(VM, key)) throw new Error('lost the key'); },
    set: () => { data.set(VM, key, VALUE, 0); },
    cas_update: () => { if (data.set(VM, key, VALUE, data.get(VM, key).cas) !== 0) throw new Error('CAS update refused'); },
    metric_increment: () => { metrics.increment(counter, 1n); },
  };
}

function measure(o, iters, rounds, warm) {
  const best = {};
  const median = {};
  for (const [name, fn] of Object.entries(o)) {
    for (let i = 0; i < warm; i++) fn();
    const t = time(fn, iters, rounds);
    best[`${name}_ns`] = t.min;
    median[`${name}_ns`] = t.median;
  }
  return { ...best, median };
}

/** The contending thread: CAS updates on its own key and increments of the shared counter until told to stop. */
function contend() {
  const { handle, control } = workerData;
  const ctl = new Int32Array(control);
  const stores = attachSharedState(handle, { threadId: 1, notifyQueueReady() {} });
  const o = ops(stores.sharedData, stores.metrics, 'contender-key');
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
  let n = 0;
  while (Atomics.load(ctl, 1) === 0) {
    o.cas_update();
    o.metric_increment();
    n++;
  }
  parentPort.postMessage(n);
}

export async function runSharedState({ quick = false } = {}) {
  const iters = quick ? 20_000 : 100_000;
  const rounds = quick ? 5 : 9;
  const warm = quick ? 20_000 : 100_000;
  const out = { iters, rounds };
  out.in_memory = measure(ops(new InMemorySharedData(), new InMemoryMetrics(), 'key'), iters, rounds, warm);
  const handle = createSharedStateHandle();
  const main = attachSharedState(handle, { threadId: 0, notifyQueueReady() {} });
  const shared = ops(main.sharedData, main.metrics, 'key');
  out.shared = measure(shared, iters, rounds, warm);
  // With a second thread taking the same lock and bumping the same counter all along.
  const control = new SharedArrayBuffer(8);
  const ctl = new Int32Array(control);
  const w = new Worker(new URL(import.meta.url), { workerData: { handle, control } });
  const done = new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  while (Atomics.load(ctl, 0) === 0) Atomics.wait(ctl, 0, 0);
  out.shared_contended = measure(shared, iters, rounds, warm);
  Atomics.store(ctl, 1, 1);
  out.shared_contended.contender_rounds = await done;
  await w.terminate();
  const ratio = (a, b) => Math.round((a / b) * 100) / 100;
  out.ratio_vs_in_memory = {};
  for (const k of ['get_ns', 'set_ns', 'cas_update_ns', 'metric_increment_ns']) {
    out.ratio_vs_in_memory[k.replace('_ns', '')] = ratio(out.shared[k], out.in_memory[k]);
    out.ratio_vs_in_memory[`${k.replace('_ns', '')}_contended`] = ratio(out.shared_contended[k], out.in_memory[k]);
  }
  return out;
}

if (!isMainThread) contend();
else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runSharedState({ quick: process.argv.includes('--quick') })));
}
