/**
 * Issue 8: a plugin can never take the gateway down. Real sockets, real worker threads, real Go
 * plugins: a plugin stuck in a loop is interrupted at its call deadline (its request gets the
 * failStrategy, everything else keeps serving, the admin never stops answering); a plugin that
 * grows past its memory cap fails inside the guest and is rebuilt; shared data and leader election
 * work across workers; a plugin that asks for a rebuild gets a fresh VM without a failed request.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import { spawnCli } from '../helpers/cli.js';
import { freePort } from '../helpers/daemon.js';
import { Cleanup, fixture, gatewaySpec, ingress, KITCHEN_SINK, poll, send, writeConfig, service, startGateway, startUpstream, wasmPlugin, type Reply } from '../helpers/gateway.js';

const spinDocs = (upstream: number, failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN', callTimeoutMs = 100) => [
  service('backend', [`127.0.0.1:${upstream}`]),
  ingress('spin', 'backend', { path: '/spin' }),
  ingress('good', 'backend', { path: '/good' }),
  wasmPlugin('ks', KITCHEN_SINK, { failStrategy, wasmgate: { scope: { routes: ['spin'] }, limits: { callTimeoutMs } } }),
];

test('a spinning plugin is interrupted at its deadline: FAIL_CLOSE answers 503 WG_VM_DEADLINE naming the plugin and the limit; the admin and other requests answer meanwhile', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, spinDocs(upstream.port, 'FAIL_CLOSE'), { workers: 2 });

  let spinDone = false;
  const spin = send(gw.port, { path: '/spin', headers: { 'x-fixture-mode': 'spin' } }).then((r) => { spinDone = true; return r; });
  // Causality, not timing: the admin answers while the spin is still running.
  const health = await gw.admin('/healthz');
  assert.equal(health.status, 200);
  const good = await send(gw.port, { path: '/good' });
  assert.equal(good.status, 200);
  const r = await spin;
  assert.equal(r.status, 503, r.body);
  assert.equal(r.headers['x-wasmgate-error'], 'WG_VM_DEADLINE');
  assert.match(r.body, /plugin default\/ks exceeded its call deadline of 100 ms in proxy_on_request_headers/);
  assert.ok(spinDone);
  await gw.gateway.settle();
  assert.ok(gw.logs.some((l) => l.includes('passed its 100 ms call deadline; interrupting the call')), gw.logs.join('\n'));

  // The worker thread survived: the VM is recreated and the route serves normal requests again.
  const ok = await pollReply(() => send(gw.port, { path: '/spin' }), (x) => x.status === 200);
  assert.equal(ok.body, 'upstream ok');
  type Dump = { plugins: { key: string; restarts: number; lastError?: string }[]; workers: { workerId: number }[] };
  const dump = await poll('the VM to be recreated', async () => {
    const d = JSON.parse((await gw.admin('/config_dump')).body) as Dump;
    return d.plugins.find((p) => p.key === 'default/ks')!.restarts >= 1 ? d : undefined;
  });
  const ks = dump.plugins.find((p) => p.key === 'default/ks')!;
  assert.match(ks.lastError ?? '', /WG_VM_DEADLINE/);
  assert.equal(dump.workers.length, 2);
});

test('FAIL_OPEN: the interrupted plugin is skipped and the spinning request reaches the upstream', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, spinDocs(upstream.port, 'FAIL_OPEN'), { workers: 1 });
  const r = await send(gw.port, { path: '/spin', headers: { 'x-fixture-mode': 'spin' } });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'upstream ok');
  assert.ok(upstream.requests.some((q) => q.url === '/spin'));
});

test('a storm of spinning requests on one route: the good route has no error, /healthz always answers, each spin is answered by its failStrategy', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, spinDocs(upstream.port, 'FAIL_CLOSE'), { workers: 2 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());

  const SPINS = 20;
  let stop = false;
  const goodStatuses: number[] = [];
  const healthStatuses: number[] = [];
  const goodLoop = async () => {
    while (!stop) goodStatuses.push((await send(gw.port, { path: '/good', agent })).status);
  };
  const healthLoop = async () => {
    while (!stop) {
      healthStatuses.push((await gw.admin('/healthz')).status);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = [goodLoop(), goodLoop(), goodLoop(), healthLoop()];
  // 10 spins a second, each on a fresh connection.
  const spins: Promise<Reply>[] = [];
  for (let i = 0; i < SPINS; i++) {
    spins.push(send(gw.port, { path: '/spin', headers: { 'x-fixture-mode': 'spin' } }));
    await new Promise((r) => setTimeout(r, 100));
  }
  const answers = await Promise.all(spins);
  stop = true;
  await Promise.all(loops);

  for (const a of answers) {
    assert.equal(a.status, 503, a.body);
    assert.ok(['WG_VM_DEADLINE', 'WG_VM_FAILED', 'WG_PROXY_PLUGIN_UNAVAILABLE'].includes(String(a.headers['x-wasmgate-error'])), String(a.headers['x-wasmgate-error']));
  }
  assert.ok(answers.some((a) => a.headers['x-wasmgate-error'] === 'WG_VM_DEADLINE'));
  assert.ok(goodStatuses.length > SPINS, `only ${goodStatuses.length} good requests completed`);
  assert.deepEqual([...new Set(goodStatuses)], [200], 'every request on the good route succeeded');
  assert.ok(healthStatuses.length > 0);
  assert.deepEqual([...new Set(healthStatuses)], [200]);
});

test('memory cap: a plugin growing past maxMemoryMiB fails inside the guest (503 WG_VM_MEMORY_LIMIT) and no VM ever exceeds the cap', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', KITCHEN_SINK, { wasmgate: { limits: { maxMemoryMiB: 128 } } }),
  ], { workers: 1 });
  const statuses: string[] = [];
  for (let i = 0; i < 6; i++) {
    const r = await send(gw.port, { headers: { 'x-fixture-mode': 'grow' } });
    statuses.push(r.status === 200 ? `200 ${r.headers['x-grow-retained-mib'] ?? ''}` : `${r.status} ${r.headers['x-wasmgate-error']}`);
    const dump = JSON.parse((await gw.admin('/config_dump')).body) as { plugins: { memoryPages: number }[] };
    assert.ok(dump.plugins[0]!.memoryPages <= 128 * 16, `a VM holds ${dump.plugins[0]!.memoryPages} pages`);
  }
  assert.ok(statuses.includes('503 WG_VM_MEMORY_LIMIT'), statuses.join(', '));
  assert.ok(statuses[0]!.startsWith('200'), statuses.join(', '));
  await gw.gateway.settle();
  assert.ok(gw.logs.some((l) => l.includes('WG_VM_MEMORY_LIMIT')));
});

test('shared data across 2 workers: concurrent shared-counter requests lose no increment', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', KITCHEN_SINK),
  ], { workers: 2 });
  const N = 200;
  // The first increment writes an absent key with cas 0, which Proxy-Wasm defines as unconditional
  // (Envoy too): two VMs racing on an absent key may both write 1. Seed it, then race.
  assert.equal((await send(gw.port, { headers: { 'x-fixture-mode': 'shared-counter' } })).status, 200);
  const replies = await Promise.all(Array.from({ length: N }, () => send(gw.port, { headers: { 'x-fixture-mode': 'shared-counter' } })));
  assert.deepEqual([...new Set(replies.map((r) => r.status))], [200]);
  const counters = upstream.requests.slice(1).map((q) => Number(q.headers['x-counter'])).sort((a, b) => a - b);
  assert.deepEqual(counters, Array.from({ length: N }, (_, i) => i + 2), 'each increment seen exactly once');
  const stored = gw.gateway.sharedData.get('default/ks', 'counter');
  assert.equal(new TextDecoder().decode(stored?.value), String(N + 1));
});

test('leader election across 2 workers: exactly one VM leads and every VM names it', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('le', fixture('as/leader-election.wasm'), { defaultConfig: { tickMs: 50 } }),
  ], { workers: 2 });
  const selves = new Map<string, string>();
  const leaders = new Set<string>();
  // Fresh connections land on both workers; keep asking until both VMs were seen.
  await pollReply(async () => {
    const r = await send(gw.port);
    selves.set(String(r.headers['x-le-self']), String(r.headers['x-le-is-leader']));
    leaders.add(String(r.headers['x-le-leader']));
    return r;
  }, () => selves.size === 2, 400);
  assert.equal(leaders.size, 1, `leaders seen: ${[...leaders].join(', ')}`);
  const [leader] = [...leaders];
  assert.equal(selves.get(leader!), 'true', 'the leader knows it leads');
  assert.deepEqual([...selves.values()].sort(), ['false', 'true']);
  const metrics = (await gw.admin('/metrics')).body;
  assert.match(metrics, /^leader_election_became_leader_total 1$/m);
});

test('Higress rebuild protocol: a plugin that sets wasm_need_rebuild gets a fresh VM and no request fails', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const gw = await startGateway(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('rb', fixture('wat/rebuild.wasm')),
  ], { workers: 1 });
  const seen: string[] = [];
  for (let i = 0; i < 7; i++) {
    const r = await send(gw.port);
    assert.equal(r.status, 200, r.body);
    seen.push(String(upstream.requests.at(-1)!.headers['x-vm-requests']));
  }
  // Requests 1–3 on the first VM; the 3rd asks for a rebuild; later ones start again at 1.
  assert.deepEqual(seen.slice(0, 3), ['1', '2', '3']);
  assert.ok(seen.slice(3).includes('1'), seen.join(','));
  const dump = JSON.parse((await gw.admin('/config_dump')).body) as { plugins: { rebuilds: number; restarts: number }[] };
  assert.ok(dump.plugins[0]!.rebuilds >= 1);
  assert.equal(dump.plugins[0]!.restarts, 0);
});

/** Repeats `probe` until `done` holds for its answer (bounded by count). */
async function pollReply(probe: () => Promise<Reply>, done: (r: Reply) => boolean, max = 200): Promise<Reply> {
  for (let i = 0; i < max; i++) {
    const r = await probe();
    if (done(r)) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`condition not met after ${max} attempts`);
}


