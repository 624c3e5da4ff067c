// leader-election (AssemblyScript): Higress wasm-go's leader election among the VMs of one plugin,
// through shared data. Two VMs of the plugin share one store here the way the harness allows it: the
// second one is a chain plugin with the same vm_id (chain plugins share the clock, log and stores),
// so every request passes both and carries both VMs' headers, the plugin under test's first on the
// request side and last on the response side. A VM that (re)starts later is built with the host's
// PluginVm on the harness's own ports (plugin.vm.ports), so it shares the store and the clock too;
// its view shows in the log and in the lease, since harness streams only pass the loaded chain.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { PluginVm } from '@wasmgate/host';
import { loadPlugin, type TestPlugin } from '../src/index.js';
import { fixture } from './fixtures.js';

const LE = fixture('as/leader-election.wasm');
const CONFIG = { tickMs: 200, ttlSeconds: 60 };
const KEY = 'higress_wasm_vm_lease:default';
/** The harness's virtual clock starts at 2025-01-01T00:00:00Z. */
const START_S = Date.UTC(2025, 0, 1) / 1000;
const REQUEST = { ':method': 'GET', ':path': '/', ':authority': 'example.com', ':scheme': 'http' };

/** Two VMs of the plugin, vm-a (the plugin under test) and vm-b (a chain plugin), on one store. */
async function twoVms(t: TestContext, config: object = CONFIG, configB: object = config): Promise<TestPlugin> {
  const plugin = await loadPlugin(LE, { name: 'vm-a', vmId: 'le', config, chain: [{ wasm: LE, name: 'vm-b', vmId: 'le', config: configB }] });
  t.after(() => plugin.close());
  return plugin;
}

/** A VM started later on the same ports (store, clock, log, metrics) as `plugin`. */
async function startVm(t: TestContext, plugin: TestPlugin, name: string, config: object = CONFIG): Promise<PluginVm> {
  const vm = await PluginVm.create(plugin.vm.pluginModule, { ports: plugin.vm.ports, name, vmId: 'le' });
  t.after(() => vm.dispose());
  vm.createRoot({ name, config: JSON.stringify(config) });
  return vm;
}

/** A VM's id, from the line it logs at configure: `leader-election: vm <id>, lease …`. */
function idOf(plugin: TestPlugin, name: string): string {
  const line = plugin.logs.find((l) => l.plugin === name && l.message.startsWith('leader-election: vm '));
  assert.ok(line, `no configure line from ${name}`);
  const id = /^leader-election: vm ([0-9a-f]{32}),/.exec(line.message)?.[1];
  assert.ok(id, line.message);
  return id;
}

/** The three headers, as each VM added them, in the order the side passed the VMs. */
interface Tags { self: string[]; leader: string[]; isLeader: string[] }

/** One exchange through both VMs. */
function exchange(plugin: TestPlugin): { request: Tags; response: Tags } {
  const s = plugin.stream();
  assert.equal(s.requestHeaders(REQUEST, { endStream: true }).action, 'continue');
  s.respond(200, { body: 'ok' });
  const tags = (h: { getAll(n: string): string[] } | undefined): Tags => ({
    self: h?.getAll('x-le-self') ?? [], leader: h?.getAll('x-le-leader') ?? [], isLeader: h?.getAll('x-le-is-leader') ?? [],
  });
  const out = { request: tags(s.upstream.headers), response: tags(s.downstream.headers) };
  s.end();
  return out;
}

function lease(plugin: TestPlugin): { vmID: string; timestamp: number } {
  const raw = plugin.sharedData.get(KEY);
  assert.ok(raw !== undefined, `no ${KEY}`);
  return JSON.parse(raw) as { vmID: string; timestamp: number };
}

/** The VM ids that logged "is now the leader", in order. */
function leaderLines(plugin: TestPlugin): string[] {
  return plugin.logsAt('info').flatMap((m) => /^leader-election: ([0-9a-f]{32}) is now the leader$/.exec(m)?.slice(1) ?? []);
}

