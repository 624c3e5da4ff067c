/**
 * Reload scheduling and the admin surface around it: a reload asked for while one runs is queued
 * (not dropped, not run concurrently) and picks up the later change; close() during a reload
 * leaves nothing running; a listener change is reported, not applied; /ready follows FAIL_CLOSE
 * plugin health, not reload failures; /config_dump shows chains with each plugin's VM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/daemon.js';
import { Cleanup, gatewaySpec, ingress, poll, send, service, startUpstream, wasmPlugin, type Manifest } from '../helpers/gateway.js';
import { KITCHEN_SINK, MOCK_RESPONSE, startReloadBed } from '../helpers/reload.js';

const manifests = (plugin: string, content: string, extra: Manifest[] = []): Manifest[] => [
  service('backend', ['127.0.0.1:9']),
  ingress('site', 'backend'),
  wasmPlugin('mock', plugin, { defaultConfig: { content } }),
  ...extra,
];

test('a reload asked for while one runs is queued once, shared by every caller meanwhile, and sees the later change', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0'), watch: false });
  const gw = bed.gateway;
  const generation = gw.generation.id;

  bed.writeConfig(manifests(bed.pluginFile, 'v1'));
  const first = gw.reload('first');
  // The first reload has read v1 and is loading; this change arrives too late for it.
  bed.writeConfig(manifests(bed.pluginFile, 'v2'));
  const second = gw.reload('second');
  const third = gw.reload('third', { ifChanged: true });
  assert.equal(second, third, 'callers while a reload runs share the one queued reload');

  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.ok && b.ok, true);
  assert.equal(a.generation, generation + 1);
  assert.equal(a.trigger, 'first');
  assert.equal(b.generation, generation + 2);
  assert.equal(b.trigger, 'second; third');
  assert.equal(gw.reloadCount, 2);
  assert.equal((await send(bed.port)).body, 'v2', 'the change made during the first reload is served');

  // Over HTTP: two POSTs at once both answer 200, the later one with the newer generation.
  bed.writeConfig(manifests(bed.pluginFile, 'v3'));
  const [p1, p2] = await Promise.all([bed.admin('/reload', 'POST'), bed.admin('/reload', 'POST')]);
  assert.equal(p1.status, 200);
  assert.equal(p2.status, 200);
  assert.equal(Math.max(p1.json.generation, p2.json.generation), gw.generation.id);
  assert.equal((await send(bed.port)).body, 'v3');
  assert.equal((await bed.admin('/reload')).status, 405, 'GET /reload is refused');
});

test('close() during a reload: the reload ends without swapping in a generation, and close resolves', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: (p) => manifests(p, 'v0'), watch: false });
  const serving = bed.gateway.generation;
  bed.writeConfig(manifests(bed.pluginFile, 'v1'));
  const reload = bed.gateway.reload('late');
  await bed.gateway.close();
  const outcome = await reload;
  assert.equal(outcome.skipped, 'shutting down');
  assert.equal(bed.gateway.generation, serving);
  assert.equal((await bed.gateway.reload('after close')).skipped, 'shutting down');
});

test('a Gateway listen change is logged and not applied: the gateway keeps serving on its address', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const [listen, admin, moved] = [await freePort(), await freePort(), await freePort()];
  const docs = (listenPort: number) => (p: string) => [...manifests(p, 'v0'), gatewaySpec({ listen: `127.0.0.1:${listenPort}`, admin: `127.0.0.1:${admin}` })];
  const bed = await startReloadBed(bag, { plugin: MOCK_RESPONSE, docs: docs(listen), listenFromConfig: true, watch: false });
  assert.equal(bed.port, listen);
  bed.writeConfig(docs(moved)(bed.pluginFile));
  const r = await bed.admin('/reload', 'POST');
  assert.equal(r.status, 200, r.body);
  await bed.gateway.settle();
  assert.ok(bed.logs.some((l) => l.includes(`Gateway listen changed to 127.0.0.1:${moved}`) && l.includes(`still on 127.0.0.1:${listen}`)));
  assert.equal(bed.gateway.address.port, listen);
  assert.equal((await send(listen)).body, 'v0');
});

test('/ready: 503 while a FAIL_CLOSE plugin VM is down, 200 again once it is recreated; /config_dump chains show each VM', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const bed = await startReloadBed(bag, {
    plugin: KITCHEN_SINK,
    docs: (p) => [service('backend', [`127.0.0.1:${upstream.port}`]), ingress('site', 'backend'), wasmPlugin('ks', p)],
    watch: false,
  });
  const dump = await bed.admin('/config_dump');
  assert.equal(dump.json.chains.length, 1);
  const entry = dump.json.chains[0];
  assert.equal(entry.route, 'default/site');
  assert.equal(entry.plugins.length, 1);
  const vm = entry.plugins[0];
  assert.equal(vm.key, 'default/ks');
  assert.equal(vm.url, `file://${bed.pluginFile}`);
  assert.match(vm.sha256, /^[0-9a-f]{64}$/);
  assert.equal(vm.abiVersion, '0.2.1');
  assert.equal(vm.state, 'running');
  assert.equal(vm.restarts, 0);
  assert.ok(vm.memoryPages > 0);
  assert.equal(dump.json.generation.id, bed.gateway.generation.id);
  assert.equal(dump.json.lastReload.trigger, 'start');

  assert.equal((await bed.admin('/ready')).status, 200);
  const trapped = await send(bed.port, { headers: { 'x-fixture-mode': 'trap' } });
  assert.equal(trapped.status, 503);
  const down = await bed.admin('/ready');
  assert.equal(down.status, 503, down.body);
  assert.match(down.json.reason, /FAIL_CLOSE plugin\(s\) not running: default\/ks/);
  await poll('the VM to be recreated', async () => ((await bed.admin('/ready')).status === 200 ? true : undefined), 5000);
  const after = await bed.admin('/config_dump');
  assert.equal(after.json.chains[0].plugins[0].restarts, 1);
  assert.equal((await send(bed.port)).body, 'upstream ok');
});
