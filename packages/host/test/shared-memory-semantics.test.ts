/**
 * The shared-memory stores (attachSharedState) keep the in-memory stores' semantics. The store
 * contract runs on both implementations; then what only the shared ones have, still in one thread:
 * two attachments of one handle behave as two threads (no call ever nests inside another, so one
 * JS thread can hold both), limits and their results, and the metric hostcalls of metrics.test.ts
 * on shared-memory ports. Real threads: shared-memory-threads.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  attachSharedState, createSharedStateHandle, HISTOGRAM_BUCKETS, InMemoryMetrics, InMemorySharedData, InMemorySharedQueues, MetricType,
  sharedStateStats, WasmResult, type MetricStore, type SharedDataStore, type SharedQueueStore, type SharedStateHandle,
} from '@wasmgate/host';
import { bytes, filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { HostcallProxy } from './helpers/proxy.js';
import { sharedMemoryPorts } from './helpers/shared-memory.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

interface Stores {
  readonly sharedData: SharedDataStore;
  readonly sharedQueues: SharedQueueStore;
  readonly metrics: MetricStore;
}

const noRouting = (): void => assert.fail('single thread: nothing to route');
function attach(handle: SharedStateHandle, threadId: number, notifyQueueReady: (to: number, id: number) => void = noRouting) {
  return attachSharedState(handle, { threadId, notifyQueueReady });
}

const IMPLEMENTATIONS: { name: string; make: () => Stores }[] = [
  { name: 'in memory', make: () => ({ sharedData: new InMemorySharedData(), sharedQueues: new InMemorySharedQueues(), metrics: new InMemoryMetrics() }) },
  { name: 'shared memory', make: () => attach(createSharedStateHandle(), 0) },
];

for (const { name, make } of IMPLEMENTATIONS) {
  describe(`store contract (${name})`, () => {
    test('shared data: cas is one sequence for all vm_ids, from 1, never 0; cas 0 sets; stale ⇒ CasMismatch; absent key takes any cas', () => {
      const { sharedData: d } = make();
      assert.equal(d.get('vm', 'k'), undefined);
      assert.equal(d.set('vm', 'k', enc('a'), 0), WasmResult.Ok);
      assert.equal(d.set('other', 'k', enc('b'), 0), WasmResult.Ok);
      assert.deepEqual([d.get('vm', 'k')?.cas, d.get('other', 'k')?.cas], [1, 2]);
      assert.equal(d.set('vm', 'k', enc('c'), 2), WasmResult.CasMismatch);
      assert.equal(dec(d.get('vm', 'k')?.value), 'a', 'a refused set keeps the value');
      assert.equal(d.set('vm', 'k', enc('c'), 1), WasmResult.Ok);
      assert.deepEqual([dec(d.get('vm', 'k')?.value), d.get('vm', 'k')?.cas], ['c', 3]);
      assert.equal(d.set('vm', 'fresh', enc('x'), 12345), WasmResult.Ok);
      assert.equal(d.set('vm', 'empty', new Uint8Array(0), 0), WasmResult.Ok);
      assert.equal(d.get('vm', 'empty')?.value.length, 0);
      assert.deepEqual(d.entries('vm').map(([k, e]) => [k, dec(e.value)]).sort(), [['empty', ''], ['fresh', 'x'], ['k', 'c']]);
      assert.deepEqual(d.entries('nobody'), []);
      assert.equal(d.get('vm2', 'k'), undefined, 'vm_ids do not see each other');
    });

    test('shared data: values are copied in (the guest memory may change); keys and vm_ids may be any UTF-8', () => {
      const { sharedData: d } = make();
      const v = enc('hello');
      d.set('vm-ü', 'ключ', v, 0);
      v[0] = 0;
      assert.equal(dec(d.get('vm-ü', 'ключ')?.value), 'hello');
      const long = 'k'.repeat(500);
      d.set('vm', long, enc('v'), 0);
      assert.equal(dec(d.get('vm', long)?.value), 'v');
    });

    test('shared queues: register creates or reopens, resolve, FIFO, Empty, NotFound; the last listener hears enqueues', () => {
      const { sharedQueues: q } = make();
      const heard: string[] = [];
      const id = q.register('vm', 'jobs', (i) => heard.push(`first ${i}`));
      assert.ok(id > 0);
      assert.equal(q.register('vm', 'jobs', (i) => heard.push(`second ${i}`)), id);
      assert.notEqual(q.register('vm2', 'jobs', () => {}), id);
      assert.equal(q.resolve('vm', 'jobs'), id);
      assert.equal(q.resolve('vm', 'nope'), undefined);
      assert.equal(q.enqueue(id, enc('one')), WasmResult.Ok);
      assert.equal(q.enqueue(id, enc('two')), WasmResult.Ok);
      assert.deepEqual(heard, [`second ${id}`, `second ${id}`], 'synchronously, to the last registrant');
      assert.equal(dec(q.dequeue(id) as Uint8Array), 'one');
      assert.equal(dec(q.dequeue(id) as Uint8Array), 'two');
      assert.equal(q.dequeue(id), WasmResult.Empty);
      assert.equal(q.dequeue(0xffff), WasmResult.NotFound);
      assert.equal(q.enqueue(0xffff, enc('x')), WasmResult.NotFound);
    });

    test('metrics: same (type, name) ⇒ same id; counter, gauge, histogram rules; unknown ⇒ NotFound; snapshot', () => {
      const { metrics: m } = make();
      const c = m.define(MetricType.Counter, 'reqs');
      assert.ok(c > 0);
      assert.equal(m.define(MetricType.Counter, 'reqs'), c);
      const g = m.define(MetricType.Gauge, 'reqs');
      const h = m.define(MetricType.Histogram, 'size');
      assert.notEqual(g, c);
      assert.equal(m.increment(c, 2n), WasmResult.Ok);
      assert.equal(m.record(c, 5n), WasmResult.Ok);
      assert.equal(m.increment(c, 0n), WasmResult.BadArgument);
      assert.equal(m.increment(c, -1n), WasmResult.BadArgument);
      assert.equal(m.get(c), 7n);
      assert.equal(m.increment(g, 10n), WasmResult.Ok);
      assert.equal(m.increment(g, -3n), WasmResult.Ok);
      assert.equal(m.get(g), 7n);
      assert.equal(m.record(g, 42n), WasmResult.Ok);
      assert.equal(m.get(g), 42n);
      assert.equal(m.record(h, 3n), WasmResult.Ok);
      assert.equal(m.record(h, 4n), WasmResult.Ok);
      assert.equal(m.increment(h, 1n), WasmResult.BadArgument);
      assert.equal(m.get(h), WasmResult.BadArgument);
      for (const bad of [0, 999, 0xffffffff]) {
        assert.deepEqual([m.increment(bad, 1n), m.record(bad, 1n), m.get(bad)], [WasmResult.NotFound, WasmResult.NotFound, WasmResult.NotFound]);
      }
      assert.deepEqual(m.snapshot(), [
        { id: c, name: 'reqs', type: MetricType.Counter, value: 7n },
        { id: g, name: 'reqs', type: MetricType.Gauge, value: 42n },
        // Both observations fall in Envoy's (1, 5] bucket, the third of HISTOGRAM_BUCKETS.
        { id: h, name: 'size', type: MetricType.Histogram, value: 7n, samples: [3n, 4n], count: 2, buckets: [0, 0, 2, ...new Array<number>(HISTOGRAM_BUCKETS.length - 2).fill(0)] },
      ]);
    });
  });
}

describe('shared memory: two attachments of one handle', () => {
  test('data and the cas sequence are shared; a reader sees later writes at its next call', () => {
    const handle = createSharedStateHandle();
    const [a, b] = [attach(handle, 1), attach(handle, 2)];
    assert.equal(a.sharedData.set('vm', 'k', enc('from a'), 0), WasmResult.Ok);
    const seen = b.sharedData.get('vm', 'k')!;
    assert.deepEqual([dec(seen.value), seen.cas], ['from a', 1]);
    assert.equal(b.sharedData.set('vm', 'k', enc('from b'), seen.cas), WasmResult.Ok);
    assert.equal(a.sharedData.set('vm', 'k', enc('stale'), seen.cas), WasmResult.CasMismatch);
    assert.equal(a.sharedData.set('vm', 'j', enc('x'), 0), WasmResult.Ok);
    assert.equal(a.sharedData.get('vm', 'j')?.cas, 3);
  });

  test('a queue registered by thread 1 gets enqueues from thread 2 through notifyQueueReady; a new registrant takes the events over', () => {
    const handle = createSharedStateHandle();
    const routed: string[] = [];
    const heard: string[] = [];
    const t1 = attach(handle, 1, (to, id) => routed.push(`1→${to}:${id}`));
    const t2 = attach(handle, 2, (to, id) => routed.push(`2→${to}:${id}`));
    const id = t1.sharedQueues.register('vm', 'q', (i) => heard.push(`t1 ${i}`));
    assert.equal(t2.sharedQueues.resolve('vm', 'q'), id);
    assert.equal(t2.sharedQueues.enqueue(id, enc('x')), WasmResult.Ok);
    assert.deepEqual([routed, heard], [[`2→1:${id}`], []], 'routed, not heard on the wrong thread');
    t1.sharedQueues.deliverReady(id);
    assert.deepEqual(heard, [`t1 ${id}`]);
    assert.equal(t2.sharedQueues.register('vm', 'q', (i) => heard.push(`t2 ${i}`)), id);
    t1.sharedQueues.enqueue(id, enc('y'));
    t2.sharedQueues.enqueue(id, enc('z'));
    assert.deepEqual(routed, [`2→1:${id}`, `1→2:${id}`]);
    assert.deepEqual(heard, [`t1 ${id}`, `t2 ${id}`]);
    assert.deepEqual([t2.sharedQueues.dequeue(id), t1.sharedQueues.dequeue(id), t2.sharedQueues.dequeue(id)].map((v) => dec(v as Uint8Array)), ['x', 'y', 'z']);
    assert.equal(t1.sharedQueues.dequeue(id), WasmResult.Empty);
  });

  test('metric ids agree across attachments; values add up; histogram samples stay with the recording thread', () => {
    const handle = createSharedStateHandle();
    const [a, b] = [attach(handle, 1), attach(handle, 2)];
    const c = a.metrics.define(MetricType.Counter, 'hits');
    const h = b.metrics.define(MetricType.Histogram, 'lat');
    assert.equal(b.metrics.define(MetricType.Counter, 'hits'), c);
    a.metrics.increment(c, 3n);
    b.metrics.increment(c, 4n);
    a.metrics.record(h, 10n);
    b.metrics.record(h, 20n);
    assert.equal(a.metrics.get(c), 7n);
    const snap = a.metrics.snapshot().find((m) => m.id === h);
    assert.deepEqual([snap?.value, snap?.count, snap?.samples], [30n, 2, [10n]]);
  });

  test('u64 on the wire: a gauge reads as i64 (below zero stays negative), a counter as u64', () => {
    const { metrics: m } = attach(createSharedStateHandle(), 0);
    const g = m.define(MetricType.Gauge, 'g');
    const c = m.define(MetricType.Counter, 'c');
    m.increment(g, -5n);
    m.record(c, 2n ** 64n - 1n);
    assert.deepEqual([m.get(g), m.get(c)], [-5n, 2n ** 64n - 1n]);
  });
});

describe('shared memory: limits', () => {
  test('a value that cannot fit ⇒ InternalFailure, old value kept; a full store refuses until space is freed', () => {
    const handle = createSharedStateHandle({ maxBytes: 16 * 1024, initialBytes: 1024 });
    const { sharedData: d, sharedQueues: q } = attach(handle, 0);
    assert.equal(d.set('vm', 'k', enc('small'), 0), WasmResult.Ok);
    assert.equal(d.set('vm', 'k', new Uint8Array(9000), 0), WasmResult.InternalFailure, 'larger than one log (maxBytes / 2)');
    assert.equal(dec(d.get('vm', 'k')?.value), 'small');
    const id = q.register('vm', 'q', () => {});
    let n = 0;
    while (q.enqueue(id, new Uint8Array(1000)) === WasmResult.Ok) n++;
    assert.ok(n >= 6 && n <= 8, `${n} items of 1000 bytes in a log of 8 KiB`);
    assert.equal(d.set('vm', 'k2', new Uint8Array(1000), 0), WasmResult.InternalFailure);
    assert.ok(q.dequeue(id) instanceof Uint8Array, 'a full log still dequeues');
    assert.equal(d.set('vm', 'k2', new Uint8Array(1000), 0), WasmResult.Ok, 'the dequeued item made room (by a compaction)');
    assert.ok(sharedStateStats(handle).compactions >= 1);
  });

  test('metric capacity: define beyond it returns 0 and proxy_define_metric answers InternalFailure', async () => {
    const handle = createSharedStateHandle({ metricCapacity: 2 });
    const h = await HostcallProxy.create({ ports: sharedMemoryPorts(handle) });
    const define = (name: string) => {
      const out = h.scratch.out();
      const r = h.call('define_metric', [MetricType.Counter, ...h.scratch.put(name), out]);
      return r === WasmResult.Ok ? h.readU32(out) : -r;
    };
    assert.deepEqual([define('a'), define('b'), define('a')], [1, 2, 1]);
    assert.equal(define('c'), -WasmResult.InternalFailure);
    assert.equal(sharedStateStats(handle).metricsDefined, 2);
  });

  test('queue registration with no room: register returns 0 and proxy_register_shared_queue answers InternalFailure', async () => {
    const handle = createSharedStateHandle({ maxBytes: 4096, initialBytes: 1024 });
    const ports = sharedMemoryPorts(handle);
    const d = ports.sharedData;
    for (const size of [200, 50, 0]) while (d.set('vm', `k${d.entries('vm').length}`, new Uint8Array(size), 0) === WasmResult.Ok);
    const h = await HostcallProxy.create({ ports, vmId: 'vm' });
    const out = h.scratch.out();
    assert.equal(h.call('register_shared_queue', [...h.scratch.put('a-queue-name-that-does-not-fit-anymore'), out]), WasmResult.InternalFailure);
  });
});

describe('shared memory: metric hostcalls (metrics.test.ts on shared-memory ports)', () => {
  function metrics(h: HostcallProxy) {
    const define = (type: number, name: string) => {
      const out = h.scratch.out();
      const r = h.call('define_metric', [type, ...h.scratch.put(name), out]);
      return r === WasmResult.Ok ? h.readU32(out) : -r;
    };
    const get = (id: number): bigint | number => {
      const out = h.scratch.out();
      const r = h.call('get_metric', [id, out]);
      return r === WasmResult.Ok ? h.readU64(out) : r;
    };
    return { define, get, inc: (id: number, d: bigint) => h.call('increment_metric', [id, d]), rec: (id: number, v: bigint) => h.call('record_metric', [id, v]) };
  }

  test('define, counter, gauge (u64 max through the i64 boundary), histogram, unknown ids', async () => {
    const h = await HostcallProxy.create({ ports: sharedMemoryPorts() });
    const { define, get, inc, rec } = metrics(h);
    const c = define(MetricType.Counter, 'c');
    assert.equal(define(MetricType.Counter, 'c'), c);
    assert.equal(define(3, 'x'), -WasmResult.BadArgument);
    assert.equal(define(0, ''), -WasmResult.BadArgument);
    assert.deepEqual([inc(c, 2n), rec(c, 5n), inc(c, 0n), inc(c, -1n), get(c)], [WasmResult.Ok, WasmResult.Ok, WasmResult.BadArgument, WasmResult.BadArgument, 7n]);
    const g = define(MetricType.Gauge, 'g');
    assert.deepEqual([inc(g, 10n), inc(g, -3n), get(g), rec(g, 42n), get(g)], [WasmResult.Ok, WasmResult.Ok, 7n, WasmResult.Ok, 42n]);
    assert.equal(rec(g, -1n), WasmResult.Ok);
    assert.equal(get(g), 2n ** 64n - 1n);
    const hist = define(MetricType.Histogram, 'h');
    assert.deepEqual([rec(hist, 3n), rec(hist, 4n), inc(hist, 1n), get(hist)], [WasmResult.Ok, WasmResult.Ok, WasmResult.BadArgument, WasmResult.BadArgument]);
    const snap = h.ports.metrics.snapshot().find((m) => m.id === hist);
    assert.deepEqual([snap?.samples, snap?.count, snap?.value], [[3n, 4n], 2, 7n]);
    assert.deepEqual([inc(999, 1n), rec(999, 1n), get(999)], [WasmResult.NotFound, WasmResult.NotFound, WasmResult.NotFound]);
  });

  test('kitchen-sink metrics mode and C body-redact count through shared memory', async () => {
    const { vm, root, ports } = await loadPlugin(FIXTURES.kitchenSink, { ports: sharedMemoryPorts() });
    for (const path of ['/abc', '/a/longer/path']) {
      const run = openStream([filter(vm, root)]);
      run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'metrics']], path), true);
      run.stream.finish();
    }
    const byName = Object.fromEntries(ports.metrics.snapshot().map((m) => [m.name, m]));
    assert.deepEqual([byName.fixture_requests_total?.value, byName.fixture_inflight?.value, byName.fixture_size?.samples], [2n, 0n, [4n, 14n]]);
    const c = await loadPlugin('fixtures/c/body-redact.wasm', { ports: sharedMemoryPorts() });
    for (const body of ['no match', 'secret and secret']) {
      const run = openStream([filter(c.vm, c.root)]);
      run.stream.requestHeaders(requestHeaders([], '/', 'POST'), false);
      run.stream.requestData(bytes(body), true);
      run.stream.finish();
    }
    assert.equal(c.ports.metrics.snapshot().find((x) => x.name === 'body_redact_total')?.value, 2n);
  });
});
