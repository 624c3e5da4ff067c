/**
 * A plugin whose VM traps (kitchen-sink `x-fixture-mode: trap`: a Go panic, then `unreachable`):
 * FAIL_CLOSE answers 503 with the WG_* code in x-wasmgate-error, FAIL_OPEN lets the request through
 * without the plugin, and in both cases the VM is recreated in the background (200 ms backoff) so
 * later requests run the plugin again. Requests paused on the VM when it fails (waiting for a
 * callout) follow the failStrategy at once. Polls are bounded; nothing sleeps blindly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Cleanup, KITCHEN_SINK, ingress, linesWith, listenServer, poll, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

interface DumpedPlugin { key: string; state: string; restarts: number; failStrategy: string; lastError?: string }

describe('trapping plugin: FAIL_CLOSE and FAIL_OPEN, then VM recreation', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('closed', 'backend', { host: 'closed.test' }),
      ingress('open', 'backend', { host: 'open.test' }),
      wasmPlugin('ks-close', KITCHEN_SINK, { failStrategy: 'FAIL_CLOSE', wasmgate: { scope: { routes: ['default/closed'] } } }),
      wasmPlugin('ks-open', KITCHEN_SINK, { failStrategy: 'FAIL_OPEN', wasmgate: { scope: { routes: ['default/open'] } } }),
    ]);
  });
  after(() => bag.run());

  const req = (host: string, mode?: string) => send(gw.port, { path: '/t', headers: { host, ...(mode ? { 'x-fixture-mode': mode } : {}) } });
  const plugin = async (key: string): Promise<DumpedPlugin> => {
    const dump = JSON.parse((await gw.admin('/config_dump')).body) as { plugins: DumpedPlugin[] };
    return dump.plugins.find((p) => p.key === key)!;
  };
  /** Polls until the plugin answers `properties` again (it names itself in x-prop-plugin-name). */
  const recovered = (host: string, key: string) => poll(`${key} to run again`, async () => {
    const r = await req(host, 'properties');
    return r.status === 200 && r.headers['x-prop-plugin-name'] === key ? r : undefined;
  }, 5000, 20);

  test('FAIL_CLOSE: the trap answers 503 with x-wasmgate-error WG_VM_TRAP; nothing reaches the upstream', async () => {
    const before = up.requests.length;
    const r = await req('closed.test', 'trap');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_VM_TRAP');
    assert.equal(r.body, 'plugin default/ks-close failed\n');
    assert.equal(up.requests.length, before);
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'plugin default/ks-close failed').length > 0, gw.logs.join('\n'));
    await gw.gateway.settle();
    assert.ok(gw.logs.some((l) => l.includes('panic: kitchen-sink: trap mode')), 'the Go panic text reaches the log');
  });

  test('FAIL_CLOSE: until the VM is back, requests get 503 WG_VM_FAILED; then the plugin serves again', async () => {
    const codes = new Set<string>();
    const r = await poll('a request served after the VM was recreated', async () => {
      const x = await req('closed.test', 'properties');
      if (x.status === 503) codes.add(String(x.headers['x-wasmgate-error']));
      return x.status === 200 ? x : undefined;
    }, 5000, 20);
    assert.equal(r.headers['x-prop-plugin-name'], 'default/ks-close');
    for (const c of codes) assert.equal(c, 'WG_VM_FAILED');
    const p = await plugin('default/ks-close');
    assert.ok(p.restarts >= 1, JSON.stringify(p));
    assert.equal(p.state, 'running');
    assert.match(p.lastError ?? '', /^WG_VM_/);
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'plugin default/ks-close VM recreated (restart 1)').length > 0);
  });

  test('FAIL_CLOSE: a second trap is recovered too (restarts grows)', async () => {
    const before = (await plugin('default/ks-close')).restarts;
    assert.equal((await req('closed.test', 'trap')).status, 503);
    await recovered('closed.test', 'default/ks-close');
    assert.ok((await plugin('default/ks-close')).restarts > before);
  });

  test('FAIL_OPEN: the trapping request passes to the upstream without the plugin', async () => {
    const before = up.requests.length;
    const r = await req('open.test', 'trap');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream ok');
    assert.equal(r.headers['x-wasmgate-error'], undefined);
    assert.equal(up.requests.length, before + 1);
    assert.equal(up.requests.at(-1)!.headers['x-fixture-mode'], 'trap');
  });

  test('FAIL_OPEN: requests keep passing while the VM is down, and the plugin runs again once recreated', async () => {
    const r = await recovered('open.test', 'default/ks-open');
    assert.equal(r.body, 'upstream ok');
    const p = await plugin('default/ks-open');
    assert.ok(p.restarts >= 1, JSON.stringify(p));
    assert.equal(p.failStrategy, 'FAIL_OPEN');
    const ready = await gw.admin('/ready');
    assert.equal(ready.status, 200, ready.body);
  });

  test('the other plugin was never affected: the FAIL_CLOSE VM restarts are its own', async () => {
    const open = await plugin('default/ks-open');
    const closed = await plugin('default/ks-close');
    assert.equal(open.restarts, 1);
    assert.equal(closed.restarts, 2);
  });
});