describe('SIGTERM through the real CLI (2 workers)', () => {
  const serveArgs = async (dir: string) => {
    const port = await freePort();
    const admin = await freePort();
    return { port, admin, args: ['serve', '--config', dir, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--workers', '2', '--no-watch'] };
  };

  test('while a plugin spins (deadline far away): the gateway stops accepting, gives up after drainTimeoutMs, exits 0', async (t) => {
    const bag = new Cleanup();
    t.after(() => bag.run());
    const upstream = await startUpstream(bag);
    const dir = writeConfig(bag, [...spinDocs(upstream.port, 'FAIL_CLOSE', 600_000), gatewaySpec({ drainTimeoutMs: 300 })]);
    const { port, admin, args } = await serveArgs(dir);
    const gw = await spawnCli(t, args, /wasmgate serving on/);
    const spin = send(port, { path: '/spin', headers: { 'x-fixture-mode': 'spin' } }).then((r) => r.status, (e: Error) => e.message);
    // A worker inside the spin cannot answer status requests: /ready lists it as unresponsive.
    await poll('a worker busy in the spin', async () => {
      const r = JSON.parse((await send(admin, { path: '/ready' })).body) as { unresponsiveWorkers: number[] };
      return r.unresponsiveWorkers.length === 1 ? true : undefined;
    }, 10_000);
    const exited = once(gw.child, 'exit');
    gw.child.kill('SIGTERM');
    const [code] = await exited as [number | null];
    assert.equal(code, 0, gw.stderr());
    assert.match(gw.stderr(), /shutting down/);
    assert.notEqual(await spin, 200, 'the spinning request was not answered as if nothing happened');
    await assert.rejects(send(port, { path: '/good', timeoutMs: 2000 }), 'nothing listens any more');
  });

  test('in-flight requests finish during the drain; new connections are refused; exit 0', async (t) => {
    const bag = new Cleanup();
    t.after(() => bag.run());
    const held: http.ServerResponse[] = [];
    const upstream = await startUpstream(bag, (seen, res) => {
      if (seen.url === '/slow') held.push(res);
      else res.writeHead(200).end('upstream ok');
    });
    const dir = writeConfig(bag, [service('backend', [`127.0.0.1:${upstream.port}`]), ingress('site', 'backend'), gatewaySpec({ drainTimeoutMs: 20_000 })]);
    const { port, args } = await serveArgs(dir);
    const gw = await spawnCli(t, args, /wasmgate serving on/);
    const slow = send(port, { path: '/slow' });
    await poll('the slow request at the upstream', async () => (held.length === 1 ? true : undefined));
    const exited = once(gw.child, 'exit');
    gw.child.kill('SIGTERM');
    await poll('the listener to close', async () => send(port, { path: '/new', timeoutMs: 1000 }).then(() => undefined, () => true));
    assert.equal(gw.child.exitCode, null, 'still draining');
    held[0]!.writeHead(200).end('slow but fine');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slow but fine');
    const [code] = await exited as [number | null];
    assert.equal(code, 0, gw.stderr());
  });
});

test('after a storm of requests growing past maxMemoryMiB, the process gives the memory back once the VMs are rebuilt', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  const dir = writeConfig(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('ks', KITCHEN_SINK, { wasmgate: { limits: { maxMemoryMiB: 128 } } }),
  ]);
  const port = await freePort();
  const admin = await freePort();
  const gw = await spawnCli(t, ['serve', '--config', dir, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--workers', '2', '--no-watch'], /wasmgate serving on/);
  for (let i = 0; i < 5; i++) assert.equal((await send(port)).status, 200);
  const baseline = gw.memory().rss;
  let peak = 0;
  const statuses = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const r = await send(port, { headers: { 'x-fixture-mode': 'grow' } });
    statuses.add(`${r.status} ${r.headers['x-wasmgate-error'] ?? ''}`.trim());
    peak = Math.max(peak, gw.memory().rss);
  }
  assert.ok(statuses.has('503 WG_VM_MEMORY_LIMIT'), [...statuses].join(', '));
  await poll('every VM rebuilt', async () => {
    const d = JSON.parse((await send(admin, { path: '/config_dump' })).body) as { plugins: { state: string; workers: unknown[] }[] };
    return d.plugins[0]!.state === 'running' && d.plugins[0]!.workers.length === 2 ? true : undefined;
  }, 60_000, 100);
  // The rebuilt VMs serve; the failed ones' memory is reclaimed shortly after.
  const MiB = 1024 * 1024;
  const after = await poll('RSS back near the baseline', async () => {
    assert.equal((await send(port)).status, 200);
    const rss = gw.memory().rss;
    return rss - baseline < 100 * MiB ? rss : undefined;
  }, 60_000, 200);
  t.diagnostic(`RSS baseline ${Math.round(baseline / MiB)} MiB, peak ${Math.round(peak / MiB)} MiB, after ${Math.round(after / MiB)} MiB`);
  assert.ok(peak - baseline > 64 * MiB, 'the storm did take memory (the test measures something)');
});

test('startTimeoutMs bounds start-up too: a plugin spinning in proxy_on_configure fails the start with WG_VM_DEADLINE naming the deadline', async (t) => {
  const bag = new Cleanup();
  t.after(() => bag.run());
  const upstream = await startUpstream(bag);
  await assert.rejects(startGateway(bag, [
    service('backend', [`127.0.0.1:${upstream.port}`]),
    ingress('site', 'backend'),
    wasmPlugin('slow-start', fixture('wat/spin-configure.wasm'), { wasmgate: { limits: { startTimeoutMs: 200 } } }),
  ], { workers: 1 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'WG_VM_DEADLINE', e.message);
    assert.match(e.message, /exceeded its call deadline of 200 ms in proxy_on_configure/);
    return true;
  });
});
