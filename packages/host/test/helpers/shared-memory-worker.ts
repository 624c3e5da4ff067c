/**
 * A worker thread for the shared-memory store tests: attaches to the handle in workerData and runs
 * the operations the test thread asks for (see SharedStateWorker in shared-memory.ts). Ready events
 * for queues registered elsewhere go up to the test thread, which routes them, as the gateway will.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { acquireSharedStateLockForTest, attachSharedState, MetricType, WasmResult, type SharedStateHandle } from '@wasmgate/host';

export interface WorkerInit {
  readonly handle: SharedStateHandle;
  readonly threadId: number;
}

const port = parentPort!;
const { handle, threadId } = workerData as WorkerInit;
const stores = attachSharedState(handle, {
  threadId,
  notifyQueueReady: (target, queueId) => port.postMessage({ notify: { target, queueId } }),
});
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Blocks until the test thread opens the gate, so that every worker starts its loop together. */
function waitGate(gate: SharedArrayBuffer): void {
  const g = new Int32Array(gate);
  while (Atomics.load(g, 0) === 0) Atomics.wait(g, 0, 0);
}

/** n increments of a decimal counter, each a get then a set with the cas just read. */
function casLoop(a: { vm: string; key: string; n: number; gate: SharedArrayBuffer }): { retries: number } {
  waitGate(a.gate);
  let retries = 0;
  for (let i = 0; i < a.n; ) {
    const cur = stores.sharedData.get(a.vm, a.key);
    const next = String((cur ? Number(dec(cur.value)) : 0) + 1);
    const r = stores.sharedData.set(a.vm, a.key, enc(next), cur?.cas ?? 0);
    if (r === WasmResult.Ok) i++;
    else if (r === WasmResult.CasMismatch) retries++;
    else throw new Error(`set answered ${r}`);
  }
  return { retries };
}

function metricLoop(a: { n: number; gate: SharedArrayBuffer }): { counter: number; gauge: number; histogram: number } {
  const counter = stores.metrics.define(MetricType.Counter, 'mt_requests');
  const gauge = stores.metrics.define(MetricType.Gauge, 'mt_inflight');
  const histogram = stores.metrics.define(MetricType.Histogram, 'mt_size');
  waitGate(a.gate);
  for (let i = 0; i < a.n; i++) {
    if (stores.metrics.increment(counter, 1n) !== WasmResult.Ok) throw new Error('increment failed');
    stores.metrics.increment(gauge, 1n);
    stores.metrics.record(histogram, 3n);
    stores.metrics.increment(gauge, -1n);
  }
  return { counter, gauge, histogram };
}

/**
 * Sets keys `${prefix}0..keys-1` `rounds` times with values of changing sizes (0 to ~3 KiB), then
 * reads every key back. Returns the values it wrote last and any key that read back differently.
 */
function churn(a: { vm: string; prefix: string; keys: number; rounds: number; gate: SharedArrayBuffer }): { last: Record<string, string>; wrong: string[] } {
  waitGate(a.gate);
  const last: Record<string, string> = {};
  for (let r = 0; r < a.rounds; r++) {
    for (let k = 0; k < a.keys; k++) {
      const key = `${a.prefix}${k}`;
      const value = `${key}@${r}:`.padEnd(((r * 7919 + k * 104729) % 3000) + 1, String.fromCharCode(97 + ((r + k) % 26)));
      const res = stores.sharedData.set(a.vm, key, enc(value), 0);
      if (res !== WasmResult.Ok) throw new Error(`set ${key} answered ${res}`);
      last[key] = value;
    }
  }
  const wrong = Object.entries(last).filter(([k, v]) => {
    const e = stores.sharedData.get(a.vm, k);
    return !e || dec(e.value) !== v;
  }).map(([k]) => k);
  return { last, wrong };
}

type Args = Record<string, unknown>;
const ops: Record<string, (a: Args) => unknown> = {
  set: (a) => stores.sharedData.set(a.vm as string, a.key as string, enc(a.value as string), a.cas as number),
  get: (a) => {
    const e = stores.sharedData.get(a.vm as string, a.key as string);
    return e ? { value: dec(e.value), cas: e.cas } : null;
  },
  casLoop: (a) => casLoop(a as Parameters<typeof casLoop>[0]),
  metricLoop: (a) => metricLoop(a as Parameters<typeof metricLoop>[0]),
  churn: (a) => churn(a as Parameters<typeof churn>[0]),
  register: (a) => stores.sharedQueues.register(a.vm as string, a.name as string, (queueId) => port.postMessage({ ready: { queueId, thread: threadId } })),
  resolve: (a) => stores.sharedQueues.resolve(a.vm as string, a.name as string) ?? null,
  enqueue: (a) => (a.values as string[]).map((v) => stores.sharedQueues.enqueue(a.id as number, enc(v))),
  dequeue: (a) => {
    const r = stores.sharedQueues.dequeue(a.id as number);
    return typeof r === 'number' ? r : dec(r);
  },
  deliver: (a) => stores.sharedQueues.deliverReady(a.queueId as number),
  snapshot: () => stores.metrics.snapshot().map((m) => ({ ...m, value: String(m.value), samples: m.samples?.length })),
  /** Takes the lock and keeps it: the thread answers, then spins until it is terminated. */
  holdLock: (a) => {
    acquireSharedStateLockForTest(handle, threadId);
    port.postMessage({ req: a.req, result: 'holding' });
    for (;;) {
      // spin inside the critical section until worker.terminate()
    }
  },
};

port.on('message', (m: { req: number; op: string; args: Args }) => {
  try {
    const result = ops[m.op]!({ ...m.args, req: m.req });
    port.postMessage({ req: m.req, result });
  } catch (e) {
    port.postMessage({ req: m.req, error: e instanceof Error ? e.stack : String(e) });
  }
});