describe('a VM that fails while other requests are paused on it', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    // The callout answers after 900 ms (under the plugin's 1000 ms timeout): time for a trap meanwhile.
    const slow = await listenServer(bag, http.createServer((req, res) => { req.resume(); setTimeout(() => res.end('late'), 900); }));
    const cfg = { calloutCluster: 'outbound|80||slow.default.svc.cluster.local' };
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('slow', [`127.0.0.1:${slow.port}`]),
      ingress('closed', 'backend', { host: 'closed.test' }),
      ingress('open', 'backend', { host: 'open.test' }),
      wasmPlugin('ks-close', KITCHEN_SINK, { failStrategy: 'FAIL_CLOSE', defaultConfig: cfg, wasmgate: { scope: { routes: ['default/closed'] } } }),
      wasmPlugin('ks-open', KITCHEN_SINK, { failStrategy: 'FAIL_OPEN', defaultConfig: cfg, wasmgate: { scope: { routes: ['default/open'] } } }),
    ]);
  });
  after(() => bag.run());

  /** Starts a callout request, traps the VM from a second request, and times the first. */
  const pausedThenTrap = async (host: string) => {
    const started = Date.now();
    const paused = send(gw.port, { path: '/paused', headers: { host, 'x-fixture-mode': 'callout' }, timeoutMs: 5000 });
    const plugin = host === 'closed.test' ? 'default/ks-close' : 'default/ks-open';
    await poll('the callout to be sent', async () => (linesWith(gw.logs, `[${plugin}] kitchen-sink: callout`).length > 0 ? true : undefined), 2000, 5);
    await send(gw.port, { path: '/trap', headers: { host, 'x-fixture-mode': 'trap' } });
    const r = await paused;
    return { r, ms: Date.now() - started };
  };

  test('FAIL_CLOSE: the paused request gets 503 WG_VM_FAILED at once, not after the callout', async () => {
    const { r, ms } = await pausedThenTrap('closed.test');
    assert.equal(r.status, 503);
    assert.equal(r.headers['x-wasmgate-error'], 'WG_VM_FAILED');
    assert.ok(ms < 800, `answered after ${ms} ms, not at once`);
    assert.ok(!up.requests.some((s) => s.url === '/paused'));
    await poll('nothing in flight', async () => ((await gw.gateway.inFlight()) === 0 ? true : undefined), 2000);
  });

  test('FAIL_OPEN: the paused request continues to the upstream without the plugin', async () => {
    const { r, ms } = await pausedThenTrap('open.test');
    assert.equal(r.status, 200);
    assert.ok(ms < 800, `answered after ${ms} ms, not at once`);
    const seen = up.requests.find((s) => s.url === '/paused')!;
    assert.equal(seen.headers['x-callout-status'], undefined, 'the dead VM never added its callout headers');
  });
});
