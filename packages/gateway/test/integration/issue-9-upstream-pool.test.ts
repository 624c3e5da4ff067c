/**
 * Issue 9: requests waiting for a pooled upstream connection. With the Gateway's
 * `upstreamPool: { maxConnections: 2, maxPendingRequests: 2 }`, four slow uploads at once (twice the
 * pool) all succeed — the two that wait are not taken for a plugin stall (once answered 504
 * WG_PROXY_STREAM_TIMEOUT) — and the upstream never sees more than two at a time; a fifth request
 * while the pool and the queue are full is answered 503 WG_PROXY_UPSTREAM_OVERFLOW at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  Cleanup, gatewaySpec, ingress, listenServer, send, service, startGateway, type TestGateway,
} from '../helpers/gateway.js';

const CHUNK = 'x'.repeat(20_000); // more than a queued call buffers: the client really is paused
const CHUNKS = 4;

/** A chunked POST whose body goes out CHUNK by CHUNK, `gapMs` apart; resolves with status, error code and body. */
function slowUpload(port: number, gapMs: number): Promise<{ status: number; code: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: res.headers['x-wasmgate-error'] as string | undefined, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const tick = () => {
      if (req.destroyed) return;
      req.write(CHUNK);
      if (++sent === CHUNKS) req.end();
      else setTimeout(tick, gapMs);
    };
    tick();
  });
}

describe('issue 9: the upstream pending-request queue', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let active = 0;
  let maxActive = 0;
  const sizes: number[] = [];
  before(async () => {
    const up = await listenServer(bag, http.createServer((req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      let n = 0;
      req.on('data', (c: Buffer) => { n += c.length; });
      req.on('end', () => {
        sizes.push(n);
        res.end(`got ${n}`, () => { active--; });
      });
    }));
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('all', 'backend'),
      // The stall timeout is shorter than the time the queued uploads wait.
      gatewaySpec({ upstreamTimeoutMs: 600, upstreamPool: { maxConnections: 2, maxPendingRequests: 2 } }),
    ]);
  });
  after(() => bag.run());

  test('4 slow uploads through a pool of 2: all 200, at most 2 at the upstream', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => slowUpload(gw.port, 250)));
    for (const r of results) assert.deepEqual(r, { status: 200, code: undefined, body: `got ${CHUNK.length * CHUNKS}` });
    assert.equal(maxActive, 2);
    assert.deepEqual(sizes, [1, 2, 3, 4].map(() => CHUNK.length * CHUNKS));
  });

  test('pool and queue full: the next request gets 503 WG_PROXY_UPSTREAM_OVERFLOW at once', async () => {
    const uploads = Array.from({ length: 4 }, () => slowUpload(gw.port, 150));
    await new Promise((r) => setTimeout(r, 100)); // all four have reached the gateway
    const t0 = Date.now();
    const overflow = await send(gw.port, { path: '/more' });
    assert.equal(overflow.status, 503);
    assert.equal(overflow.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_OVERFLOW');
    assert.ok(Date.now() - t0 < 500, 'answered without waiting');
    for (const r of await Promise.all(uploads)) assert.equal(r.status, 200);
    await gw.gateway.settle();
    const entry = gw.access.find((e) => e.path === '/more' || e.url === '/more');
    if (entry) assert.match(JSON.stringify(entry), /UO|overflow/);
    // Once the pool is free again, requests go through.
    assert.equal((await send(gw.port, { path: '/after' })).status, 200);
  });
});

describe('issue 9: a queued request times out, and leaves the queue when its client goes', () => {
  const bag = new Cleanup();
  let gw: TestGateway;
  let release: (() => void)[] = [];
  let seen: string[] = [];
  before(async () => {
    // /hold is answered only when the test says so: it keeps the one pooled connection busy.
    const up = await listenServer(bag, http.createServer((req, res) => {
      seen.push(req.url ?? '');
      req.resume();
      if (req.url === '/hold') release.push(() => res.end('held'));
      else res.end('ok');
    }));
    gw = await startGateway(bag, [
      service('backend', [`127.0.0.1:${up.port}`]),
      ingress('all', 'backend'),
      gatewaySpec({ upstreamTimeoutMs: 1000, upstreamPool: { maxConnections: 1, maxPendingRequests: 1 } }),
    ]);
  });
  after(() => {
    for (const r of release.splice(0)) r();
    return bag.run();
  });

  test('waiting longer than upstreamTimeoutMs → 504 WG_PROXY_UPSTREAM_TIMEOUT; the upstream never sees it', async () => {
    release = [];
    seen = [];
    const held = send(gw.port, { path: '/hold', timeoutMs: 5000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const queued = await send(gw.port, { path: '/queued' });
    assert.equal(queued.status, 504);
    assert.equal(queued.headers['x-wasmgate-error'], 'WG_PROXY_UPSTREAM_TIMEOUT');
    assert.deepEqual(seen, ['/hold']);
    for (const r of release.splice(0)) r();
    await held;
  });

  test('a client that leaves while queued frees its place in the queue', async () => {
    release = [];
    seen = [];
    const held = send(gw.port, { path: '/hold', timeoutMs: 5000 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    // Queued, then gone before the pool frees.
    await assert.rejects(send(gw.port, { path: '/gone', timeoutMs: 100 }));
    await new Promise((r) => setTimeout(r, 50));
    // The queue has room again: this one waits (no overflow) and is served once /hold ends.
    const next = send(gw.port, { path: '/next' });
    await new Promise((r) => setTimeout(r, 50));
    for (const r of release.splice(0)) r();
    const r = await next;
    assert.equal(r.status, 200);
    await held;
    assert.deepEqual(seen, ['/hold', '/next']);
  });
});

