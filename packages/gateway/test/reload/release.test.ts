/**
 * Released generations really go away: after many reloads (with traffic on keep-alive connections
 * and a plugin that ticks), nothing keeps an old generation, its VMs or their memories reachable, so
 * the garbage collector frees them. A leak here would grow the gateway by a Go VM per reload. The
 * data plane runs in this thread (as one worker would) so the test can hold WeakRefs to its objects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Cleanup, ingress, send, service, startUpstream, wasmPlugin, writeConfig } from '../helpers/gateway.js';
import { startInThreadPlane } from '../helpers/in-thread-plane.js';
import { KITCHEN_SINK, until } from '../helpers/reload.js';

const RELOADS = 30;

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

test(`${RELOADS} reloads under keep-alive traffic leave no old generation reachable`, async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  let n = 0;
  const docs = (plugin: string) => [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', plugin, { pluginName: `r${n}`, defaultConfig: { tickMs: 20 } }),
  ];
  const bed = await startInThreadPlane(bag, [writeConfig(bag, docs(KITCHEN_SINK))]);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  t.after(() => agent.destroy());
  const gens: WeakRef<object>[] = [];
  const vms: WeakRef<object>[] = [];
  for (let i = 0; i < RELOADS; i++) {
    const gen = bed.plane.current!;
    gens.push(new WeakRef(gen));
    const vm = gen.plugins.get('default/ks')!.vm;
    // A VM holds its instance and guest memory: a leak would keep megabytes per reload.
    vms.push(new WeakRef(vm));
    const r = await send(bed.port, { headers: { 'x-fixture-mode': 'properties' }, agent });
    assert.equal(r.headers['x-prop-plugin-root-id'], `r${n}`);
    n++;
    await bed.reload([writeConfig(bag, docs(KITCHEN_SINK))]);
  }
  assert.equal((await send(bed.port, { headers: { 'x-fixture-mode': 'properties' }, agent })).headers['x-prop-plugin-root-id'], `r${n}`);
  await until('every old generation released', () => bed.plane.status().draining.length === 0);

  const gc = forceGc();
  // WeakRef targets survive the job that created or read them; collect across a few macrotasks.
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  const aliveGens = gens.filter((w) => w.deref() !== undefined).length;
  const aliveVms = vms.filter((w) => w.deref() !== undefined).length;
  // One may linger: the last request's objects stay on its keep-alive socket until the next one.
  assert.ok(aliveGens <= 1, `${aliveGens} of ${RELOADS} old generations are still reachable`);
  assert.ok(aliveVms <= 1, `${aliveVms} of ${RELOADS} old VMs are still reachable`);
});
