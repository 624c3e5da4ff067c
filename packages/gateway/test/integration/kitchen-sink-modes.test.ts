/**
 * Every kitchen-sink mode that needs no callout, end to end: client → gateway (kitchen-sink as a
 * WasmPlugin) → a real upstream, over loopback sockets. What each mode must show is in
 * fixtures/go/kitchen-sink/README.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Cleanup, KITCHEN_SINK, ingress, linesWith, poll, send, service, startGateway, startUpstream, wasmPlugin,
  type TestGateway, type Upstream,
} from '../helpers/gateway.js';

describe('kitchen-sink modes through the gateway', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('ks-route', 'backend', { host: 'props.test', path: '/' }),
      ingress('catch-all', 'backend'),
      wasmPlugin('ks', KITCHEN_SINK, { pluginName: 'ks-root', defaultConfig: { tickMs: 20 } }),
    ]);
  });
  after(() => bag.run());
  const mode = (m: string) => ({ 'x-fixture-mode': m });
  const lastSeen = () => up.requests.at(-1)!;

  test('properties: route, cluster, source address (ip:port of the client socket), plugin name and root id', async () => {
    let clientPort = 0;
    const r = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/props?q=1', headers: { host: 'props.test', ...mode('properties') }, agent: false }, resolve);
      req.on('socket', (s) => s.once('connect', () => { clientPort = s.localPort ?? 0; }));
      req.on('error', reject);
    });
    r.resume();
    assert.equal(r.statusCode, 200);
    assert.ok(clientPort > 0);
    const h = r.headers;
    assert.equal(h['x-prop-request-path'], '/props?q=1');
    assert.equal(h['x-prop-request-method'], 'GET');
    assert.equal(h['x-prop-request-host'], 'props.test');
    assert.equal(h['x-prop-route-name'], 'default/ks-route');
    assert.equal(h['x-prop-cluster-name'], 'outbound|80||backend.default.svc.cluster.local');
    assert.equal(h['x-prop-source-address'], `127.0.0.1:${clientPort}`);
    assert.equal(h['x-prop-plugin-name'], 'default/ks');
    assert.equal(h['x-prop-plugin-root-id'], 'ks-root');
    // The mode header reaches the upstream untouched.
    assert.equal(lastSeen().headers['x-fixture-mode'], 'properties');
  });

  test('properties on the catch-all route name that route', async () => {
    const r = await send(gw.port, { path: '/elsewhere', headers: { host: 'other.test', ...mode('properties') } });
    assert.equal(r.headers['x-prop-route-name'], 'default/catch-all');
    assert.equal(r.headers['x-prop-request-host'], 'other.test');
  });

  test('shared-counter: every request increments one gateway-wide counter (CAS), also under concurrency', async () => {
    const first = await send(gw.port, { headers: mode('shared-counter') });
    assert.equal(first.status, 200);
    const base = Number(lastSeen().headers['x-counter']);
    assert.ok(base >= 1);
    const before = up.requests.length;
    const replies = await Promise.all(Array.from({ length: 10 }, () => send(gw.port, { headers: mode('shared-counter') })));
    assert.deepEqual(replies.map((r) => r.status), Array(10).fill(200));
    const seen = up.requests.slice(before).map((s) => Number(s.headers['x-counter'])).sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: 10 }, (_, i) => base + 1 + i));
  });

  test('body-upper: the upstream receives the whole body upper-cased with its length (fixed and chunked)', async () => {
    await send(gw.port, { method: 'POST', headers: mode('body-upper'), body: 'hello world' });
    assert.equal(lastSeen().body.toString(), 'HELLO WORLD');
    assert.equal(lastSeen().headers['content-length'], '11');

    // Chunked, in several writes: the plugin buffers until end of stream.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/', headers: { ...mode('body-upper'), 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write('abc-');
      setTimeout(() => { req.write('def-'); req.end('xyz'); }, 20);
    });
    assert.equal(status, 200);
    assert.equal(lastSeen().body.toString(), 'ABC-DEF-XYZ');
  });

  test('resp-body-append: the client gets the upstream body plus the suffix, without the upstream content-length', async () => {
    const r = await send(gw.port, { headers: mode('resp-body-append') });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream ok\n-- via kitchen-sink');
    assert.notEqual(r.headers['content-length'], String('upstream ok'.length));
  });

  test('metrics: counter and gauge are visible upstream, and GET /metrics on admin shows all three', async () => {
    await send(gw.port, { path: '/abc', headers: mode('metrics') });
    const n1 = Number(lastSeen().headers['x-metric-requests-total']);
    assert.equal(lastSeen().headers['x-metric-inflight'], '1');
    await send(gw.port, { path: '/abcdefgh', headers: mode('metrics') });
    assert.equal(Number(lastSeen().headers['x-metric-requests-total']), n1 + 1);
    const m = await gw.admin('/metrics');
    assert.equal(m.status, 200);
    const value = (name: string) => m.body.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1];
    assert.equal(value('fixture_requests_total'), String(n1 + 1), m.body);
    assert.equal(value('fixture_inflight'), '0', 'the gauge is back after proxy_on_done');
    assert.match(m.body, /# TYPE fixture_requests_total counter/);
    assert.match(m.body, /# TYPE fixture_inflight gauge/);
    assert.equal(value('fixture_size_count'), String(n1 + 1));
    assert.ok(Number(value('fixture_size_sum')) >= 4 + 9, 'histogram got len(:path) per request');
    assert.match(m.body, /wasmgate_plugin_up\{plugin="default\/ks",worker="1"\} 1/);
  });

  test('log-levels: six plugin log lines, trace … critical, in order', async () => {
    const r = await send(gw.port, { headers: mode('log-levels') });
    assert.equal(r.status, 200);
    await gw.gateway.settle();
    const lines = linesWith(gw.logs, '[default/ks] level ');
    const tail = lines.slice(-6).map((l) => l.split(' ').slice(1).join(' '));
    assert.deepEqual(tail, ['trace', 'debug', 'info', 'warn', 'error', 'critical'].map((lv, i) => `${lv} [default/ks] level ${i}`));
  });

  test('tick: with tickMs 20 the root is ticked on real timers; x-ticks grows', async () => {
    const ticks = async () => Number((await send(gw.port, { headers: mode('tick') })).headers['x-ticks']);
    const a = await poll('a first tick', async () => ((await ticks()) >= 1 ? true : undefined), 3000);
    assert.ok(a);
    const first = await ticks();
    const later = await poll('more ticks', async () => { const n = await ticks(); return n >= first + 2 ? n : undefined; }, 3000);
    assert.ok(later >= first + 2);
  });

  test('no mode: request and response pass untouched, and each stream logs done <n> at debug', async () => {
    const r = await send(gw.port, { path: '/plain', headers: { 'x-other': '1' } });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'upstream ok');
    assert.equal(lastSeen().url, '/plain');
    assert.equal(lastSeen().headers['x-other'], '1');
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, '[default/ks] done ').length > 0);
  });
});
