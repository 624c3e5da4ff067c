/**
 * Shared data and shared queues (reference §4 shared rows, pitfall 16, §8 leader election).
 *
 * Checklist rows:
 * - shared data with CAS (must)
 * - shared queues + on_queue_ready (could)
 *
 * Every test runs twice: on the in-memory stores, and on the shared-memory stores worker threads use
 * (attachSharedState, one thread here; the cross-thread cases are in shared-memory-threads.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmResult } from '@wasmgate/host';
import { filter, openStream, requestHeaders } from './helpers/chain.js';
import { FIXTURES, loadPlugin } from './helpers/fixtures.js';
import { settle, TestPorts } from './helpers/ports.js';
import { HostcallProxy } from './helpers/proxy.js';
import { sharedMemoryPorts } from './helpers/shared-memory.js';

function shared(h: HostcallProxy) {
  const get = (key: string): { value: string; cas: number } | number => {
    const [p, s, c] = [h.scratch.out(), h.scratch.out(), h.scratch.out()];
    const r = h.call('get_shared_data', [...h.scratch.put(key), p, s, c]);
    return r === WasmResult.Ok ? { value: h.readOutText(p, s), cas: h.readU32(c) } : r;
  };
  const set = (key: string, value: string, cas: number) => h.call('set_shared_data', [...h.scratch.put(key), ...(value ? h.scratch.put(value) : [0, 0]), cas]);
  return { get, set };
}

const VARIANTS: { suffix: string; makePorts: () => TestPorts }[] = [
  { suffix: '', makePorts: () => new TestPorts() },
  { suffix: ' (shared memory)', makePorts: () => sharedMemoryPorts() },
];

for (const { suffix, makePorts } of VARIANTS) {
  describe(`shared data${suffix}`, () => {
    test('absent ⇒ NotFound; cas 0 sets unconditionally; each set gets a new non-zero cas', async () => {
      const h = await HostcallProxy.create({ ports: makePorts() });
      const { get, set } = shared(h);
      assert.equal(get('k'), WasmResult.NotFound);
      assert.equal(set('k', 'v1', 0), WasmResult.Ok);
      const a = get('k');
      assert.ok(typeof a === 'object' && a.value === 'v1' && a.cas !== 0);
      assert.equal(set('k', 'v2', 0), WasmResult.Ok);
      const b = get('k');
      assert.ok(typeof b === 'object' && b.value === 'v2' && b.cas !== a.cas && b.cas !== 0);
    });

    test('compare-and-swap: a stale cas ⇒ CasMismatch (value kept), the current cas succeeds', async () => {
      const h = await HostcallProxy.create({ ports: makePorts() });
      const { get, set } = shared(h);
      set('lease', 'a', 0);
      const first = get('lease') as { cas: number };
      set('lease', 'b', first.cas);
      assert.equal(set('lease', 'c', first.cas), WasmResult.CasMismatch);
      assert.equal((get('lease') as { value: string }).value, 'b');
    });

    test('an absent key accepts any cas (fixtures README: 12345); empty values are (0, 0)', async () => {
      const h = await HostcallProxy.create({ ports: makePorts() });
      const { get, set } = shared(h);
      assert.equal(set('fresh', 'x', 12345), WasmResult.Ok);
      assert.equal(set('empty', '', 0), WasmResult.Ok);
      const [p, s, c] = [h.scratch.out(), h.scratch.out(), h.scratch.out()];
      assert.equal(h.call('get_shared_data', [...h.scratch.put('empty'), p, s, c]), WasmResult.Ok);
      assert.deepEqual([h.readU32(p), h.readU32(s)], [0, 0]);
      assert.notEqual(h.readU32(c), 0);
      assert.ok(get);
    });

    test('leader election across two VMs of one vm_id: the loser of a CAS race sees CasMismatch', async () => {
      const ports = makePorts();
      const a = await HostcallProxy.create({ ports, vmId: 'shared-vm' });
      const b = await HostcallProxy.create({ ports, vmId: 'shared-vm' });
      const sa = shared(a);
      const sb = shared(b);
      assert.equal(sa.get('higress_wasm_vm_lease:x'), WasmResult.NotFound);
      assert.equal(sa.set('higress_wasm_vm_lease:x', '{"vmID":"a"}', 0), WasmResult.Ok);
      const seenByB = sb.get('higress_wasm_vm_lease:x') as { value: string; cas: number };
      assert.equal(seenByB.value, '{"vmID":"a"}', 'VMs of one vm_id share data');
      const seenByA = sa.get('higress_wasm_vm_lease:x') as { cas: number };
      assert.equal(sa.set('higress_wasm_vm_lease:x', '{"vmID":"a","t":2}', seenByA.cas), WasmResult.Ok, 'leader renews');
      assert.equal(sb.set('higress_wasm_vm_lease:x', '{"vmID":"b"}', seenByB.cas), WasmResult.CasMismatch, 'follower lost');
    });

    test('other vm_ids do not see the data', async () => {
      const ports = makePorts();
      const a = await HostcallProxy.create({ ports, vmId: 'vm-a' });
      const b = await HostcallProxy.create({ ports, vmId: 'vm-b' });
      shared(a).set('k', 'v', 0);
      assert.equal(shared(b).get('k'), WasmResult.NotFound);
    });

    test('kitchen-sink shared-counter: a CAS loop counts requests across VMs of the same vm_id (data outlives a VM)', async () => {
      const ports = makePorts();
      const counts: string[] = [];
      for (let vmN = 0; vmN < 2; vmN++) {
        const { vm, root } = await loadPlugin(FIXTURES.kitchenSink, { ports, vm: { vmId: 'counter-vm' } });
        for (let i = 0; i < 3; i++) {
          const run = openStream([filter(vm, root)]);
          run.stream.requestHeaders(requestHeaders([['x-fixture-mode', 'shared-counter']]), true);
          counts.push(run.sink.upstreamHeaders?.get('x-counter') ?? '?');
          run.stream.finish();
        }
        vm.dispose();
      }
      assert.deepEqual(counts, ['1', '2', '3', '4', '5', '6']);
      assert.equal(new TextDecoder().decode(ports.sharedData.get('counter-vm', 'counter')?.value), '6');
    });
  });

  describe(`shared queues${suffix}`, () => {
    test('register (create or reopen), resolve (empty vm_id = own), unknown ⇒ NotFound', async () => {
      const h = await HostcallProxy.create({ ports: makePorts(), vmId: 'q-vm' });
      const id1 = h.scratch.out();
      const id2 = h.scratch.out();
      assert.equal(h.call('register_shared_queue', [...h.scratch.put('jobs'), id1]), WasmResult.Ok);
      assert.equal(h.call('register_shared_queue', [...h.scratch.put('jobs'), id2]), WasmResult.Ok);
      assert.equal(h.readU32(id1), h.readU32(id2));
      const r = h.scratch.out();
      assert.equal(h.call('resolve_shared_queue', [0, 0, ...h.scratch.put('jobs'), r]), WasmResult.Ok);
      assert.equal(h.readU32(r), h.readU32(id1));
      assert.equal(h.call('resolve_shared_queue', [...h.scratch.put('q-vm'), ...h.scratch.put('jobs'), r]), WasmResult.Ok);
      assert.equal(h.call('resolve_shared_queue', [...h.scratch.put('other-vm'), ...h.scratch.put('jobs'), r]), WasmResult.NotFound);
      assert.equal(h.call('resolve_shared_queue', [0, 0, ...h.scratch.put('nope'), r]), WasmResult.NotFound);
    });

    test('enqueue → proxy_on_queue_ready(registering root, id) from the event loop; dequeue in order; empty ⇒ 7', async () => {
      const h = await HostcallProxy.create({ ports: makePorts() });
      const idOut = h.scratch.out();
      h.call('register_shared_queue', [...h.scratch.put('q'), idOut]);
      const id = h.readU32(idOut);
      h.resetEvents();
      const { ctx } = h.stream();
      assert.equal(h.call('enqueue_shared_queue', [id, ...h.scratch.put('one')], ctx), WasmResult.Ok);
      assert.equal(h.call('enqueue_shared_queue', [id, ...h.scratch.put('two')]), WasmResult.Ok);
      assert.deepEqual(h.eventLines(), [], 'not inside the enqueuing call');
      await settle();
      assert.deepEqual(h.eventLines(), [`queue_ready(1,${id})`, `queue_ready(1,${id})`]);
      const [p, s] = [h.scratch.out(), h.scratch.out()];
      assert.equal(h.call('dequeue_shared_queue', [id, p, s]), WasmResult.Ok);
      assert.equal(h.readOutText(p, s), 'one');
      assert.equal(h.call('dequeue_shared_queue', [id, p, s]), WasmResult.Ok);
      assert.equal(h.readOutText(p, s), 'two');
      assert.equal(h.call('dequeue_shared_queue', [id, p, s]), WasmResult.Empty);
      assert.equal(h.call('dequeue_shared_queue', [0xffff, p, s]), WasmResult.NotFound);
      assert.equal(h.call('enqueue_shared_queue', [0xffff, ...h.scratch.put('x')]), WasmResult.NotFound);
    });

    test('another VM resolves the queue by vm_id and enqueues; the owner\'s root is told', async () => {
      const ports = makePorts();
      const owner = await HostcallProxy.create({ ports, vmId: 'owner' });
      const producer = await HostcallProxy.create({ ports, vmId: 'producer' });
      const idOut = owner.scratch.out();
      owner.call('register_shared_queue', [...owner.scratch.put('inbox'), idOut]);
      const r = producer.scratch.out();
      assert.equal(producer.call('resolve_shared_queue', [...producer.scratch.put('owner'), ...producer.scratch.put('inbox'), r]), WasmResult.Ok);
      owner.resetEvents();
      producer.resetEvents();
      assert.equal(producer.call('enqueue_shared_queue', [producer.readU32(r), ...producer.scratch.put('msg')]), WasmResult.Ok);
      await settle();
      assert.deepEqual(owner.eventLines(), [`queue_ready(1,${owner.readU32(idOut)})`]);
      assert.deepEqual(producer.eventLines(), []);
    });

    test('a deleted root gets no queue_ready', async () => {
      const h = await HostcallProxy.create({ ports: makePorts() });
      const idOut = h.scratch.out();
      h.call('register_shared_queue', [...h.scratch.put('q'), idOut]);
      h.root.shutdown();
      h.resetEvents();
      h.ports.sharedQueues.enqueue(h.readU32(idOut), new Uint8Array([1]));
      await settle();
      assert.deepEqual(h.eventLines(), []);
    });
  });
}
