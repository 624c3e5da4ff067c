// examples/as/tick-leader: two VMs of one plugin (sharing shared data, as two gateway workers do)
// tick on the virtual clock; exactly one wins the lease and only it counts and logs "leader tick".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlugin, type LogEntry } from '@wasmgate/testing';
import { assertOnlyProxyWasmImports, buildExample, GET } from './examples-support.js';

const LEASE = 'higress_wasm_vm_lease:tick-leader';
const leaderLines = (logs: readonly LogEntry[]) => logs.filter((l) => / leader tick \d+ by vm /.test(l.message));

describe('examples/as/tick-leader', () => {
  it('imports only env.proxy_* and WASI', async () => {
    assertOnlyProxyWasmImports(await buildExample('tick-leader'));
  });

  it('of two VMs ticking every 1000 ms, one leads: only it increments the shared counter and logs', async (t) => {
    const wasm = await buildExample('tick-leader');
    const plugin = await loadPlugin(wasm, {
      name: 'vm-a', vmId: 'tl', config: { tickMs: 1000 },
      chain: [{ wasm, name: 'vm-b', vmId: 'tl', config: { tickMs: 1000 }, position: 'after' }],
    });
    t.after(() => plugin.close());
    assert.equal(plugin.sharedData.get('tick-leader:count'), undefined, 'nothing before the first tick');
    await plugin.clock.advance(100);   // the first tick of each VM runs the tick func at once
    const lease = JSON.parse(plugin.sharedData.get(LEASE)!) as { vmID: string };
    assert.equal(plugin.sharedData.get('tick-leader:count'), '1');
    await plugin.clock.advance(3_000);
    const lines = leaderLines(plugin.logs);
    assert.deepEqual(lines.map((l) => l.message.replace(/^.*\] /, '')),
      [1, 2, 3, 4].map((n) => `leader tick ${n} by vm ${lease.vmID}`));
    assert.equal(new Set(lines.map((l) => l.plugin)).size, 1, 'every leader tick came from one VM');
    assert.equal(plugin.sharedData.get('tick-leader:count'), '4');
  });

  it('tells each response which VM served it, whether it leads, and the shared count', async (t) => {
    const plugin = await loadPlugin(await buildExample('tick-leader'), { name: 'tick-leader', config: { tickMs: 500 } });
    t.after(() => plugin.close());
    const ask = () => {
      const s = plugin.stream();
      s.requestHeaders(GET(), { endStream: true });
      s.respond(200, { body: 'ok' });
      s.end();
      return s.downstream.headers!;
    };
    const before = ask();
    assert.equal(before.get('x-tick-leader'), 'false');
    assert.equal(before.get('x-tick-count'), '0');
    assert.equal(before.get('x-tick-ticks'), '0');
    await plugin.clock.advance(1_100);   // ticks at 100 (runs), 600 (500 ms later), 1100
    const h = ask();
    assert.equal(h.get('x-tick-leader'), 'true');
    assert.equal(h.get('x-tick-count'), '3');
    assert.equal(h.get('x-tick-ticks'), '3');
    assert.equal(h.get('x-tick-vm'), (JSON.parse(plugin.sharedData.get(LEASE)!) as { vmID: string }).vmID);
  });

  it('a VM whose lease went stale to another VM stays a follower while that lease is fresh', async (t) => {
    const plugin = await loadPlugin(await buildExample('tick-leader'), { name: 'tick-leader', config: { tickMs: 100 } });
    t.after(() => plugin.close());
    plugin.sharedData.set(LEASE, JSON.stringify({ vmID: 'someone-else', timestamp: Math.floor(plugin.clock.now / 1000) }));
    await plugin.clock.advance(1_000);
    assert.equal(leaderLines(plugin.logs).length, 0);
    assert.equal(plugin.sharedData.get('tick-leader:count'), undefined);
    await plugin.clock.advance(61_000);   // the other VM never renewed: after 60 s the lease is taken over
    assert.ok(leaderLines(plugin.logs).length > 0);
  });
});