describe('leader-election (AssemblyScript)', { skip: !existsSync(LE) && 'fixtures/as/leader-election.wasm not built' }, () => {
  it('elects exactly one of two VMs sharing a store, and both name the same leader', async (t) => {
    const plugin = await twoVms(t);
    const a = idOf(plugin, 'vm-a');
    const b = idOf(plugin, 'vm-b');
    assert.notEqual(a, b); // random_get: two VMs started at the same instant still differ

    // vm-a configured first, found no lease and took it; vm-b found it live.
    assert.deepEqual(plugin.logsAt('info'), [
      `leader-election: vm ${a}, lease "${KEY}", ttl 60 s, tick 200 ms`,
      `leader-election: ${a} is now the leader`,
      `leader-election: vm ${b}, lease "${KEY}", ttl 60 s, tick 200 ms`,
      `leader-election: ${b} is now a follower`,
    ]);
    assert.equal(plugin.sharedData.get(KEY), `{"vmID":"${a}","timestamp":${START_S}}`);
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 1 });

    // Requests spread over 10 s of ticks: every answer agrees, and the leader keeps renewing.
    for (let i = 0; i < 5; i++) {
      await plugin.clock.advance(2_000);
      const { request, response } = exchange(plugin);
      assert.deepEqual(request, { self: [a, b], leader: [a, a], isLeader: ['true', 'false'] });
      assert.deepEqual(response, { self: [b, a], leader: [a, a], isLeader: ['false', 'true'] });
    }
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S + 10 });
    assert.deepEqual(leaderLines(plugin), [a]); // no flapping
    assert.equal(plugin.logs.filter((l) => l.message.includes('is now')).length, 2);
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 1 });
    assert.deepEqual(plugin.logsAt('warn'), []);
    assert.deepEqual(plugin.logsAt('error'), []);
  });

  it('lets the follower take over once the leader has not renewed for more than the TTL', async (t) => {
    const plugin = await twoVms(t);
    const a = idOf(plugin, 'vm-a');
    const b = idOf(plugin, 'vm-b');
    await plugin.clock.advance(1_000);
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S + 1 });

    // The leader stops ticking (a stuck worker): nobody renews the lease from now on.
    plugin.root.setTickPeriod(0);
    await plugin.clock.advance(60_800); // now = START_S + 61: the lease is 60 s old, not more
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S + 1 });
    assert.deepEqual(exchange(plugin).request.leader, [a, a]);
    assert.deepEqual(leaderLines(plugin), [a]);

    await plugin.clock.advance(200); // vm-b's tick at START_S + 62: 61 s > 60 s
    assert.deepEqual(lease(plugin), { vmID: b, timestamp: START_S + 62 });
    assert.deepEqual(leaderLines(plugin), [a, b]);
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 2 });

    // vm-a has not run an election since: its own view is stale, the lease it reads is not.
    assert.deepEqual(exchange(plugin).request, { self: [a, b], leader: [b, b], isLeader: ['true', 'true'] });

    // Once it ticks again it finds a live lease that is not its own and steps down.
    plugin.root.setTickPeriod(200);
    await plugin.clock.advance(200);
    assert.equal(plugin.logsAt('info').at(-1), `leader-election: ${a} is now a follower`);
    assert.deepEqual(exchange(plugin).request, { self: [a, b], leader: [b, b], isLeader: ['false', 'true'] });
    await plugin.clock.advance(5_000);
    assert.deepEqual(lease(plugin), { vmID: b, timestamp: START_S + 67 });
    assert.deepEqual(leaderLines(plugin), [a, b]);
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 2 });
  });

  it('does not let a VM that (re)starts on the same store steal a live lease', async (t) => {
    const plugin = await twoVms(t);
    const a = idOf(plugin, 'vm-a');
    const b = idOf(plugin, 'vm-b');

    // A new VM joins while the leader is alive and renewing.
    await startVm(t, plugin, 'vm-c');
    const c = idOf(plugin, 'vm-c');
    assert.ok(c !== a && c !== b);
    assert.equal(plugin.logsAt('info').at(-1), `leader-election: ${c} is now a follower`);
    await plugin.clock.advance(5_000);
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S + 5 });
    assert.deepEqual(leaderLines(plugin), [a]);

    // The leader's VM goes away and is replaced by a fresh one: the new VM has a new id, so the
    // lease the old one left is not its own, and it waits like everyone else.
    plugin.vm.dispose();
    await startVm(t, plugin, 'vm-a2');
    const a2 = idOf(plugin, 'vm-a2');
    assert.ok(![a, b, c].includes(a2));
    assert.equal(plugin.logsAt('info').at(-1), `leader-election: ${a2} is now a follower`);
    await plugin.clock.advance(56_000); // now = START_S + 61: the lease (START_S + 5) is 56 s old
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S + 5 });
    assert.deepEqual(leaderLines(plugin), [a]);

    // Past the TTL exactly one of the survivors takes the lease, and keeps it.
    await plugin.clock.advance(6_000);
    const lines = leaderLines(plugin);
    assert.equal(lines.length, 2, String(lines));
    const next = lines[1]!;
    assert.ok([b, c, a2].includes(next), next);
    assert.deepEqual(lease(plugin), { vmID: next, timestamp: START_S + 67 });
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 2 });
  });

  it('stays a follower under a live lease another process wrote, and takes over garbage at once', async (t) => {
    const plugin = await twoVms(t);
    const a = idOf(plugin, 'vm-a');
    const b = idOf(plugin, 'vm-b');
    plugin.sharedData.set(KEY, `{"vmID":"elsewhere","timestamp":${START_S}}`);
    await plugin.clock.advance(200);
    assert.equal(plugin.logsAt('info').at(-1), `leader-election: ${a} is now a follower`);
    assert.deepEqual(exchange(plugin).request, { self: [a, b], leader: ['elsewhere', 'elsewhere'], isLeader: ['false', 'false'] });

    plugin.sharedData.set(KEY, 'not a lease');
    await plugin.clock.advance(200);
    assert.deepEqual(plugin.logsAt('warn'), [`leader-election: "${KEY}" holds no lease, taking it over`]);
    assert.deepEqual(lease(plugin), { vmID: a, timestamp: START_S });
    assert.deepEqual(exchange(plugin).request, { self: [a, b], leader: [a, a], isLeader: ['true', 'false'] });
    assert.deepEqual(plugin.metrics(), { leader_election_became_leader_total: 2 });
  });

  it('elects one leader per fingerprint, with the defaults when there is no configuration', async (t) => {
    const plugin = await twoVms(t, { fingerprint: 'blue', tickMs: 200 }, { fingerprint: 'green' });
    const a = idOf(plugin, 'vm-a');
    const b = idOf(plugin, 'vm-b');
    assert.ok(plugin.logsAt('info').includes(`leader-election: vm ${b}, lease "higress_wasm_vm_lease:green", ttl 60 s, tick 1000 ms`));
    assert.deepEqual(Object.keys(plugin.sharedData.entries()).sort(), ['higress_wasm_vm_lease:blue', 'higress_wasm_vm_lease:green']);
    assert.deepEqual(exchange(plugin).request.isLeader, ['true', 'true']);
    assert.deepEqual(leaderLines(plugin), [a, b]);

    const single = await loadPlugin(LE, { name: 'solo' });
    t.after(() => single.close());
    const id = idOf(single, 'solo');
    assert.deepEqual(single.logsAt('info'), [
      `leader-election: vm ${id}, lease "${KEY}", ttl 60 s, tick 1000 ms`,
      `leader-election: ${id} is now the leader`,
    ]);
    assert.equal(single.clock.pendingTimers, 1); // the 1000 ms tick
  });

  it('rejects a configuration it cannot use, with the plugin log in the error', async () => {
    for (const config of ['[]', '{"ttlSeconds": 0}', '{"tickMs": "soon"}', '{"fingerprint": ""}', '{"tickMs": 1.5}']) {
      await assert.rejects(loadPlugin(LE, { config }), (e: Error & { code?: string; details?: readonly string[] }) => {
        assert.equal(e.code, 'WG_PLUGIN_CONFIGURE_REJECTED', config);
        assert.ok(e.details?.includes(
          'leader-election: invalid configuration: want {"tickMs": <ms>, "ttlSeconds": <seconds>, "fingerprint": "<name>"}',
        ), String(e.details));
        return true;
      });
    }
  });
});
