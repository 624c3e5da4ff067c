/**
 * kitchen-sink `callout` mode against a real callout Service on loopback: the request pauses in
 * proxy_on_request_headers, the callout answer resumes it (effective context, map 6, buffer 4,
 * continue_stream). Failures follow Envoy (ABI reference §3): a refused connection or a timeout
 * reaches the plugin as a synthetic 503/504 response; a dropped connection is a failed call (the
 * plugin answers 503); an unknown cluster fails the dispatch. Each plugin instance is scoped to its
 * own route (spec.wasmgate.scope) so one gateway holds every case.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createServer } from 'node:net';
import { freePort } from '../helpers/daemon.js';
import {
  Cleanup, KITCHEN_SINK, gatewaySpec, ingress, linesWith, listenServer, send, service, startGateway, startUpstream, wasmPlugin,
  type SeenRequest, type TestGateway, type Upstream,
} from '../helpers/gateway.js';

describe('kitchen-sink callout mode through the gateway', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let up: Upstream;
  let calls: SeenRequest[];
  let calloutDelayMs = 0;
  before(async () => {
    up = await startUpstream(bag);
    calls = [];
    const callout = await listenServer(bag, http.createServer((req, res) => {
      calls.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.alloc(0), trailers: {} });
      req.resume();
      setTimeout(() => res.writeHead(201, { 'content-type': 'text/plain' }).end('callout says\thi'), calloutDelayMs);
    }));
    const dead = await freePort(); // nothing listens here
    // Accepts, then drops every connection before answering.
    const dropper = createServer((sock) => sock.destroy());
    dropper.listen(0, '127.0.0.1');
    await new Promise((r) => dropper.once('listening', r));
    bag.after(() => new Promise((r) => dropper.close(r)));
    const dropPort = (dropper.address() as { port: number }).port;
    const ks = (name: string, route: string, calloutCluster?: string) =>
      wasmPlugin(name, KITCHEN_SINK, { ...(calloutCluster ? { defaultConfig: { calloutCluster } } : {}), wasmgate: { scope: { routes: [`default/${route}`] } } });
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      service('callout', [`127.0.0.1:${callout.port}`]),
      service('dead', [`127.0.0.1:${dead}`]),
      service('dropper', [`127.0.0.1:${dropPort}`]),
      ingress('ok', 'backend', { host: 'ok.test' }),
      ingress('down', 'backend', { host: 'down.test' }),
      ingress('drop', 'backend', { host: 'drop.test' }),
      ingress('unknown', 'backend', { host: 'unknown.test' }),
      ingress('none', 'backend', { host: 'none.test' }),
      ks('ks-ok', 'ok', 'outbound|80||callout.default.svc.cluster.local'),
      ks('ks-down', 'down', 'outbound|80||dead.default.svc.cluster.local'),
      ks('ks-drop', 'drop', 'outbound|80||dropper.default.svc.cluster.local'),
      ks('ks-unknown', 'unknown', 'outbound|80||nowhere.default.svc.cluster.local'),
      ks('ks-none', 'none'),
    ]);
  });
  after(() => bag.run());
  const callout = (host: string, extra: http.OutgoingHttpHeaders = {}) => send(gw.port, { path: '/work', headers: { host, 'x-fixture-mode': 'callout', ...extra } });

  test('success: the upstream sees x-callout-status and x-callout-body from the callout answer', async () => {
    const before = up.requests.length;
    const r = await callout('ok.test');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'upstream ok');
    assert.equal(up.requests.length, before + 1);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.url, '/work');
    assert.equal(seen.headers['x-callout-status'], '201');
    assert.equal(seen.headers['x-callout-body'], 'callout says?hi', 'bytes outside 0x20–0x7e become ?');
    const call = calls.at(-1)!;
    assert.equal(call.method, 'GET');
    assert.equal(call.url, '/callout');
    assert.equal(call.headers.host, 'callout.local');
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, '[default/ks-ok] kitchen-sink: callout').some((l) => l.includes('answered 201 with 15 body bytes')));
  });

  test('pause + callout + resume: a slow callout holds the request, which then continues with a body', async () => {
    calloutDelayMs = 300;
    try {
      const before = up.requests.length;
      const started = Date.now();
      const r = await send(gw.port, { method: 'POST', path: '/slow', headers: { host: 'ok.test', 'x-fixture-mode': 'callout' }, body: 'payload while paused' });
      const elapsed = Date.now() - started;
      assert.equal(r.status, 200, r.body);
      assert.ok(elapsed >= 280, `answered after ${elapsed} ms, before the callout did`);
      assert.equal(up.requests.length, before + 1);
      const seen = up.requests.at(-1)!;
      assert.equal(seen.headers['x-callout-status'], '201');
      assert.equal(seen.body.toString(), 'payload while paused', 'the body buffered during the pause is forwarded whole');
    } finally {
      calloutDelayMs = 0;
    }
  });

  test('paused requests do not block others: slow callouts overlap and a plain request passes meanwhile', async () => {
    calloutDelayMs = 250;
    try {
      const started = Date.now();
      const timed = (p: Promise<{ status: number }>) => p.then((r) => ({ status: r.status, ms: Date.now() - started }));
      const rs = await Promise.all([timed(callout('ok.test')), timed(callout('ok.test')), timed(send(gw.port, { path: '/fast', headers: { host: 'ok.test' } }))]);
      assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
      assert.ok(rs[2]!.ms < Math.min(rs[0]!.ms, rs[1]!.ms), `the plain request (${rs[2]!.ms} ms) waited for the callouts`);
      assert.ok(Math.max(rs[0]!.ms, rs[1]!.ms) < 250 * 2, 'the callouts overlapped');
    } finally {
      calloutDelayMs = 0;
    }
  });

  test('callout server down (connection refused): the plugin gets Envoy\'s synthetic 503 and continues', async () => {
    const before = up.requests.length;
    const r = await callout('down.test');
    assert.equal(r.status, 200, r.body);
    assert.equal(up.requests.length, before + 1);
    const seen = up.requests.at(-1)!;
    assert.equal(seen.headers['x-callout-status'], '503');
    // The first 64 bytes of the body; HTTP drops the trailing space of a header value.
    assert.equal(seen.headers['x-callout-body'], 'upstream connect error or disconnect/reset before headers. reset');
  });

  test('callout timeout (1000 ms, the plugin\'s): a synthetic 504 "upstream request timeout"', async () => {
    calloutDelayMs = 1500;
    try {
      const started = Date.now();
      const r = await callout('ok.test');
      assert.equal(r.status, 200, r.body);
      assert.ok(Date.now() - started >= 990, 'answered at the callout timeout');
      const seen = up.requests.at(-1)!;
      assert.equal(seen.headers['x-callout-status'], '504');
      assert.equal(seen.headers['x-callout-body'], 'upstream request timeout');
    } finally {
      calloutDelayMs = 0;
    }
  });

  test('callout connection dropped: a failed call (no headers), the plugin answers 503 "callout failed"', async () => {
    const before = up.requests.length;
    const r = await callout('drop.test');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'kitchen-sink: callout failed');
    assert.equal(up.requests.length, before);
  });

  test('unknown cluster: proxy_http_call answers BadArgument, local 503 naming status 2', async () => {
    const before = up.requests.length;
    const r = await callout('unknown.test');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'kitchen-sink: callout: proxy_http_call failed: status 2');
    assert.equal(up.requests.length, before);
    await gw.gateway.settle();
    assert.ok(linesWith(gw.logs, 'proxy_http_call to unknown cluster "outbound|80||nowhere.default.svc.cluster.local"').length > 0);
  });

  test('no calloutCluster configured: local 500', async () => {
    const r = await callout('none.test');
    assert.equal(r.status, 500);
    assert.equal(r.body, 'kitchen-sink: callout: calloutCluster is not configured');
  });

  test('access log: the local replies carry the plugin details', async () => {
    await callout('drop.test');
    await gw.gateway.settle();
    const entry = gw.access.at(-1)!;
    assert.equal(entry.status, 503);
    assert.equal(entry.route, 'default/drop');
    assert.equal(entry.details, 'kitchen_sink_failed');
  });
});

describe('many paused requests, and bodies behind a pause', () => {
  const bag = new Cleanup();
  let slow = false;
  let gw: TestGateway;
  let up: Upstream;
  before(async () => {
    up = await startUpstream(bag);
    let answers = 0;
    // Each answer is unique and comes after a random short delay, so answers overtake each other.
    const callout = await listenServer(bag, http.createServer((req, res) => {
      req.resume();
      const id = ++answers;
      setTimeout(() => res.end(`answer-${id}`), slow ? 300 : Math.random() * 30);
    }));
    gw = await startGateway(bag, [
      gatewaySpec({ limits: { requestBodyBufferBytes: 64 * 1024 } }),
      service('backend', [`127.0.0.1:${up.port}`]),
      service('callout', [`127.0.0.1:${callout.port}`]),
      ingress('all', 'backend'),
      wasmPlugin('ks', KITCHEN_SINK, { defaultConfig: { calloutCluster: 'outbound|80||callout.default.svc.cluster.local' } }),
    ]);
  });
  after(() => bag.run());

  test('200 concurrent paused requests: each resumes with its own answer and its own body', async () => {
    const n = 200;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) =>
      send(gw.port, { method: 'POST', path: `/r${i}`, headers: { 'x-fixture-mode': 'callout' }, body: `body-${i}` })));
    assert.deepEqual(replies.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body}`), []);
    assert.equal(up.requests.length, n);
    // A callout that took over the plugin's 1000 ms timeout (an overloaded machine) gets the same
    // synthetic 504 body as every other: say so rather than report it as answers mixed up.
    assert.deepEqual(up.requests.filter((s) => s.headers['x-callout-status'] !== '200').map((s) => `${s.url}: ${s.headers['x-callout-status']} ${s.headers['x-callout-body']}`), [], 'every callout was answered by the callout server');
    assert.equal(new Set(up.requests.map((s) => s.headers['x-callout-body'])).size, n, 'no answer went to two requests');
    for (const s of up.requests) assert.equal(s.body.toString(), `body-${s.url.slice(2)}`);
  });

  test('a 5 MB body behind a paused callout with a 64 KB buffer limit: back-pressure, not 413', async () => {
    slow = true;
    const r = await send(gw.port, { method: 'POST', path: '/big', headers: { 'x-fixture-mode': 'callout' }, body: Buffer.alloc(5 * 1024 * 1024, 0x61) });
    assert.equal(r.status, 200, r.body);
    slow = false;
    assert.equal(up.requests.at(-1)!.body.length, 5 * 1024 * 1024);
  });
});
